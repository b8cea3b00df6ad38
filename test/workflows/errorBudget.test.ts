import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { loadOrganisation } from '../../control/organisation';
import { monthInterval, monthOf } from '../../policies/availability/months';
import { windowRunId, type WindowPlan, type WindowStatus } from '../../policies/windows/types';
import type { Store } from '../../store';
import { insertProbeResults } from '../../store/probes';
import { overrideBudgetUpdate } from '../../workflows/messages';
import { createWorker } from '../../worker';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/until';

/**
 * Error-budget gating on real parts: a window over a gold-tier service whose probes (in the store)
 * were down for most of the last two hours runs its security task and postpones its routine one,
 * unless operations override it.
 */
describe('error budget gating of a window’s tasks', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    env = await connectTestEnv();
    fx = await startRolloutFixture(2);
    store = await testStore();
    dir = mkdtempSync(join(tmpdir(), 'maint-budget-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    const policy = (name: string, host: string) => writeFileSync(join(dir, `${name}.yaml`), fx.policyYaml(`name: ${name}\ntargets: {inventory: inventory.yaml, selector: "name in (${host})"}`));
    policy('routine-roll', 'host-1');
    policy('security-roll', 'host-2');
    // Down for the first two thirds of the last two hours of this month (a probe every 30 s).
    const now = Date.now();
    const from = Math.max(monthInterval(monthOf(now, 'UTC'), 'UTC').start, now - 2 * 3600_000);
    const results = [];
    for (let at = from, i = 0; at < now; at += 30_000, i++) {
      const ok = at > from + ((now - from) * 2) / 3;
      results.push({ service: 'shop', probe: 'home', at, ok, roundId: `shop/${at}`, location: 'test', ...(ok ? { latencyMs: 20 } : { error: 'HTTP 503' }) });
    }
    await insertProbeResults(store.db, results);
  });
  afterAll(async () => {
    await store?.close();
    await fx?.stop();
    await env?.teardown();
  });

  async function plans(): Promise<WindowPlan[]> {
    const start = DateTime.utc().minus({ minutes: 1 }).startOf('minute').toFormat("yyyy-LL-dd'T'HH:mm");
    const window = (name: string) => `
  - name: ${name}
    timezone: UTC
    recurrence: {kind: once, at: "${start}"}
    duration: 30m
    cutoff: 20m
    services: [shop]
    allowOverlap: true
    notices: {leadTimes: [1h]}
    preflight: false
    tasks: [{kind: rollout, policy: security-roll.yaml, urgency: security}, {kind: rollout, policy: routine-roll.yaml}]
`;
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Budget, contact: {email: support@acme.example}}
slaTiers: [{name: gold, availability: "99.9%", timezone: UTC}]
services:
  - {name: shop, tier: gold, probes: [{name: home, kind: http, url: "http://127.0.0.1:9/"}]}
windows:${window('shop-now')}${window('shop-now-overridden')}`);
    return (await loadOrganisation([file])).windows;
  }

  it('postpones the routine task (saying why) and runs the security task; an override lets the routine one run', async () => {
    const [plain, overridden] = await plans();
    expect(plain!.errorBudgets).toEqual([expect.objectContaining({ service: 'shop', probeIntervalMs: 30_000, tier: expect.objectContaining({ name: 'gold', availability: 99.9 }) })]);
    expect(plain!.tasks.map((t) => [t.name, t.urgency])).toEqual([['security-roll', 'security'], ['routine-roll', 'routine']]);
    const taskQueue = uniqueTaskQueue('budget');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    await worker.runUntil(async () => {
      const run = (plan: WindowPlan) => {
        const occurrenceStart = new Date(Date.parse(`${plan.timing.recurrence.kind === 'once' ? plan.timing.recurrence.at : ''}:00Z`)).toISOString();
        return env.client.workflow.start('maintenanceWindowWorkflow', { taskQueue, workflowId: `${windowRunId(plan.name, occurrenceStart)}-${taskQueue}`, args: [{ plan, occurrenceStart }], memo: { window: plan.name } });
      };
      const first = await run(plain!);
      const status = (await first.result()) as WindowStatus;
      expect(status.phase).toBe('completed');
      expect(status.tasks.map((t) => [t.name, t.state])).toEqual([['security-roll', 'completed'], ['routine-roll', 'postponed']]);
      expect(status.tasks[1]).toMatchObject({ deferred: true });
      expect(status.tasks[1]!.message).toMatch(/^postponed: the error budget of shop \(gold, 99\.9% in \d{4}-\d\d\) is spent: [\d.]+ of [\d.]+ min; a routine task waits for budget \(urgency: security tasks still run; maint windows override shop-now --reason "…" runs it anyway\)$/);
      // host-2 (security) was patched, host-1 (routine) was not touched.
      expect([fx.version(0), fx.applyCount(0), fx.version(1)]).toEqual(['1.0.0', 0, '2.0.0']);

      // The same, overridden while the security task runs: the routine task runs too.
      fx.reset();
      const second = await run(overridden!);
      await until('the security task to run', async () => (fx.applyCount(1) > 0 ? true : undefined), 60_000);
      const after = await second.executeUpdate(overrideBudgetUpdate, { args: [{ by: 'alice', reason: 'customer asked for the fix tonight' }] });
      expect(after.budgetOverride).toEqual({ by: 'alice', reason: 'customer asked for the fix tonight' });
      const done = (await second.result()) as WindowStatus;
      expect(done.tasks.map((t) => [t.name, t.state])).toEqual([['security-roll', 'completed'], ['routine-roll', 'completed']]);
      expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '2.0.0']);
    });
  });
});
