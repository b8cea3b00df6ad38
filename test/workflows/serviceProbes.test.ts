import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rolloutWorkflowId } from '../../policies/rollout/types';
import { pausesQuery } from '../helpers/windowInProgressWorkflow';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { dirname } from 'node:path';
import { Worker } from '@temporalio/worker';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { renderServices } from '../../cli/services';
import { loadOrganisation } from '../../control/organisation';
import { applyProbeChanges, organisationName, planProbeChanges, serviceProbePlans, type ProbeChange } from '../../control/probes';
import { serviceStatuses } from '../../control/services';
import { probeGroupId } from '../../policies/probes/plan';
import { openStore, type Store, type StoreConfig } from '../../store';
import { incident, incidentPages, incidents } from '../../store/incidents';
import { probeResults } from '../../store/probes';
import { createWorker, type WorkerGroup } from '../../worker';
import { startHealthEndpoint, type HealthEndpoint } from '../helpers/healthEndpoint';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../helpers/pagerDutyReceiver';
import { ENGINES, useEngine } from '../helpers/storeEngines';
import { connectTestEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { runMaint } from '../helpers/cli';
import { recordHistories } from '../helpers/replayHistories';
import { until } from '../helpers/until';

const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000000';

/** An organisation file with one service probed every second (the shortest interval). */
function organisationYaml(ORG: string, pd: PagerDutyReceiver, service: string, probes: string, probeFrom?: string): string {
  return `apiVersion: maint/v1
kind: Organisation
organisation: {name: ${ORG}, contact: {email: ops@acme.example}}
incidents: {after: 3}
paging: {kind: pagerduty, url: "${pd.url}", routingKeySecretEnv: MAINT_TEST_PD_ROUTING_KEY}
slaTiers: [{name: gold, availability: "99.9%", timezone: UTC}]
services:
  - name: ${service}
    tier: gold
    probeInterval: 1s
${probeFrom ? `    probeFrom: ${probeFrom}\n` : ''}    probes:
${probes}
windows:
  - {name: ${service}-monthly, timezone: UTC, recurrence: {kind: monthly, week: 2, day: tue, at: "22:00"}, duration: 4h, cutoff: 1h, services: [${service}]}
`;
}

describe.each(ENGINES)('service probes, incidents and paging (real Temporal, store on %s)', (engine) => {
  // Its own organisation: a probe workflow of another test's is not this apply's to stop.
  const ORG = `Acme Hosting ${engine} B.V.`;
  let env: TestWorkflowEnvironment;
  let shop: HealthEndpoint;
  let pd: PagerDutyReceiver;
  let store: Store;
  let config: StoreConfig;
  let dir: string;
  afterAll(async () => {
    await store?.close();
    await Promise.all([shop?.close(), pd?.close()]);
    await env?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });
  // Jest runs afterAll hooks in the order they are defined: the one above closes the store before this stops PostgreSQL.
  const { fresh } = useEngine(engine);
  beforeAll(async () => {
    process.env.MAINT_TEST_PD_ROUTING_KEY = ROUTING_KEY;
    dir = mkdtempSync(join(tmpdir(), 'maint-probes-'));
    [env, shop, pd] = await Promise.all([connectTestEnv(), startHealthEndpoint({ status: 200, body: 'ok shop\n' }), startPagerDutyReceiver()]);
    config = await fresh();
    store = await openStore(config);
  });

  /** What `maint apply` does for the probes of this file: returns the changes it made. */
  async function apply(yaml: string, taskQueue: string): Promise<ProbeChange[]> {
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, yaml);
    const organisation = await loadOrganisation([file]);
    const plans = serviceProbePlans(organisation);
    const changes = await planProbeChanges(env.client, organisationName(organisation), plans, taskQueue);
    await applyProbeChanges(env.client, organisationName(organisation), plans, changes, taskQueue);
    return changes;
  }

  it('a failing service opens an incident after 3 rounds, linked to the window run in progress, pages once, resolves once when it recovers; every result is in the store; maint services status shows it', async () => {
    const taskQueue = uniqueTaskQueue('probes');
    const service = `webshop-${engine}`;
    const worker: WorkerGroup = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector(), store, schedules: { client: env.client } },
    });
    const home = `      - {name: home, kind: http, url: "${shop.url}", bodyMatches: "^ok", latencyThreshold: 900ms, timeout: 1s}`;
    // The services probed from one place at one interval share a workflow: here just this one.
    const workflowId = probeGroupId(ORG, { intervalMs: 1000, shard: 0, shards: 1 });
    expect(workflowId).toBe(`probe-acme-hosting-${engine}-b-v-1s-1of1`);

    // A run of the service's window, in progress, running a rollout: the incident links to both.
    const windowQueue = uniqueTaskQueue('window');
    const windowWorker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue: windowQueue, workflowsPath: require.resolve('../helpers/windowInProgressWorkflow') });
    const windowRun = `window-${service}-monthly-20261208T2200Z`;
    const rolloutId = `web-rollout-${engine}`;
    const status = {
      window: `${service}-monthly`, title: { nl: service, en: service }, services: [{ name: service, title: { nl: service, en: service } }],
      occurrence: { start: '2026-12-08T22:00:00.000Z', end: '2026-12-09T02:00:00.000Z', localStart: '2026-12-08 22:00', localEnd: '2026-12-09 02:00' },
      end: '2026-12-09T02:00:00.000Z', phase: 'in-progress', tasks: [{ name: 'web', state: 'running', rolloutId }], notices: [],
    };
    // A store config the CLI finds: MAINT_DATABASE_URL, or the data directory of the SQLite file.
    const cliEnv = config.engine === 'postgres' ? { MAINT_DATABASE_URL: config.url } : { MAINT_DATA_DIR: dirname(config.file), MAINT_DATABASE_URL: '' };
    await worker.runUntil(run);

    async function run(): Promise<void> {
      await windowWorker.runUntil(async () => {
        await env.client.workflow.start('maintenanceWindowWorkflow', { taskQueue: windowQueue, workflowId: windowRun, args: [{ status }], memo: { window: `${service}-monthly`, organisation: ORG } });
        await env.client.workflow.start('patchRolloutWorkflow', { taskQueue: windowQueue, workflowId: rolloutWorkflowId(rolloutId) });
        try {
          await scenario();
        } finally {
          const remoteId = probeGroupId(ORG, { probeFrom: `${taskQueue}-ams-control`, intervalMs: 1000, shard: 0, shards: 1 });
          await Promise.all([windowRun, workflowId, remoteId, rolloutWorkflowId(rolloutId)].map((id) => env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined)));
        }
      });
    }

    async function scenario() {
      expect(await apply(organisationYaml(ORG, pd, service, home), taskQueue)).toEqual([
        { action: 'create', workflowId, service, description: `1 probe every 1s from ${taskQueue}-control` },
      ]);
      const rounds = async () => (await probeResults(store, service, { from: 0, to: Date.now() + 1000 }));
      await until('two healthy rounds', async () => ((await rounds()).filter((r) => r.ok).length >= 2 ? true : undefined), 30_000);
      const [up] = await serviceStatuses(store, serviceProbePlans(await loadOrganisation([join(dir, 'maint.yaml')])));
      expect(up).toMatchObject({ service, state: 'up', probes: [{ name: 'home', kind: 'http', last: { ok: true, service, probe: 'home' } }] });
      expect(up!.openIncident).toBeUndefined();

      // The service breaks; PagerDuty is unavailable for the first attempt at the trigger.
      pd.failNext(1);
      shop.set({ status: 503, body: 'maintenance\n' });
      const [opened] = await until('an incident', async () => {
        const found = await incidents(store, service);
        return found.length > 0 && pd.events().length > 0 ? found : undefined;
      }, 60_000);
      expect(opened!.resolvedAt).toBeUndefined();
      // Linked (before it was paged) to the window run in progress on the service and its rollout.
      expect(await incident(store, opened!.id)).toMatchObject({ windowRun, rolloutId });
      // The rollout running on the service was paused, saying why.
      const pauses = await until('the rollout paused', async () => {
        const got = await env.client.workflow.getHandle(rolloutWorkflowId(rolloutId)).query(pausesQuery);
        return got.length > 0 ? got : undefined;
      }, 30_000);
      expect(pauses).toEqual([`incident ${opened!.id}: ${opened!.summary}`]);
      expect(opened!.summary).toContain(`${service} is down: probes failed 3 rounds in a row`);
      expect(opened!.failures).toEqual([{ probe: 'home', error: `${shop.url} → HTTP 503 maintenance (expected 200)` }]);
      // Exactly three failed rounds before it opened.
      const roundStart = (r: { roundId: string }) => Number(r.roundId.split('/')[1]);
      const before = (await rounds()).filter((r) => roundStart(r) <= opened!.openedAt && !r.ok);
      expect(before.length).toBe(3);
      const down = await serviceStatuses(store, [service]);
      expect(down[0]).toMatchObject({ state: 'down', openIncident: { id: opened!.id } });
      expect(renderServices(down)).toContain(`${opened!.id} (during ${windowRun})`);
      const cli = await runMaint(['services', 'status', '-f', join(dir, 'maint.yaml'), '--json'], cliEnv);
      expect(cli.code).toBe(1);
      const [asJson] = JSON.parse(cli.stdout) as Array<{ figures: { availabilityPercent: number; budget: { spentMinutes: number; allowedMinutes: number } } }>;
      expect(asJson).toMatchObject({
        service, state: 'down', openIncident: { id: opened!.id, windowRun, rolloutId }, probes: [{ name: 'home', kind: 'http', last: { ok: false } }],
        // With the files: its tier, this month's availability from the store's results, the budget spent by the outage, the next window.
        figures: { tier: 'gold', targetPercent: 99.9, month: new Date().toISOString().slice(0, 7), nextWindow: { name: `${service}-monthly`, start: expect.stringMatching(/T22:00:00\.000Z$/) } },
      });
      expect(asJson!.figures.availabilityPercent).toBeLessThan(100);
      expect(asJson!.figures.budget.spentMinutes).toBeGreaterThan(0);
      const withFiles = await runMaint(['services', 'status', '-f', join(dir, 'maint.yaml')], cliEnv);
      expect(withFiles.stdout).toMatch(new RegExp(`^${service} +down +gold +\\d+\\.\\d{3}% of 99\\.9% +-?[\\d.]+ min of [\\d.]+ min +${service}-monthly \\S+`, 'm'));

      // Still down for a few rounds: no second incident, no second page.
      const downSince = (await rounds()).length;
      await until('three more failing rounds', async () => ((await rounds()).length >= downSince + 3 ? true : undefined), 30_000);
      shop.set({ status: 200, body: 'ok shop\n' });
      await until('the resolve page', () => (pd.events().some((e) => e.event_action === 'resolve') ? true : undefined), 60_000);
      const healthyAgain = (await rounds()).length;
      await until('two more rounds', async () => ((await rounds()).length >= healthyAgain + 2 ? true : undefined), 30_000);

      const events = pd.events();
      expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([['trigger', opened!.id], ['resolve', opened!.id]]);
      expect(pd.requests()).toBe(3); // the refused attempt, the trigger, the resolve
      expect(events[0]).toEqual({
        routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: opened!.id,
        payload: {
          summary: opened!.summary, source: new URL(shop.url).host, severity: 'critical', component: service, timestamp: new Date(opened!.openedAt).toISOString(),
          custom_details: {
            organisation: ORG, service, incident: opened!.id, opened_at: new Date(opened!.openedAt).toISOString(), failures: opened!.failures,
            maintenance_window_run: windowRun, rollout: rolloutId,
          },
        },
      });
      expect(events[1]).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: opened!.id });
      expect(await incidentPages(store, opened!.id)).toEqual([
        { action: 'trigger', state: 'sent', attempts: 2 },
        { action: 'resolve', state: 'sent', attempts: 1 },
      ]);
      const [resolved] = await incidents(store, service);
      expect(resolved!.resolvedAt).toBeGreaterThan(opened!.openedAt);
      expect(resolved).toMatchObject({ windowRun, rolloutId, linkedAt: expect.any(Number) });
      expect((await serviceStatuses(store, [service]))[0]).toMatchObject({ state: 'up' });
      expect((await serviceStatuses(store, [service]))[0]!.openIncident).toBeUndefined();
      const table = await runMaint(['services', 'status'], { ...cliEnv, TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS });
      expect(table.stderr).toBe('');
      expect(table.stdout).toMatch(new RegExp(`^SERVICE +STATE +TIER +THIS MONTH +BUDGET LEFT +NEXT WINDOW +LAST ROUND +INCIDENT +PROBES$`, 'm'));
      // Without the files no tier or window is known: those columns say "-".
      expect(table.stdout).toMatch(new RegExp(`^${service} +up +- +- +- +- +\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z +- +home: ok \\d+ ms$`, 'm'));
      // Every round's result is in the store: the failures with their error, the rest ok.
      const all = await rounds();
      expect(all.filter((r) => !r.ok).every((r) => r.error?.includes('HTTP 503'))).toBe(true);
      expect(all.filter((r) => !r.ok).length).toBeGreaterThanOrEqual(6);
      expect(all.filter((r) => r.ok).every((r) => r.latencyMs! >= 0 && r.error === undefined)).toBe(true);

      // Changed probes, run from another location (a worker serving only its control queue): the
      // service moves to that location's probe workflow, the first one stops; the same file again changes nothing.
      const location = `${taskQueue}-ams`;
      const remoteId = probeGroupId(ORG, { probeFrom: `${location}-control`, intervalMs: 1000, shard: 0, shards: 1 });
      const remote = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue: location, queues: ['control'], deps: { ssh: new NodeSshConnector(), store } });
      await remote.runUntil(async () => {
        const withTcp = `${home}\n      - {name: port, kind: tcp, host: 127.0.0.1, port: ${shop.port}, timeout: 1s}`;
        const yaml = organisationYaml(ORG, pd, service, withTcp, `${location}-control`);
        expect(await apply(yaml, taskQueue)).toEqual([
          { action: 'update', workflowId: remoteId, service, description: `2 probes every 1s from ${location}-control` },
          { action: 'stop', workflowId, service, description: `moved to ${remoteId}` },
        ]);
        const fromThere = await until('a round from the other location', async () => {
          const found = (await rounds()).filter((r) => r.probe === 'port');
          return found.length > 0 ? found : undefined;
        }, 30_000);
        expect(fromThere[0]).toMatchObject({ ok: true, location: `${location}-control` });
        await until('the memo to carry the new plan', async () => ((await apply(yaml, taskQueue)).map((c) => c.action).join() === 'unchanged' ? true : undefined), 30_000);
      });
      await env.client.workflow.getHandle(workflowId).result();
      // About a dozen events a round: 200 rounds before continue-as-new stay far below 10,240.
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const roundsRun = new Set((await rounds()).map((r) => r.roundId)).size;
      expect(history.events!.length).toBeLessThan(13 * roundsRun + 20);
      // The routing key never entered a payload: only its variable's name did.
      const payloads = JSON.stringify(history, (key, v: unknown) => (
        v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v));
      expect(payloads).toContain('MAINT_TEST_PD_ROUTING_KEY');
      expect(payloads).not.toContain(ROUTING_KEY);

      // The service loses its probes: its workflow is stopped.
      const gone = `apiVersion: maint/v1
kind: Organisation
organisation: {name: ${ORG}, contact: {email: ops@acme.example}}
services: [{name: ${service}}]
`;
      expect((await apply(gone, taskQueue)).map((c) => [c.action, c.workflowId])).toEqual([['stop', remoteId]]);
      await env.client.workflow.getHandle(remoteId).result();
      if (engine === 'sqlite') recordHistories([{ workflowId, file: 'service-probe-incident-moved' }, { workflowId: remoteId, file: 'service-probe-updated-stopped' }]);
      for (const id of [workflowId, remoteId]) expect((await env.client.workflow.getHandle(id).describe()).status.name).toBe('COMPLETED');
    }
  });
});
