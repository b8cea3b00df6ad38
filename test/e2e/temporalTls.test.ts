import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { createTestPki, type TestPki } from '../helpers/testPki';
import { startTlsTerminator, type TlsTerminator } from '../helpers/tlsTerminator';

/**
 * The README's TLS, mTLS and API key settings against a real TLS terminator in front of the dev
 * server (test/helpers/tlsTerminator.ts): certificates from a private CA made by openssl for this
 * run, the server known as temporal.test while it listens on 127.0.0.1.
 */
describe('the worker, the CLI and maint doctor connect to Temporal over TLS', () => {
  let pki: TestPki;
  let mtls: TlsTerminator;
  let keyed: TlsTerminator;
  let fx: RolloutFixture;
  let dir: string;
  const workers: LongRunning[] = [];
  const apiKey = `key-${randomUUID()}`;

  beforeAll(async () => {
    const upstream = process.env.MAINT_TEST_TEMPORAL_ADDRESS;
    if (!upstream) throw new Error('MAINT_TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (globalSetup starts the server)');
    pki = createTestPki('temporal.test');
    const server = { upstream, cert: pki.server.cert, key: pki.server.key, ca: pki.ca };
    mtls = await startTlsTerminator({ ...server, requireClientCert: true });
    keyed = await startTlsTerminator({ ...server, requireClientCert: false, apiKey });
    fx = await startRolloutFixture(2);
    dir = mkdtempSync(join(tmpdir(), 'maint-tls-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
  });
  afterAll(async () => {
    await fx?.stop();
    await mtls?.close();
    await keyed?.close();
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** What an operator sets for mTLS against this terminator. */
  function mtlsEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return {
      TEMPORAL_ADDRESS: mtls.address,
      TEMPORAL_TLS_CA_PATH: pki.caPath,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_TLS_CERT_PATH: pki.client.certPath,
      TEMPORAL_TLS_KEY_PATH: pki.client.keyPath,
      MAINT_TASK_QUEUE: uniqueTaskQueue('tls'),
      MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey,
      ...overrides,
    };
  }

  /** The same wrong setting through the CLI, doctor and the worker: each must fail and say why. */
  async function allThree(env: NodeJS.ProcessEnv): Promise<{ cli: string; doctor: string; worker: string }> {
    const [cli, doctor, worker] = await Promise.all([runMaint(['rollout', 'list'], env), runMaint(['doctor'], env), runMaint(['worker'], env)]);
    expect([cli.code, doctor.code, worker.code]).toEqual([3, 1, 3]);
    expect(doctor.stdout).toMatch(/FAIL\s+namespace\s+not checked: the server is not reachable/);
    return { cli: cli.stderr, doctor: doctor.stdout, worker: worker.stderr };
  }

  it('runs a rollout with the worker and the CLI connected through mTLS, and doctor says every line is ok', async () => {
    const refusedBefore = mtls.refusedHandshakes().length;
    const env = mtlsEnv();
    const transport = `over TLS (server name temporal.test, CA ${pki.caPath}, client certificate ${pki.client.certPath})`;
    const worker = startMaint(['worker'], env);
    workers.push(worker);
    await worker.waitFor(/worker: polling task queue/, 90_000);
    expect(worker.output()).toContain(`worker: polling task queue "${env.MAINT_TASK_QUEUE}" in namespace "default" at ${mtls.address} ${transport}`);

    const doctor = await runMaint(['doctor'], env);
    expect(doctor.stdout).toContain(`temporal-server  reachable at ${mtls.address} ${transport} (server `);
    expect(doctor.stdout).toMatch(/ok\s+worker:workflows\s+\d+ poller\(s\) on task queue/);
    expect(doctor.code).toBe(0);

    const policy = join(dir, 'mtls.yaml');
    writeFileSync(policy, fx.policyYaml());
    const started = await runMaint(['rollout', 'start', '-f', policy, '--id', `tls-${randomUUID().slice(0, 8)}`, '--wait', '--json'], env);
    expect(started.code).toBe(0);
    const report = JSON.parse(started.stdout) as { status: string; hosts: Array<{ name: string; state: string; after: { version: string } }> };
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state, h.after.version])).toEqual([['host-1', 'healthy', '2.0.0'], ['host-2', 'healthy', '2.0.0']]);
    expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '2.0.0']);
    expect(mtls.refusedHandshakes().slice(refusedBefore)).toEqual([]); // no handshake of the right settings was refused
  }, 180_000);

  it('a CA that did not issue the server certificate: each says the certificate is not trusted by that TEMPORAL_TLS_CA_PATH', async () => {
    const out = await allThree(mtlsEnv({ TEMPORAL_TLS_CA_PATH: pki.otherCaPath }));
    const reason = `TLS: the server certificate (CN=temporal.test, issued by "maint test CA") is not trusted by TEMPORAL_TLS_CA_PATH=${pki.otherCaPath}`;
    for (const text of [out.cli, out.doctor, out.worker]) {
      expect(text).toContain(reason);
      expect(text).toContain('hint: set TEMPORAL_TLS_CA_PATH to the CA (PEM) that issued the server certificate');
    }
    expect(out.cli).toContain(`maint: cannot reach Temporal at ${mtls.address} over TLS (server name temporal.test, CA ${pki.otherCaPath}, `);
  });

  it('no client certificate: the server refuses the handshake, and each says a client certificate is required', async () => {
    const refusedBefore = mtls.refusedHandshakes().length;
    const out = await allThree(mtlsEnv({ TEMPORAL_TLS_CERT_PATH: undefined, TEMPORAL_TLS_KEY_PATH: undefined }));
    for (const text of [out.cli, out.doctor, out.worker]) {
      expect(text).toContain('TLS: the server refused the handshake: it requires a client certificate, and none is configured');
      expect(text).toContain('hint: set TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH to a client certificate and key the server trusts');
    }
    // It was the server's verdict, for want of a certificate (OpenSSL's words on the server side).
    expect(mtls.refusedHandshakes().slice(refusedBefore)).toEqual(expect.arrayContaining([expect.stringContaining('peer did not return a certificate')]));

    // A certificate from a CA the server does not trust for clients is refused too, and named.
    const stranger = await runMaint(['rollout', 'list'], mtlsEnv({ TEMPORAL_TLS_CERT_PATH: pki.otherClient.certPath, TEMPORAL_TLS_KEY_PATH: pki.otherClient.keyPath }));
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toContain(`the client certificate TEMPORAL_TLS_CERT_PATH=${pki.otherClient.certPath} (CN=maint-worker, issued by CN=some other CA)`);
  });

  it('a server name the certificate does not carry: each names TEMPORAL_TLS_SERVER_NAME and the names the certificate has', async () => {
    const out = await allThree(mtlsEnv({ TEMPORAL_TLS_SERVER_NAME: 'other.test' }));
    for (const text of [out.cli, out.doctor, out.worker]) {
      expect(text).toContain('TLS: the server certificate (CN=temporal.test, issued by "maint test CA") is not valid for TEMPORAL_TLS_SERVER_NAME=other.test; it names DNS:temporal.test');
    }
    // Without a server name, the address's host (an IP here) is checked, and said so.
    const byAddress = await runMaint(['rollout', 'list'], mtlsEnv({ TEMPORAL_TLS_SERVER_NAME: undefined }));
    expect(byAddress.code).toBe(3);
    expect(byAddress.stderr).toContain(`is not valid for the host of TEMPORAL_ADDRESS=${mtls.address}; it names DNS:temporal.test`);
  });

  it('a client certificate and key that do not belong together: exit 2 naming both files, before connecting', async () => {
    const result = await runMaint(['rollout', 'list'], mtlsEnv({ TEMPORAL_TLS_KEY_PATH: pki.otherClient.keyPath }));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`maint: TEMPORAL_TLS_KEY_PATH=${pki.otherClient.keyPath}: this key does not belong to the certificate in TEMPORAL_TLS_CERT_PATH=${pki.client.certPath}\n`);
  });

  it('API key: the worker and the CLI send it on every call; a wrong key is refused and named', async () => {
    const keyFile = join(dir, 'api-key');
    const wrongKeyFile = join(dir, 'wrong-api-key');
    writeFileSync(keyFile, `${apiKey}\n`);
    writeFileSync(wrongKeyFile, 'not-the-key\n');
    const env = (file: string): NodeJS.ProcessEnv => ({
      TEMPORAL_ADDRESS: keyed.address, TEMPORAL_TLS_CA_PATH: pki.caPath, TEMPORAL_TLS_SERVER_NAME: 'temporal.test', TEMPORAL_API_KEY_FILE: file,
      MAINT_TASK_QUEUE: uniqueTaskQueue('tls-key'), MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey,
    });
    const good = env(keyFile);
    const worker = startMaint(['worker'], good);
    workers.push(worker);
    await worker.waitFor(/worker: polling task queue/, 90_000);
    expect(worker.output()).toContain(`over TLS (server name temporal.test, CA ${pki.caPath}, API key from TEMPORAL_API_KEY_FILE=${keyFile})`);
    // A dry run: the worker reads each host's version over SSH and changes nothing.
    const policy = join(dir, 'keyed.yaml');
    writeFileSync(policy, fx.policyYaml('strategy: {kind: command, target: 3.0.0, check: cat "$MAINT_HOST_DIR/version", apply: "false", rollback: "false"}\n'));
    const dryRun = await runMaint(['rollout', 'start', '-f', policy, '--dry-run'], good);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/host-1 +version [12]\.0\.0 → 3\.0\.0/);
    expect(dryRun.stdout).toMatch(/host-2 +version [12]\.0\.0 → 3\.0\.0/);
    const doctor = await runMaint(['doctor'], good);
    expect(doctor.stdout).toMatch(/ok\s+worker:workflows\s+\d+ poller\(s\)/);
    expect(doctor.code).toBe(0);
    expect(keyed.forwarded()).toBeGreaterThan(0);
    expect(keyed.refusedKeys()).toBe(0);

    const wrong = env(wrongKeyFile);
    const [cli, workerOut] = await Promise.all([runMaint(['rollout', 'list'], wrong), runMaint(['worker'], wrong)]);
    expect([cli.code, workerOut.code]).toEqual([3, 3]);
    for (const text of [cli.stderr, workerOut.stderr]) {
      expect(text).toContain(`the server refused the API key from TEMPORAL_API_KEY_FILE=${wrongKeyFile}: `);
      expect(text).toContain('Request unauthorized');
    }
    expect(keyed.refusedKeys()).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
