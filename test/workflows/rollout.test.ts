import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import type { RolloutProgress, RolloutReport } from '../../policies/rollout/types';
import { abortUpdate, approveUpdate, batchProgressQuery, pauseSignal, progressQuery, resumeSignal } from '../../workflows/messages';
import { batchWorkflowId, rolloutWorkflowId } from '../../workflows/patchRollout';
import { createWorker, type WorkerGroup } from '../../worker';
import { mergeVersions } from '../../policies/rollout/progress';
import { maxConcurrentOutOfService, startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { historyLabel, recordHistories } from '../helpers/replayHistories';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

describe('patch rollouts on 6 real sshd hosts', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;

  beforeAll(async () => {
    env = await connectTestEnv();
  });
  beforeEach(async () => {
    fx = await startRolloutFixture(6);
  });
  afterEach(async () => {
    await fx?.stop();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function withWorker<T>(fn: (taskQueue: string, worker: WorkerGroup) => Promise<T>): Promise<T> {
    const taskQueue = uniqueTaskQueue('rollout');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle() });
    return worker.runUntil(fn(taskQueue, worker));
  }

  /** The rollout's result with every host's versions, as `maint rollout status --json` shows it. */
  async function finalReport(handle: { workflowId: string; result: () => Promise<RolloutReport> }): Promise<RolloutReport> {
    const report = await handle.result();
    const label = historyLabel(expect.getState().currentTestName!, 'patch rollouts on 6 real sshd hosts');
    recordHistories([handle.workflowId, ...report.batches].map((workflowId, i) => ({ workflowId, file: `${label}-${i === 0 ? 'rollout' : `batch-${i}`}` })));
    return mergeVersions(report, await Promise.all(report.batches.map((id) => env.client.workflow.getHandle(id).result())));
  }

  function start(taskQueue: string, policyOverrides: string) {
    const rolloutId = `t-${taskQueue}`;
    return env.client.workflow.start('patchRolloutWorkflow', {
      taskQueue, workflowId: rolloutWorkflowId(rolloutId),
      args: [{ rolloutId, policy: fx.policy(policyOverrides), targets: { kind: 'inline' as const, hosts: fx.hosts } }],
    });
  }

  // A hang guard (generous for a loaded machine), not a timing: it fails the test, never moves on.
  const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000) => waitUntil(what, probe, timeoutMs, 150);

  async function waitForProgress(handle: { query: (q: typeof progressQuery) => Promise<RolloutProgress> }, predicate: (p: RolloutProgress) => boolean): Promise<RolloutProgress> {
    let last: RolloutProgress | undefined;
    return until(() => `progress to match ${predicate.toString()}; last: ${JSON.stringify(last)}`, async () => {
      last = await handle.query(progressQuery);
      return predicate(last) ? last : undefined;
    });
  }

  it('patches every host to v2 in waves, never more than maxUnavailable out of service', async () => {
    const report = await withWorker(async (tq) => finalReport(await start(tq, 'waves: {canary: 1, batches: [2, "100%"]}\nmaxUnavailable: 2\nbakeTime: 1500ms\n')));
    expect(report.status).toBe('completed');
    expect(report.waves.map((w) => [w.size, w.state])).toEqual([[1, 'done'], [2, 'done'], [3, 'done']]);
    for (let i = 0; i < 6; i++) {
      expect(fx.version(i)).toBe('2.0.0');
      expect(fx.applyCount(i)).toBe(1);
    }
    expect(report.hosts.map((h) => [h.name, h.state, h.record?.before.version, h.after?.version])).toEqual(
      fx.hosts.map((h) => [h.name, 'healthy', '1.0.0', '2.0.0']),
    );
    const intervals = fx.hosts.flatMap((_h, i) => fx.outOfService(i));
    expect(intervals).toHaveLength(6);
    expect(maxConcurrentOutOfService(intervals)).toBe(2);
    // The canary was back in service, and had baked for bakeTime, before the next wave started.
    const canaryBack = fx.outOfService(0)[0]![1];
    expect(Math.min(...fx.hosts.slice(1).map((_h, i) => fx.outOfService(i + 1)[0]![0]))).toBeGreaterThanOrEqual(canaryBack + 1500);
  });

  it('with rollback scope none, leaves the failed host as it is and ends failed', async () => {
    fx.makeUnhealthy(1, '2.0.0');
    const report = await withWorker(async (tq) => finalReport(await start(tq, 'waves: {canary: 1, batches: [1]}\nrollback: {scope: none}\n')));
    expect(report.status).toBe('failed');
    expect(report.hosts[1]).toMatchObject({ name: 'host-2', state: 'failed', after: { version: '2.0.0' } });
    expect(fx.version(1)).toBe('2.0.0'); // not rolled back, as the policy says
    expect(fx.version(0)).toBe('2.0.0');
    expect([2, 3, 4, 5].map((i) => fx.applyCount(i))).toEqual([0, 0, 0, 0]);
  });

  it.each([
    ['batch', ['2.0.0', '2.0.0', '2.0.0']],
    ['all-patched', ['1.0.0', '1.0.0', '1.0.0']],
  ])('rolls back the failing batch and halts (scope %s)', async (scope, earlier) => {
    fx.makeUnhealthy(3, '2.0.0');
    const report = await withWorker(async (tq) => finalReport(await start(tq, `waves: {canary: 1, batches: [2, 1, 2]}\nrollback: {scope: ${scope}}\n`)));
    expect(report.status).toBe('rolled_back');
    expect(report.message).toMatch(/halted in wave 2: 1 host\(s\) failed, 0 tolerated/);
    expect([0, 1, 2].map((i) => fx.version(i))).toEqual(earlier);
    expect(fx.version(3)).toBe('1.0.0'); // rolled back, and healthy again
    const host4 = report.hosts.find((h) => h.name === 'host-4')!;
    expect(host4).toMatchObject({ state: 'rolled-back', after: { version: '1.0.0' } });
    expect(host4.error).toMatch(/host-4: unhealthy: .*HTTP 503 unhealthy version=2\.0\.0.*\(rolled back\)/);
    // Later hosts were never touched.
    for (const i of [4, 5]) {
      expect(fx.version(i)).toBe('1.0.0');
      expect(fx.applyCount(i)).toBe(0);
      expect(report.hosts[i]!.state).toBe('skipped');
    }
    // Every host that went out of service came back.
    for (let i = 0; i < 6; i++) expect(fx.outOfService(i).every(([, to]) => Number.isFinite(to))).toBe(true);
  });

  it('pauses between hosts, resumes, and waits at the approval gate until approved', async () => {
    await withWorker(async (tq) => {
      const handle = await start(tq, 'waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\napproval: {after: canary}\n');
      const waiting = await waitForProgress(handle, (p) => p.status === 'awaiting-approval');
      expect(waiting.message).toContain('maint rollout approve');
      expect(fx.version(0)).toBe('2.0.0');
      expect([1, 2, 3, 4, 5].map((i) => fx.version(i))).toEqual(Array(5).fill('1.0.0'));
      // Nothing moves while waiting.
      await new Promise((r) => setTimeout(r, 1500));
      expect(fx.applyCount(1)).toBe(0);

      await handle.signal(pauseSignal, {});
      expect(await handle.executeUpdate(approveUpdate, { args: [{ by: 'test' }] })).toEqual({ approvedWave: 0 });
      await waitForProgress(handle, (p) => p.status === 'paused');
      await new Promise((r) => setTimeout(r, 1500));
      expect([1, 2, 3, 4, 5].map((i) => fx.applyCount(i))).toEqual([0, 0, 0, 0, 0]);
      await expect(handle.executeUpdate(approveUpdate, { args: [{}] })).rejects.toMatchObject({ cause: { message: expect.stringContaining('is not waiting for approval (status: paused)') } });
      // A pause with a reason (an incident on the service) says why; resuming clears it.
      await handle.signal(pauseSignal, { reason: 'incident shop-1: shop is down' });
      expect((await waitForProgress(handle, (p) => p.message !== undefined)).message).toBe('paused: incident shop-1: shop is down');

      await handle.signal(resumeSignal);
      expect((await handle.query(progressQuery)).message).toBeUndefined();
      const report: RolloutReport = await handle.result();
      expect(report.status).toBe('completed');
      expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(Array(6).fill('2.0.0'));
      // Once the workflow has closed, the server itself refuses updates.
      await expect(handle.executeUpdate(abortUpdate, { args: [{}] })).rejects.toThrow(/already completed/);
    });
  });

  it('abort during a batch rolls back that batch and touches nothing after it', async () => {
    // The switch that keeps the second wave in flight: 2.0.0 answers 503 on its three hosts, and
    // the health deadline is far beyond the test's, so that batch can only end by the abort.
    for (const i of [1, 2, 3]) fx.makeUnhealthy(i, '2.0.0');
    await withWorker(async (tq) => {
      const handle = await start(tq, 'waves: {canary: 1, batches: [3, "100%"]}\nmaxUnavailable: 3\nhealth: {checks: [{kind: http, url: "http://127.0.0.1:{{host.tags.healthPort}}/health"}], interval: 300ms, consecutiveSuccesses: 2, deadline: 15m}\n');
      const secondWave = batchWorkflowId(`t-${tq}`, 1, 0);
      // In flight: all three hosts patched and verifying (their endpoints asked), the batch still running.
      const verifying = await until('wave 2 to be patched and verifying on all three hosts', async () => {
        const p = await handle.query(progressQuery);
        if (!(p.runningBatches ?? []).includes(secondWave)) return undefined;
        const hosts = await env.client.workflow.getHandle(secondWave).query(batchProgressQuery);
        const seen = [1, 2, 3].map((i) => fx.health[i]!.requests());
        return hosts.every((h) => h.state === 'verifying') && [1, 2, 3].every((i) => fx.version(i) === '2.0.0') && seen.every((n) => n > 0) ? hosts : undefined;
      });
      expect(verifying.map((h) => h.name)).toEqual(['host-2', 'host-3', 'host-4']);
      expect((await handle.query(progressQuery)).status).toBe('running');
      expect(await handle.executeUpdate(abortUpdate, { args: [{ by: 'ops', reason: 'customer escalation' }] })).toEqual({ accepted: true });
      const report = await finalReport(handle);
      expect(report.status).toBe('aborted');
      expect(report.message).toBe('aborted by ops: customer escalation');
      expect(fx.version(0)).toBe('2.0.0'); // the canary wave had finished
      expect([1, 2, 3].map((i) => fx.version(i))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
      expect(report.hosts.slice(1, 4).map((h) => h.state)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
      expect([4, 5].map((i) => fx.applyCount(i))).toEqual([0, 0]);
      expect(report.hosts.slice(4).map((h) => h.state)).toEqual(['skipped', 'skipped']);
      for (let i = 0; i < 6; i++) expect(fx.outOfService(i).every(([, to]) => Number.isFinite(to))).toBe(true);
    });
  });

  it('by reference: re-reads the inventory per batch; a removed host is skipped, an added one only reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-targets-'));
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, fx.fleet.inventoryYaml());
    await withWorker(async (tq) => {
      const rolloutId = `ref-${tq}`;
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue: tq, workflowId: rolloutWorkflowId(rolloutId),
        args: [{ rolloutId, policy: fx.policy('waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 3\napproval: {after: canary}\n'), targets: { kind: 'source' as const, source: { kind: 'static' as const, file }, selector: 'role=web' } }],
      });
      await waitForProgress(handle, (p) => p.status === 'awaiting-approval');
      // While the canary waits for approval, host-6 leaves the inventory and a new host joins.
      writeFileSync(file, fx.fleet.inventoryYaml((h, i) => (i === 5 ? { name: 'web-new', tags: { ...h.tags } } : {})));
      await handle.executeUpdate(approveUpdate, { args: [{}] });
      const report = await finalReport(handle);
      expect(report.status).toBe('completed');
      expect(report.hosts.map((h) => h.name)).toEqual(['host-1', 'host-2', 'host-3', 'host-4', 'host-5', 'host-6']);
      expect(report.hosts[5]).toMatchObject({ state: 'skipped', error: 'no longer in the inventory; not touched' });
      expect(report.notes).toEqual(['1 host(s) joined the inventory after this rollout began and are not part of it: web-new']);
      expect([0, 1, 2, 3, 4].map((i) => fx.version(i))).toEqual(Array(5).fill('2.0.0'));
      expect(fx.version(5)).toBe('1.0.0'); // web-new is host-6's sshd under another name: untouched
      expect(fx.applyCount(5)).toBe(0);
    });
  });
});
