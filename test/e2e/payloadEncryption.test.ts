import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EncryptionCodec, payloadKey } from '../../control/codec';
import { freePort } from '../../harness/ports';
import { rolloutWorkflowId } from '../../workflows/patchRollout';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { b64, payloadsIn } from '../helpers/payloads';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

const run = promisify(execFile);

/** A TCP relay in front of a host's sshd that counts the connections made through it. */
async function countingRelay(targetPort: number): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    const upstream = connect(targetPort, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, connections: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The Temporal CLI against the test server; `args` may add --codec-endpoint and friends. */
async function temporal(args: string[]): Promise<string> {
  const { stdout } = await run(process.env.MAINT_TEST_TEMPORAL_CLI!, [...args, '--address', process.env.MAINT_TEST_TEMPORAL_ADDRESS!], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}


describe('payload encryption end to end: a worker with MAINT_PAYLOAD_KEY, real sshd hosts, the codec server', () => {
  let fx: RolloutFixture;
  let relays: Array<Awaited<ReturnType<typeof countingRelay>>>;
  let dir: string;
  let policy: string;
  let keyless: NodeJS.ProcessEnv;
  let keyed: NodeJS.ProcessEnv;
  let worker: LongRunning;
  const key = randomBytes(32).toString('base64');
  const token = randomBytes(24).toString('hex');
  const connections = () => relays.reduce((n, r) => n + r.connections(), 0);

  beforeAll(async () => {
    fx = await startRolloutFixture(2);
    relays = await Promise.all(fx.fleet.hosts.map((h) => countingRelay(h.port)));
    dir = mkdtempSync(join(tmpdir(), 'maint-codec-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml((_h, i) => ({ port: relays[i]!.port })));
    policy = join(dir, 'policy.yaml');
    writeFileSync(policy, fx.policyYaml('waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\n'));
    keyless = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('codec'), MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_PAYLOAD_KEY: '' };
    keyed = { ...keyless, MAINT_PAYLOAD_KEY: key };
    worker = startMaint(['worker'], keyed);
    await worker.waitFor(/worker: polling task queue/);
  });
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await Promise.all((relays ?? []).map((r) => r.close()));
    await fx?.stop();
  });

  let rolloutId: string;
  let refusedId: string;

  it('runs a rollout with the key as without it, and its raw history holds no host name, address or command', async () => {
    const result = await runMaint(['rollout', 'start', '-f', policy, '--wait', '--json'], keyed);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { rolloutId: string; status: string; hosts: Array<{ name: string; after: { version: string } }> };
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.after.version])).toEqual([['host-1', '2.0.0'], ['host-2', '2.0.0']]);
    rolloutId = report.rolloutId;
    expect(connections()).toBeGreaterThan(0); // the hosts are reached through the relays
    // The CLI reads it back through the codec.
    const status = await runMaint(['rollout', 'status', rolloutId], keyed);
    expect(status.stdout).toMatch(/host-1 .*healthy/);

    const ids = await until('the rollout and its batches in the visibility store', async () => {
      const listed = (JSON.parse((await temporal(['workflow', 'list', '--query', `TaskQueue="${keyed.MAINT_TASK_QUEUE}"`, '-o', 'json'])) || '[]') as Array<{ execution: { workflowId: string } }>).map((w) => w.execution.workflowId);
      return listed.length >= 3 ? listed : undefined;
    }, 30_000);
    expect(ids).toContain(rolloutWorkflowId(rolloutId));
    for (const id of ids) {
      const raw = await temporal(['workflow', 'show', '-w', id, '-o', 'json']);
      const payloads = payloadsIn(JSON.parse(raw));
      expect(payloads.length).toBeGreaterThan(0);
      for (const p of payloads) expect({ id, encoding: b64(p.metadata.encoding) }).toEqual({ id, encoding: 'binary/encrypted' });
      for (const secret of ['host-1', 'host-2', '127.0.0.1', String(relays[0]!.port), 'apply.log', 'MAINT_HOST_DIR', '/health']) {
        expect({ id, found: raw.includes(secret) || payloads.some((p) => b64(p.data).includes(secret)) ? secret : undefined }).toEqual({ id, found: undefined });
      }
    }
  }, 180_000);

  it('refuses a rollout started by a client without the key: its workflow task fails and names why, no host is connected to', async () => {
    fx.reset();
    const before = connections();
    const started = await runMaint(['rollout', 'start', '-f', policy, '--json'], keyless);
    expect(started.code).toBe(0);
    refusedId = (JSON.parse(started.stdout) as { rolloutId: string }).rolloutId;
    const workflowId = rolloutWorkflowId(refusedId);
    // The history (read raw) records the failed workflow task; the worker's log says why.
    const history = await until('a failed workflow task', async () => {
      const raw = await temporal(['workflow', 'show', '-w', workflowId, '-o', 'json']);
      return raw.includes('EVENT_TYPE_WORKFLOW_TASK_FAILED') ? raw : undefined;
    }, 60_000);
    expect(history).not.toContain('ACTIVITY_TASK_SCHEDULED');
    await worker.waitFor(/refused a payload that is not encrypted \(encoding json\/plain\)/, 30_000);
    const described = JSON.parse(await temporal(['workflow', 'describe', '-w', workflowId, '-o', 'json'])) as { workflowExecutionInfo: { status: string } };
    expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
    // Meanwhile nothing reached a host: no connection, no change.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(connections()).toBe(before);
    expect([fx.version(0), fx.version(1), fx.applyCount(0), fx.applyCount(1)]).toEqual(['1.0.0', '1.0.0', 0, 0]);
    // And the client with the key cannot be made to read it either.
    const status = await runMaint(['rollout', 'status', refusedId], keyed, 60_000);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toMatch(new RegExp(`rollout ${refusedId}: no worker can run it, its workflow task has failed \\d+ time\\(s\\) \\(the worker's log says why\\); a worker with MAINT_PAYLOAD_KEY refuses`));
  }, 180_000);

  it('decodes histories for the Web UI and the Temporal CLI through `maint codec-server`, only with the token', async () => {
    const server = startMaint(['codec-server', '--port', '0', '--ui-origin', 'http://127.0.0.1:8233'], { ...keyed, MAINT_CODEC_TOKEN: token });
    try {
      await server.waitFor(/codec server on (http:\/\/127\.0\.0\.1:\d+)/);
      const url = /codec server on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1]!;
      const raw = JSON.parse(await temporal(['workflow', 'show', '-w', rolloutWorkflowId(rolloutId), '-o', 'json'])) as unknown;
      const [encrypted] = payloadsIn(raw);
      // What the Web UI sends: the payloads as proto JSON, with its origin; a preflight first.
      const preflight = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      const decode = (headers: Record<string, string>) => fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: 'http://127.0.0.1:8233', ...headers }, body: JSON.stringify({ payloads: [encrypted] }) });
      const refused = await decode({});
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('host-1');
      expect((await decode({ authorization: 'Bearer not-the-token' })).status).toBe(401);
      const ok = await decode({ authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
      const [clear] = ((await ok.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
      expect(b64(clear!.metadata.encoding)).toBe('json/plain');
      expect(JSON.parse(b64(clear!.data))).toHaveProperty('rolloutId', rolloutId);
      // Another origin gets no CORS grant; /encode is off unless --allow-encode.
      const other = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect((await fetch(`${url}/encode`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ payloads: [clear] }) })).status).toBe(403);

      // The whole history, decoded by the Temporal CLI through it: clear JSON again.
      const decoded = await temporal(['workflow', 'show', '-w', rolloutWorkflowId(rolloutId), '-o', 'json', '--codec-endpoint', url, '--codec-auth', `Bearer ${token}`]);
      const clearPayloads = payloadsIn(JSON.parse(decoded));
      expect(clearPayloads.every((p) => b64(p.metadata.encoding) !== 'binary/encrypted')).toBe(true);
      const text = clearPayloads.map((p) => b64(p.data)).join('\n');
      expect(text).toContain('host-1');
      expect(text).toContain('apply.log');
      // The refused rollout's history: its input shown as it was written (in clear), its failed workflow task saying why.
      const refusal = await temporal(['workflow', 'show', '-w', rolloutWorkflowId(refusedId), '-o', 'json', '--codec-endpoint', url, '--codec-auth', `Bearer ${token}`]);
      expect(payloadsIn(JSON.parse(refusal)).map((p) => b64(p.data)).join('\n')).toMatch(/refused a payload that is not encrypted/);
    } finally {
      await server.stop();
      await temporal(['workflow', 'terminate', '-w', rolloutWorkflowId(refusedId), '--reason', 'test done']).catch(() => undefined);
    }
  }, 120_000);

  it('`maint dev` with a key gives its Web UI a codec server (loopback, its origin only)', async () => {
    const [port, uiPort, feedsPort] = [await freePort(), await freePort(), await freePort()];
    const dev = startMaint(['dev', '--port', String(port), '--ui-port', String(uiPort), '--feeds-port', String(feedsPort), '--data-dir', mkdtempSync(join(tmpdir(), 'maint-dev-codec-'))], { ...keyed, TEMPORAL_ADDRESS: '' });
    try {
      await dev.waitFor(/worker: polling task queue/, 90_000);
      const url = /decoded through (http:\/\/127\.0\.0\.1:\d+)/.exec(dev.output())?.[1];
      expect(url).toBeDefined();
      const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
      expect(settings.Codec?.Endpoint).toBe(url);
      const [encrypted] = await new EncryptionCodec({ current: payloadKey(key), decryptOnly: [] }).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"host":"host-1"}') }]);
      const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from(encrypted!.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(encrypted!.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(encrypted!.data!).toString('base64') }] });
      const answer = await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: `http://localhost:${uiPort}` }, body });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(`http://localhost:${uiPort}`);
      expect(b64(((await answer.json()) as { payloads: Array<{ data: string }> }).payloads[0]!.data)).toBe('{"host":"host-1"}');
    } finally {
      await dev.stop();
    }
  }, 150_000);
});
