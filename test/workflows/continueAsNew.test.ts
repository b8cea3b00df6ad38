// A rollout over a few hundred simulated hosts (in-process ssh2 servers) on a Temporal dev server of
// its own, started with a very low `suggestContinueAsNew` history count, so the parent rollout
// workflow continues as new several times. Checks what a user sees: every host patched exactly once,
// progress queries and pause/resume working across runs, and short histories.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findTemporalCli, TEMPORAL_CLI_HINT } from '../../cli/temporalCli';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import type { BatchResult, HostReport, RolloutProgress, RolloutReport } from '../../policies/rollout/types';
import { startSimulatedFleet, type SimulatedFleet } from '../../simulator/fleet';
import { pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { batchWorkflowId, rolloutWorkflowId, type patchRolloutWorkflow } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import { recordHistories } from '../helpers/replayHistories';
import { maxConcurrentOutOfService } from '../helpers/rolloutFixture';
import { testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const HOSTS = 300;
const WAVE = 10;
const WAVES = HOSTS / WAVE;
/** The dev server suggests continue-as-new once a run's history has this many events. */
const SUGGEST_CONTINUE_AS_NEW_AT = 60;
/** No run of the parent may get anywhere near Temporal's limits; with the threshold above, far below this. */
const MAX_EVENTS_PER_RUN = 500;

const POLICY = `
apiVersion: maint/v1
kind: RolloutPolicy
name: continue-as-new
targets: {inventory: inventory.yaml}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {batches: [${WAVE}]}
maxUnavailable: ${WAVE}
health:
  checks: [{kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/hosts/{{host.name}}/health', bodyMatches: 'version=2\\.0\\.0'}]
  interval: 100ms
  timeout: 2s
  consecutiveSuccesses: 1
  deadline: 10s
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`continue-as-new: a rollout over ${HOSTS} simulated ssh2 hosts in ${WAVES} waves`, () => {
  let env: TestWorkflowEnvironment | undefined;
  let fleet: SimulatedFleet | undefined;
  let cliPath: string;

  beforeAll(async () => {
    const cli = findTemporalCli();
    if (!cli) throw new Error(`this test needs the Temporal CLI: ${TEMPORAL_CLI_HINT}`);
    cliPath = cli.path;
    // As connectTestEnv() does: quiet core logs. Each test file has its own module registry.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    // A server of its own: the low threshold must not change the other test files' server.
    // allSettled: if one half fails, the other is still assigned, so afterAll stops it.
    const started = await Promise.allSettled([
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: cli.path },
          ip: '127.0.0.1',
          ui: false,
          extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AT}`, '--log-level', 'error'],
        },
      }).then((e) => (env = e)),
      startSimulatedFleet({ count: HOSTS, initialVersion: '1.0.0', tags: () => ({ role: 'web' }) }).then((f) => (fleet = f)),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([fleet?.stop(), env?.teardown()]);
  }, 60_000);

  const file = (name: string, which: string) => {
    const path = join(fleet!.host(name).dir, which);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };
  const applyCount = (name: string) => file(name, 'apply.log').split('\n').filter(Boolean).length;
  const totalApplies = () => fleet!.hosts.reduce((n, h) => n + applyCount(h.name), 0);
  const healthy = (p: RolloutProgress) => p.hosts.filter((h) => h.state === 'healthy');

  // Generous: on a loaded 2-core machine 300 hosts take minutes; this guards against hanging, it times nothing.
  const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 240_000) => waitUntil(what, probe, timeoutMs, 100);

  it('patches every host exactly once while the parent continues as new, with queries and pause/resume across runs', async () => {
    const { client } = env!;
    const hosts: ResolvedHost[] = fleet!.hosts.map(({ name, address, port, user, hostKey, identityFile, tags, healthUrl }) => ({
      name, address, port, user, hostKey, identityFile: identityFile!, tags: { ...tags, healthPort: new URL(healthUrl).port },
    }));
    const policy = parsePolicyText(POLICY, 'policy.yaml', rolloutPolicySchema);
    const taskQueue = uniqueTaskQueue('continue-as-new');
    // A rollout id of its own: rollout and batch workflow ids derive from it.
    const rolloutId = `can-${taskQueue}`;
    const workflowId = rolloutWorkflowId(rolloutId);
    const worker = await createWorker({
      connection: env!.nativeConnection, namespace: 'default', taskQueue,
      deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle(), shutdownGraceTime: '2 seconds',
    });
    const started = Date.now();
    const latest = client.workflow.getHandle<typeof patchRolloutWorkflow>(workflowId);
    const run = (runId: string) => client.workflow.getHandle<typeof patchRolloutWorkflow>(workflowId, runId);

    const { report, firstRunId, pausedAcross } = await worker.runUntil(async () => {
      const handle = await client.workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
        taskQueue, workflowId, args: [{ rolloutId, policy, targets: { kind: 'inline', hosts } }],
      });
      const firstRunId = handle.firstExecutionRunId;

      // Mid-run, on the first run: the first waves are done, the rest pending.
      const early = await until('the first wave to finish', async () => {
        const p = await run(firstRunId).query(progressQuery);
        return p.waves[0]!.state === 'done' ? p : undefined;
      });
      expect(early.status).toBe('running');
      expect(healthy(early).length).toBeGreaterThanOrEqual(WAVE);
      expect(healthy(early).length).toBeLessThan(HOSTS);

      // The first run continues as new; the new run answers queries with the carried host states.
      const secondRunId = await until('the first continue-as-new', async () => {
        const d = await latest.describe();
        return d.runId !== firstRunId ? d.runId : undefined;
      });
      expect((await run(firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      const carried = await latest.query(progressQuery);
      expect(carried.currentWave).toBeGreaterThan(0);
      for (const h of healthy(early)) expect(carried.hosts.find((c) => c.name === h.name)).toMatchObject({ state: 'healthy', attempts: 1 });
      // The batches run so far (whose results hold the hosts' versions) are carried too.
      expect(carried.batches).toEqual(expect.arrayContaining(early.batches));
      expect(carried.batches.length).toBeGreaterThanOrEqual(carried.currentWave);
      expect(carried.waves.slice(0, carried.currentWave).every((w) => w.state === 'done')).toBe(true);
      expect(carried.hosts).toHaveLength(HOSTS);

      // Pause a run that is past the threshold with a wave in flight: it finishes that wave, then
      // continues as new, and the new run must start paused (the pause is carried across).
      let signalledRunId: string | undefined;
      await until('a run past the threshold with a wave in flight', async () => {
        const d = await latest.describe();
        if (d.status.name !== 'RUNNING' || d.historyLength < SUGGEST_CONTINUE_AS_NEW_AT) return undefined;
        const p = await run(d.runId).query(progressQuery);
        if ((p.runningBatches ?? []).length === 0 || p.currentWave >= WAVES - 2) return undefined;
        try {
          await run(d.runId).signal(pauseSignal, { reason: 'test' });
        } catch {
          return undefined; // that run closed in the meantime: try the next one
        }
        signalledRunId = d.runId;
        return true;
      }, 90_000);
      const paused = await until('a new run, paused', async () => {
        const d = await latest.describe();
        if (d.runId === signalledRunId) return undefined;
        const p = await latest.query(progressQuery);
        return p.status === 'paused' ? { runId: d.runId, progress: p } : undefined;
      });
      expect((await run(signalledRunId!).describe()).status.name).toBe('CONTINUED_AS_NEW');
      expect(paused.progress.runningBatches).toBeUndefined();
      const appliedWhilePaused = totalApplies();
      expect(appliedWhilePaused).toBe(healthy(paused.progress).length);
      expect(appliedWhilePaused % WAVE).toBe(0);
      expect(appliedWhilePaused).toBeLessThan(HOSTS);
      // Nothing moves while paused.
      await sleep(1500);
      expect(totalApplies()).toBe(appliedWhilePaused);
      expect((await latest.describe()).runId).toBe(paused.runId);
      expect((await latest.query(progressQuery)).status).toBe('paused');

      await latest.signal(resumeSignal);
      return { report: (await handle.result()) as RolloutReport, firstRunId, pausedAcross: { from: signalledRunId!, to: paused.runId, secondRunId } };
    });
    const elapsed = Date.now() - started;

    // What `maint rollout status` shows at the end.
    expect(report.status).toBe('completed');
    expect(report.failures).toBe(0);
    expect(report.waves).toHaveLength(WAVES);
    expect(report.waves.every((w) => w.state === 'done' && w.size === WAVE)).toBe(true);
    expect(report.hosts.map((h) => [h.name, h.state, h.attempts])).toEqual(hosts.map((h) => [h.name, 'healthy', 1]));
    // Versions before/after, as `maint rollout status` shows them: from the batch workflows' results.
    expect(report.batches).toEqual(Array.from({ length: WAVES }, (_, w) => batchWorkflowId(rolloutId, w, 0)));
    const detailed = new Map<string, HostReport>();
    for (const id of report.batches) {
      const batch = (await client.workflow.getHandle(id).result()) as BatchResult;
      for (const h of batch.hosts) detailed.set(h.name, h);
    }
    expect(hosts.map((h) => [h.name, detailed.get(h.name)?.state, detailed.get(h.name)?.record?.before.version, detailed.get(h.name)?.after?.version])).toEqual(
      hosts.map((h) => [h.name, 'healthy', '1.0.0', '2.0.0']),
    );
    const intervals = [...detailed.values()].map((h) => [h.outOfServiceFrom!, h.outOfServiceUntil!] as [number, number]);
    expect(maxConcurrentOutOfService(intervals)).toBeLessThanOrEqual(WAVE);

    // What is on the hosts.
    for (const h of fleet!.hosts) {
      expect([h.name, fleet!.installedVersion(h.name), applyCount(h.name)]).toEqual([h.name, '2.0.0', 1]);
    }

    // The chain of runs: every run but the last continued as new, each with a short history.
    const runs: Array<{ runId: string; events: number; status: string }> = [];
    for (let runId: string | undefined = firstRunId; runId !== undefined;) {
      const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await run(runId).fetchHistory();
      const events = history.events ?? [];
      runs.push({ runId, events: events.length, status: (await run(runId).describe()).status.name });
      runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      expect(runs.length).toBeLessThanOrEqual(WAVES);
    }
    const maxEvents = Math.max(...runs.map((r) => r.events));
    console.info(`continue-as-new: ${HOSTS} hosts, ${WAVES} waves in ${(elapsed / 1000).toFixed(1)} s; ${runs.length} runs, events per run: ${runs.map((r) => r.events).join(', ')} (max ${maxEvents})`);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.slice(0, -1).every((r) => r.status === 'CONTINUED_AS_NEW')).toBe(true);
    expect(runs[runs.length - 1]!.status).toBe('COMPLETED');
    expect(runs.map((r) => r.runId)).toEqual(expect.arrayContaining([pausedAcross.secondRunId, pausedAcross.from, pausedAcross.to]));
    expect(maxEvents).toBeLessThanOrEqual(MAX_EVENTS_PER_RUN);

    // For the replay test (MAINT_RECORD_HISTORIES=1): the run that was paused and continued as new,
    // the run that started paused and was resumed, and the last run. (Not the first: a first run is
    // what the other rollout histories already are, and each run here carries 300 hosts' states.)
    const recorded = new Map([[pausedAcross.from, 'paused-then-continued'], [pausedAcross.to, 'started-paused'], [runs[runs.length - 1]!.runId, 'last']]);
    recordHistories([...recorded].map(([runId, what]) => ({ workflowId, runId, file: `continue-as-new-rollout-run-${what}` })), { address: env!.address, cli: cliPath });
  }, 600_000);

  it('zone-aware waves keep their zones across continue-as-new', async () => {
    const { client } = env!;
    // 60 hosts, zone b (18, the first host's) and a (42) interleaved; batches of 5 end at each zone's end.
    const hosts: ResolvedHost[] = fleet!.hosts.slice(0, 60).map(({ name, address, port, user, hostKey, identityFile, tags, healthUrl }, i) => ({
      name, address, port, user, hostKey, identityFile: identityFile!, tags: { ...tags, healthPort: new URL(healthUrl).port, az: i % 7 < 2 ? 'b' : 'a' },
    }));
    const policy = parsePolicyText(POLICY.replace(`waves: {batches: [${WAVE}]}`, 'waves: {batches: [5], byZone: true}').replace(`maxUnavailable: ${WAVE}`, 'maxUnavailable: 5'), 'policy.yaml', rolloutPolicySchema);
    const taskQueue = uniqueTaskQueue('continue-as-new-zones');
    const rolloutId = `can-zones-${taskQueue}`;
    const worker = await createWorker({
      connection: env!.nativeConnection, namespace: 'default', taskQueue,
      deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle(), shutdownGraceTime: '2 seconds',
    });
    const { report, firstRunId } = await worker.runUntil(async () => {
      const handle = await client.workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId), args: [{ rolloutId, policy, targets: { kind: 'inline', hosts } }],
      });
      return { report: (await handle.result()) as RolloutReport, firstRunId: handle.firstExecutionRunId };
    });
    expect((await client.workflow.getHandle(rolloutWorkflowId(rolloutId), firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    expect(report.status).toBe('completed');
    // Planned without zones after continuing as new, this would be 12 waves of 5, one of them spanning both zones.
    expect(report.waves.map((w) => w.size)).toEqual([5, 5, 5, 3, 5, 5, 5, 5, 5, 5, 5, 5, 2]);
    const zoneOf = new Map(hosts.map((h) => [h.name, h.tags.az!]));
    expect(report.hosts.map((h) => zoneOf.get(h.name))).toEqual([...Array<string>(18).fill('b'), ...Array<string>(42).fill('a')]);
    for (const w of report.waves) expect(new Set(report.hosts.filter((h) => h.wave === w.index).map((h) => zoneOf.get(h.name))).size).toBe(1);
    expect(report.hosts.every((h) => h.state === 'healthy')).toBe(true);
  }, 300_000);
});
