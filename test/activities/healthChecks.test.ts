import { createServer } from 'node:net';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import { runHealthCheck } from '../../activities/health';
import { startHealthEndpoint, type HealthEndpoint } from '../helpers/healthEndpoint';
import { freePort } from '../../harness/ports';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

describe('health checks against real endpoints', () => {
  let endpoint: HealthEndpoint;
  let fleet: SshdFleet;
  let shell: HostShell;
  const values = () => ({ host: { name: 'web-1', address: '127.0.0.1', port: 22, user: 'ops', tags: { healthPort: String(endpoint.port) } } });
  const ctx = () => ({ values: values(), timeoutMs: 1000, shell: async () => shell });

  const HEALTHY = { status: 200, body: 'ok version=2.0.0' };
  beforeAll(async () => {
    endpoint = await startHealthEndpoint(HEALTHY);
    fleet = await startSshdFleet(1);
    shell = await new NodeSshConnector().connect(fleet.hosts[0]!);
  });
  // Every test starts from a healthy endpoint, whatever an earlier one set (or failed to reset).
  beforeEach(() => endpoint.set(HEALTHY));
  afterAll(async () => {
    shell?.close();
    await fleet?.stop();
    await endpoint?.close();
  });

  const http = (extra: object = {}) => ({ kind: 'http' as const, url: 'http://127.0.0.1:{{host.tags.healthPort}}/health', expectStatus: 200, ...extra });

  it('http: passes on the expected status and body, and says what it saw when not', async () => {
    expect(await runHealthCheck(http({ bodyMatches: 'version=2\\.' }), ctx())).toEqual({ ok: true, detail: `http://127.0.0.1:${endpoint.port}/health → HTTP 200 ok version=2.0.0` });
    expect((await runHealthCheck(http({ bodyMatches: 'version=3' }), ctx())).detail).toContain('body does not match /version=3/');
    endpoint.set({ status: 503, body: 'draining' });
    expect(await runHealthCheck(http(), ctx())).toEqual({ ok: false, detail: `http://127.0.0.1:${endpoint.port}/health → HTTP 503 draining (expected 200)` });
  });

  it('http: redacts a token in the check URL and in the answer from what it reports (it ends up in histories)', async () => {
    endpoint.set({ status: 401, body: 'denied: Authorization: Bearer leaked-bearer-1234' });
    const outcome = await runHealthCheck(http({ url: 'http://127.0.0.1:{{host.tags.healthPort}}/health?token=check-secret' }), ctx());
    expect(outcome).toEqual({ ok: false, detail: `http://127.0.0.1:${endpoint.port}/health?[redacted] → HTTP 401 denied: Authorization: [redacted] (expected 200)` });
  });

  it('http: a server that never answers fails within the timeout', async () => {
    const sockets: Array<{ destroy(): void }> = [];
    const silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const outcome = await runHealthCheck({ kind: 'http', url: `http://127.0.0.1:${port}/h`, expectStatus: 200 }, ctx());
      expect(outcome).toEqual({ ok: false, detail: `http://127.0.0.1:${port}/h: no answer within 1000 ms` });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('tcp: passes when something listens, names the port when nothing does', async () => {
    expect(await runHealthCheck({ kind: 'tcp', host: '{{host.address}}', port: endpoint.port }, ctx())).toEqual({ ok: true, detail: `127.0.0.1:${endpoint.port} accepts connections` });
    const closed = await freePort();
    const outcome = await runHealthCheck({ kind: 'tcp', host: '{{host.address}}', port: closed }, ctx());
    expect(outcome.ok).toBe(false);
    expect(outcome.detail).toContain(`127.0.0.1:${closed}: connect ECONNREFUSED`);
  });

  it('command: runs on the host over SSH; exit 0 is healthy, otherwise the exit code and last line are shown', async () => {
    expect(await runHealthCheck({ kind: 'command', command: 'echo up; exit 0' }, ctx())).toEqual({ ok: true, detail: '`echo up; exit 0` exited 0: up' });
    expect(await runHealthCheck({ kind: 'command', command: 'echo "nginx: inactive" >&2; exit 3' }, ctx())).toEqual({ ok: false, detail: '`echo "nginx: inactive" >&2; exit 3` exited 3: nginx: inactive' });
    // Template values are quoted: a hostile tag cannot run anything.
    const hostile = { ...ctx(), values: { host: { ...values().host, name: '$(touch /tmp/maint-pwned)' } } };
    expect((await runHealthCheck({ kind: 'command', command: 'echo {{host.name}}' }, hostile)).detail).toContain('exited 0: $(touch /tmp/maint-pwned)');
  });
});
