// Issue 21: Renovate behind a private CA. The npm registry is a real verdaccio behind a real
// HTTPS front whose certificate is signed by a CA made for the test; the worker is told about
// the CA only through NODE_EXTRA_CA_CERTS, as on a network with a TLS-intercepting proxy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETWORK_ENV_VARIABLES, networkEnvironment } from '../../activities/network';
import { runRenovateLookup } from '../../activities/renovate/lookup';
import { startHttpsFront, type HttpsFront } from '../helpers/httpsFront';
import { createTestPki, type TestPki } from '../helpers/testPki';
import { startVerdaccio, type TestNpmRegistry } from '../helpers/verdaccio';

jest.setTimeout(300_000);

describe('Renovate with a private CA and a proxy (real Renovate, verdaccio behind HTTPS)', () => {
  let npm: TestNpmRegistry;
  let pki: TestPki;
  let front: HttpsFront;
  let repo: string;
  const saved = Object.fromEntries(NETWORK_ENV_VARIABLES.map((name) => [name, process.env[name]]));

  const setNetworkEnv = (values: Partial<Record<(typeof NETWORK_ENV_VARIABLES)[number], string>>) => {
    for (const name of NETWORK_ENV_VARIABLES) delete process.env[name];
    Object.assign(process.env, values);
  };

  beforeAll(async () => {
    npm = await startVerdaccio();
    await npm.publish('tls-lib', '1.0.0');
    await npm.publish('tls-lib', '1.1.0');
    pki = createTestPki('127.0.0.1');
    front = await startHttpsFront({ upstream: npm.url, cert: pki.server.cert, key: pki.server.key });
    repo = mkdtempSync(join(tmpdir(), 'maint-renovate-tls-'));
    writeFileSync(join(repo, 'package.json'), `${JSON.stringify({ name: 'tls-fixture', version: '1.0.0', private: true, dependencies: { 'tls-lib': '^1.0.0' } }, null, 2)}\n`);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', 'package.json'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.test', 'commit', '-qm', 'fixture'], { cwd: repo });
  });

  afterEach(() => setNetworkEnv(Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)) as Record<string, string>));

  afterAll(async () => {
    await front?.close();
    await npm?.stop();
    pki?.remove();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  test('the CA given only in NODE_EXTRA_CA_CERTS reaches Renovate: lookups over HTTPS work', async () => {
    setNetworkEnv({ NODE_EXTRA_CA_CERTS: pki.caPath });
    const scan = await runRenovateLookup({ checkoutDir: repo, managers: ['npm'], npmRegistryUrl: front.url });
    expect(scan.problems).toEqual([]);
    expect(scan.updates.map((u) => [u.depName, u.updateType, u.newValue, u.registryUrl])).toEqual([['tls-lib', 'minor', '^1.1.0', front.url.replace(/\/$/, '')]]);
    expect(front.forwarded()).toBeGreaterThan(0);
  });

  test('without it, the lookup fails with a problem that says which variable gives the CA', async () => {
    setNetworkEnv({});
    const scan = await runRenovateLookup({ checkoutDir: repo, managers: ['npm'], npmRegistryUrl: front.url });
    expect(scan.updates).toEqual([]);
    const origin = new URL(front.url).origin;
    expect(scan.problems).toContainEqual({
      level: 'error',
      message: expect.stringMatching(new RegExp(`^${origin} failed: [A-Z_]+ \\(GET ${origin}/tls-lib.*signed by a CA this worker does not trust .*NODE_EXTRA_CA_CERTS`)),
    });
  });

  test('HTTP_PROXY reaches Renovate: a registry whose name only the proxy resolves is looked up through it', async () => {
    // A forward proxy (absolute-form requests) that knows one host name: the registry's.
    const proxied: string[] = [];
    const proxy: Server = createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? '/');
      if (target.hostname !== 'registry.maint-proxy.test') {
        res.writeHead(502).end('unknown host');
        return;
      }
      const upstream = new URL(npm.url);
      const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: target.pathname + target.search, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', (err) => res.writeHead(502).end(err.message));
      req.pipe(out);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      setNetworkEnv({ http_proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, NO_PROXY: 'example.invalid' });
      const scan = await runRenovateLookup({ checkoutDir: repo, managers: ['npm'], npmRegistryUrl: 'http://registry.maint-proxy.test/' });
      expect(scan.updates.map((u) => [u.depName, u.newValue])).toEqual([['tls-lib', '^1.1.0']]);
      expect(proxied).toContainEqual(expect.stringMatching(/^GET http:\/\/registry\.maint-proxy\.test\/tls-lib/));
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  test('only the standard CA and proxy variables pass, in both spellings', () => {
    expect(networkEnvironment({ NODE_EXTRA_CA_CERTS: '/ca.pem', SSL_CERT_FILE: '/b.pem', SSL_CERT_DIR: '/certs', HTTPS_PROXY: 'http://p:3128', https_proxy: 'http://p:3128', no_proxy: 'localhost', GITHUB_TOKEN: 'secret', EMPTY: '', HTTP_PROXY: '' }))
      .toEqual({ NODE_EXTRA_CA_CERTS: '/ca.pem', SSL_CERT_FILE: '/b.pem', SSL_CERT_DIR: '/certs', HTTPS_PROXY: 'http://p:3128', https_proxy: 'http://p:3128', no_proxy: 'localhost' });
  });
});
