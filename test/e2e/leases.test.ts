import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { hostLeasesWorkflowId } from '../../workflows/hostLeases';
import { runMaint, startWorkerProcess, stopWorkerProcesses } from '../helpers/cli';
import { recordHistories } from '../helpers/replayHistories';
import { maxConcurrentOutOfService, startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000) => waitUntil(what, probe, timeoutMs, 250);

interface StatusJson {
  status: string;
  hosts: Array<{ name: string; state: string; error?: string; attempts: number }>;
}
interface LeasesJson {
  leases: Array<{ host: string; holder: { rolloutId: string } }>;
  down: Array<{ host: string; reason: string; rolloutId: string }>;
  waiting: Array<{ host: string; blockedBy: string }>;
  budgets: Array<{ key: string; maxUnavailable: number; unavailable: Array<{ host: string }> }>;
}

/**
 * A slow apply (hosts stay in flight for a while), each rollout writing its own target version.
 * `gated`: the apply also waits for the file `gate` in the host's directory (see `openGates`).
 */
const slowPolicy = (target: string, extra: string, gated = false) => [
  'waves: {batches: ["100%"]}',
  'strategy:',
  '  kind: command',
  `  target: ${target}`,
  '  check: cat "$MAINT_HOST_DIR/version"',
  `  apply: echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && ${gated ? 'while [ ! -e "$MAINT_HOST_DIR/gate" ]; do sleep 0.1; done && ' : ''}sleep 1.5 && echo {{target}} > "$MAINT_HOST_DIR/version"`,
  '  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"',
  extra,
].join('\n');

describe('host leases and disruption budgets across concurrent rollouts (worker processes, real sshd hosts)', () => {
  let fx: RolloutFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let client: Client;
  let connection: Connection;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    fx = await startRolloutFixture(5);
    for (const h of fx.fleet.hosts) h.tags = { ...h.tags, service: 'web' };
    dir = mkdtempSync(join(tmpdir(), 'maint-leases-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    env = {
      TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-leases'),
      MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_DATA_DIR: dir,
    };
    connection = await Connection.connect({ address: process.env.MAINT_TEST_TEMPORAL_ADDRESS! });
    client = new Client({ connection });
  });
  beforeEach(() => {
    fx.reset();
    for (const h of fx.fleet.hosts) rmSync(join(h.dir, 'gate'), { force: true });
  });
  afterEach(() => stopWorkerProcesses(workers));
  afterAll(async () => {
    await connection?.close();
    await fx?.stop();
  });

  const writePolicy = (name: string, overrides: string) => {
    const file = join(dir, name);
    writeFileSync(file, fx.policyYaml(overrides));
    return file;
  };
  const start = async (file: string, id: string) => {
    const started = await runMaint(['rollout', 'start', '-f', file, '--json', '--id', id], env);
    expect(started).toMatchObject({ code: 0 });
  };
  const status = async (id: string) => JSON.parse((await runMaint(['rollout', 'status', id, '--json'], env)).stdout) as StatusJson;
  const finished = (id: string) => until(`rollout ${id} to finish`, async () => {
    const s = await status(id);
    return ['running', 'paused', 'awaiting-approval'].includes(s.status) ? undefined : s;
  });
  const leases = async () => JSON.parse((await runMaint(['hosts', 'leases', '--json'], env)).stdout) as LeasesJson;
  /** Drain/undrain lines of a host strictly alternate: no two rollouts had it out of service at once. */
  const neverTwiceAtOnce = (i: number) => {
    const kinds = readFileSync(join(fx.fleet.hosts[i]!.dir, 'service.log'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    return kinds.every((k, n) => k === (n % 2 === 0 ? 'out' : 'in'));
  };

  it('two rollouts over the same hosts of a service: one change per host at a time, never more than the budget out, both finish; a third skips leased hosts', async () => {
    workers.push(startWorkerProcess(env));
    const budget = 'disruptionBudget: {groupBy: service, maxUnavailable: 2}\nmaxUnavailable: 2';
    const a = `lease-a-${randomUUID().slice(0, 6)}`;
    const b = `lease-b-${randomUUID().slice(0, 6)}`;
    const c = `lease-c-${randomUUID().slice(0, 6)}`;
    // The applies of the first two wait at a gate, so the leases they hold stay held while the third starts.
    const fileA = writePolicy('a.yaml', slowPolicy('2.0.0', budget, true));
    const fileB = writePolicy('b.yaml', `${slowPolicy('3.0.0', budget, true)}\ntargets: {inventory: inventory.yaml, selector: "name in (host-2,host-3,host-4,host-5)"}`);
    await Promise.all([start(fileA, a), start(fileB, b)]);

    // A host another rollout holds, or a full budget, shows as `waiting` in `maint rollout status`.
    const seen = await until('a host waiting for a lease or the budget', async () => {
      for (const id of [a, b]) {
        const table = (await runMaint(['rollout', 'status', id], env)).stdout;
        const line = table.split('\n').find((l) => / waiting +/.test(l) && l.includes('waiting: '));
        if (line) return line;
      }
      return undefined;
    });
    expect(seen).toMatch(/waiting: (host-\d is leased by rollout lease-[ab]-\w+|budget service=web allows 2 out of service and 2 are: host-\d \(rollout lease-[ab]-\w+\), host-\d \(rollout lease-[ab]-\w+\))/);

    // The budget is full: two hosts are held by the first two rollouts, both waiting at the gate.
    const held = await until('two leases held by the first two', async () => {
      const l = await leases();
      return l.leases.length === 2 ? l : undefined;
    });
    expect(held.budgets).toEqual([expect.objectContaining({ key: 'service=web', maxUnavailable: 2 })]);
    // A third rollout that skips busy hosts, over the two held hosts and one free one.
    const heldHosts = held.leases.map((l) => l.host).sort();
    const free = fx.fleet.hosts.map((h) => h.name).find((n) => !heldHosts.includes(n))!;
    const selector = [...heldHosts, free].join(',');
    await start(writePolicy('c.yaml', `${slowPolicy('4.0.0', `${budget}\nonBusyHost: skip`)}\ntargets: {inventory: inventory.yaml, selector: "name in (${selector})"}`), c);
    await until('the third rollout to skip a held host', async () => ((await status(c)).hosts.some((h) => h.state === 'skipped') ? true : undefined));
    for (const h of fx.fleet.hosts) writeFileSync(join(h.dir, 'gate'), '');

    const [ra, rb, rc] = [await finished(a), await finished(b), await finished(c)];
    expect([ra.status, rb.status, rc.status]).toEqual(['completed', 'completed', 'completed']);
    expect(ra.hosts.map((h) => h.state)).toEqual(Array(5).fill('healthy'));
    expect(rb.hosts.map((h) => h.state)).toEqual(Array(4).fill('healthy'));
    const skipped = rc.hosts.filter((h) => h.state === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    for (const h of skipped) expect(h.error).toMatch(new RegExp(`^busy: rollout (${a}|${b}) has been changing it since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; skipped \\(onBusyHost: skip\\)$`));
    expect(rc.hosts.filter((h) => h.state !== 'skipped').every((h) => h.state === 'healthy')).toBe(true);
    const cTable = (await runMaint(['rollout', 'status', c], env)).stdout;
    expect(cTable).toMatch(new RegExp(`${skipped[0]!.name} +0 +skipped .*busy: rollout (${a}|${b})`));

    // Host-side evidence: no host was drained by two rollouts at once, never more than 2 out at once.
    for (let i = 0; i < 5; i++) expect(neverTwiceAtOnce(i)).toBe(true);
    expect(maxConcurrentOutOfService(fx.hosts.flatMap((_h, i) => fx.outOfService(i)))).toBeLessThanOrEqual(2);
    const patchedByC = rc.hosts.filter((h) => h.state === 'healthy').length;
    expect(fx.hosts.map((_h, i) => fx.applyCount(i)).reduce((x, y) => x + y, 0)).toBe(5 + 4 + patchedByC);
    // Everything given back.
    expect(await leases()).toMatchObject({ leases: [], down: [], waiting: [] });
    // The lease workflow's history so far (requests, grants, waits, releases of three rollouts) for the replay test.
    recordHistories([{ workflowId: hostLeasesWorkflowId(env.MAINT_TASK_QUEUE!), file: 'host-leases-two-rollouts-and-a-skip' }]);
  }, 300_000);

  it('a host left out of service keeps counting against the budget until `maint hosts release`; the release is audited', async () => {
    workers.push(startWorkerProcess(env));
    const budget = 'disruptionBudget: {groupBy: service, maxUnavailable: 1}';
    const first = `drained-${randomUUID().slice(0, 6)}`;
    const second = `after-${randomUUID().slice(0, 6)}`;
    fx.makeUnhealthy(0, '2.0.0');
    // host-1 fails its health check and, with rollback scope none, is left as it is: drained.
    await start(writePolicy('none.yaml', `${slowPolicy('2.0.0', budget)}\nrollback: {scope: none}\nfailureThreshold: 5\ntargets: {inventory: inventory.yaml, selector: "name in (host-1)"}`), first);
    expect((await finished(first)).hosts[0]).toMatchObject({ name: 'host-1', state: 'failed' });
    const down = await leases();
    expect(down.down).toEqual([expect.objectContaining({ host: 'host-1', rolloutId: first, reason: expect.stringMatching(/^left out of service: .*health/) })]);
    const shown = (await runMaint(['hosts', 'leases'], env)).stdout;
    expect(shown).toMatch(/left out of service \(count against their budgets until `maint hosts release HOST`\):\n.*\nhost-1 +\S+ +drained-\w+ +left out of service:/);

    // Another rollout of the same service waits: the budget of 1 is taken by host-1.
    await start(writePolicy('after.yaml', `${slowPolicy('3.0.0', budget)}\ntargets: {inventory: inventory.yaml, selector: "name in (host-2,host-3)"}`), second);
    const waiting = await until('host-2 to wait for the budget', async () => (await status(second)).hosts.find((h) => h.state === 'waiting') ?? undefined);
    expect(waiting.name).toBe('host-2');
    const table = (await runMaint(['rollout', 'status', second], env)).stdout;
    expect(table).toMatch(new RegExp(`host-2 +0 +waiting .*waiting: budget service=web allows 1 out of service and 1 are: host-1 \\(left out of service by ${first}\\)`));
    expect(fx.applyCount(1)).toBe(0);

    const released = await runMaint(['hosts', 'release', 'host-1', 'host-4', '--reason', 'restarted nginx by hand', '--by', 'alice'], env);
    expect(released.code).toBe(1);
    expect(released.stdout).toMatch(/^host-1: released \(out of service since \S+: left out of service: /);
    expect(released.stderr).toContain('host-4: not released: no rollout left it out of service (nothing to release)');
    expect((await finished(second)).hosts.map((h) => [h.name, h.state])).toEqual([['host-2', 'healthy'], ['host-3', 'healthy']]);
    const audit = JSON.parse((await runMaint(['audit', '--json'], env)).stdout) as Array<{ actor: string; action: string; subject: string; reason?: string }>;
    expect(audit).toEqual(expect.arrayContaining([{ at: expect.any(String), actor: 'alice', action: 'release', subject: 'hosts host-1', reason: 'restarted nginx by hand', detail: expect.anything() }]));
  }, 300_000);

  it('leases survive a SIGKILLed worker (the next one takes over) and are taken back from a terminated rollout', async () => {
    const worker = startWorkerProcess(env);
    workers.push(worker);
    const killed = `killed-${randomUUID().slice(0, 6)}`;
    const gone = `gone-${randomUUID().slice(0, 6)}`;
    await start(writePolicy('kill.yaml', slowPolicy('2.0.0', 'maxUnavailable: 2\ntargets: {inventory: inventory.yaml, selector: "name in (host-1,host-2,host-3)"}')), killed);
    await until('a lease held mid-apply', async () => ((await leases()).leases.some((l) => l.holder.rolloutId === killed) && fx.applyCount(0) === 1 ? true : undefined));
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    // Without a worker nobody answers for the leases; the CLI says so.
    const unanswered = await runMaint(['hosts', 'leases'], env);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stderr).toMatch(/the host leases of task queue \S+ did not answer: is a worker running/);
    workers.push(startWorkerProcess(env));
    const report = await finished(killed);
    expect(report.status).toBe('completed');
    expect([fx.applyCount(0), fx.applyCount(1), fx.applyCount(2)]).toEqual([1, 1, 1]);
    expect(await leases()).toMatchObject({ leases: [], down: [] });

    // Terminated while holding host-4 and host-5: within two holder checks (≤ 60 s) the leases are taken back
    // and both hosts count as out of service (nobody knows what state they are in) until released.
    await start(writePolicy('gone.yaml', slowPolicy('3.0.0', 'maxUnavailable: 2\ntargets: {inventory: inventory.yaml, selector: "name in (host-4,host-5)"}')), gone);
    await until('host-4 and host-5 leased', async () => ((await leases()).leases.length === 2 ? true : undefined));
    await client.workflow.getHandle(`rollout-${gone}`).terminate('test: a rollout killed by hand');
    const after = await until('the leases of the terminated rollout taken back', async () => {
      const l = await leases();
      return l.leases.length === 0 && l.down.length === 2 ? l : undefined;
    }, 150_000);
    expect(after.down.map((d) => [d.host, d.reason])).toEqual([
      ['host-4', `rollout ${gone} ended while it was changing the host; check it, then maint hosts release host-4`],
      ['host-5', `rollout ${gone} ended while it was changing the host; check it, then maint hosts release host-5`],
    ]);
    expect((await runMaint(['hosts', 'release', 'host-4', 'host-5'], env)).code).toBe(0);
    expect((await leases()).down).toEqual([]);
  }, 360_000);
});
