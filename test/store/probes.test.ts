import { createProbeActivities } from '../../activities/probes';
import { renderServices } from '../../cli/services';
import { serviceStatuses } from '../../control/services';
import type { ProbeResult } from '../../policies/availability/types';
import type { ServiceProbePlan } from '../../policies/probes/plan';
import { openStore, type Store } from '../../store';
import { claimPage, incident, incidentPages, recordProbeRound, serviceProbeState, unreportedIncidents } from '../../store/incidents';
import { MIGRATIONS } from '../../store/migrations';
import { hourlyProbeRounds, insertProbeResults, latestRound, probeResults } from '../../store/probes';
import { startHealthEndpoint } from '../helpers/healthEndpoint';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../helpers/pagerDutyReceiver';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const RULES = { after: 2, resolveAfter: 1 };
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const result = (service: string, probe: string, at: number, ok: boolean): ProbeResult => ({ service, probe, at, ok, latencyMs: 12, ...(ok ? {} : { error: 'HTTP 503' }) });
const round = (service: string, i: number, ok: boolean) => ({
  id: `${service}/${T0 + i * 30_000}`, service, at: T0 + i * 30_000, location: 'maint-control',
  results: [result(service, 'home', T0 + i * 30_000 + 5, ok), result(service, 'api', T0 + i * 30_000 + 7, true)],
});

describe.each(ENGINES)('probe results and incidents in the store on %s', (engine) => {
  let store: Store;
  let pd: PagerDutyReceiver;
  afterAll(async () => {
    await store?.close();
    await pd?.close();
  });
  const { fresh } = useEngine(engine);
  beforeAll(async () => {
    store = await openStore(await fresh());
    pd = await startPagerDutyReceiver();
    process.env.MAINT_TEST_STORE_PD_KEY = 'key-1';
  });

  it('writes results in batches; a (round, probe) written again is left as it was', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({ ...result('bulk', `p${i % 5}`, T0 + i, i % 7 !== 0), roundId: `bulk/${Math.floor(i / 5)}`, location: 'here' }));
    await insertProbeResults(store.db, rows);
    await insertProbeResults(store.db, rows.slice(0, 1200));
    const stored = await probeResults(store, 'bulk', { from: T0, to: T0 + 10_000 });
    expect(stored).toHaveLength(2500);
    expect(stored.filter((r) => !r.ok)).toHaveLength(rows.filter((r) => !r.ok).length);
    expect(stored[7]).toEqual({ service: 'bulk', probe: 'p2', at: T0 + 7, ok: false, latencyMs: 12, error: 'HTTP 503', roundId: 'bulk/1', location: 'here' });
    expect((await latestRound(store, 'bulk')).map((r) => r.probe)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('a round recorded twice (an activity retry) counts once: one incident, opened by the second failed round, resolved by the next good one', async () => {
    const service = 'shop';
    expect((await recordProbeRound(store, round(service, 0, false), RULES)).transition).toEqual({ kind: 'none' });
    const first = await recordProbeRound(store, round(service, 1, false), RULES);
    expect(first).toEqual({ condition: 'down', transition: { kind: 'open', incidentId: 'shop-20261201T000030Z' }, counted: true });
    expect(await recordProbeRound(store, round(service, 1, false), RULES)).toEqual({ condition: 'down', transition: { kind: 'none' }, counted: false });
    expect(await probeResults(store, service, { from: T0, to: T0 + 60_000 })).toHaveLength(4);
    const state = await serviceProbeState(store, service);
    expect(state).toMatchObject({ condition: 'down', downRounds: 2, lastRoundAt: T0 + 30_000, openIncident: { id: 'shop-20261201T000030Z', openedAt: T0 + 30_000, failures: [{ probe: 'home', error: 'HTTP 503' }] } });
    expect((await recordProbeRound(store, round(service, 2, false), RULES)).transition.kind).toBe('none');
    expect((await recordProbeRound(store, round(service, 3, true), RULES)).transition).toEqual({ kind: 'resolve', incidentId: 'shop-20261201T000030Z' });
    expect((await recordProbeRound(store, round(service, 3, true), RULES)).counted).toBe(false);
    expect(await incident(store, 'shop-20261201T000030Z')).toMatchObject({ resolvedAt: T0 + 90_000 });
    expect((await serviceProbeState(store, service)).openIncident).toBeUndefined();
    // As `maint services status` shows it: with the plan, a last round three intervals ago is stale.
    const plan = { service, probes: [{ kind: 'http' as const, name: 'home', url: 'https://shop.example', expectStatus: 200, timeout: 1000 }, { kind: 'tcp' as const, name: 'db', host: 'db', port: 5432, timeout: 1000 }], intervalMs: 30_000 } as ServiceProbePlan;
    const [recent, old] = [await serviceStatuses(store, [plan], T0 + 120_000), await serviceStatuses(store, [plan], T0 + 200_000)];
    expect(recent[0]).toEqual({
      service, state: 'up', lastRoundAt: new Date(T0 + 90_000).toISOString(),
      probes: [{ name: 'home', kind: 'http', last: { service, probe: 'home', at: T0 + 90_005, ok: true, latencyMs: 12 } }, { name: 'db', kind: 'tcp' }],
    });
    expect(old[0]!.stale).toBe(true);
    expect(renderServices(old)).toMatch(/^shop +up \(stale\) +- +- +- +- +2026-12-01T00:01:30Z +- +home: ok 12 ms; db: no result yet$/m);
  });

  it('counts each hour\'s rounds as they are written: down, degraded and up rounds once each, a retried round not again, an hour by its round\'s first result', async () => {
    const service = 'hours';
    const hour = (h: number) => T0 + h * 3_600_000;
    const results = (id: string, at: number, states: ('up' | 'slow' | 'down')[]) => states.map((s, i) => ({
      ...result(service, `p${i}`, at + i, s !== 'down'), ...(s === 'slow' ? { degraded: true } : {}), roundId: id, location: 'here',
    }));
    await insertProbeResults(store.db, [
      ...results('r1', hour(0) + 1000, ['up', 'up']),
      ...results('r2', hour(0) + 31_000, ['down', 'slow']),
      ...results('r3', hour(0) + 61_000, ['slow', 'up']),
      // Starts in the last millisecond of hour 0: its second result is in hour 1, the round is not.
      ...results('r4', hour(1) - 1, ['up', 'up']),
    ]);
    // An activity retry writes r3 again, and hour 1's round is written later.
    await insertProbeResults(store.db, [...results('r3', hour(0) + 61_000, ['slow', 'up']), ...results('r5', hour(1) + 5000, ['down', 'down'])]);
    expect(await hourlyProbeRounds(store, [service], { from: hour(0), to: hour(2) })).toEqual([
      { service, hour: hour(0), rounds: 4, down: 1, degraded: 1 },
      { service, hour: hour(1), rounds: 1, down: 1, degraded: 0 },
    ]);
    expect(await hourlyProbeRounds(store, [service], { from: hour(1), to: hour(2) })).toEqual([{ service, hour: hour(1), rounds: 1, down: 1, degraded: 0 }]);
  });

  it('a store from before the hourly counts gets them from its results when it is migrated', async () => {
    const config = await fresh();
    const before = await openStore(config, { migrations: MIGRATIONS.filter((m) => m.name < '0009') });
    try {
      await before.db.insertInto('probe_results').values([
        { round_id: 'old/1', probe: 'a', service: 'old', at: T0 + 10, ok: 1, degraded: 0, latency_ms: 5, error: null, location: 'here' },
        { round_id: 'old/1', probe: 'b', service: 'old', at: T0 + 12, ok: 0, degraded: 0, latency_ms: null, error: 'refused', location: 'here' },
        { round_id: 'old/2', probe: 'a', service: 'old', at: T0 + 3_600_010, ok: 1, degraded: 1, latency_ms: 900, error: null, location: 'here' },
      ]).execute();
    } finally {
      await before.close();
    }
    const after = await openStore(config);
    try {
      expect(await hourlyProbeRounds(after, ['old'], { from: T0, to: T0 + 7_200_000 })).toEqual([
        { service: 'old', hour: T0, rounds: 1, down: 1, degraded: 0 },
        { service: 'old', hour: T0 + 3_600_000, rounds: 1, down: 0, degraded: 1 },
      ]);
    } finally {
      await after.close();
    }
  });

  it('one round of a probe group probes every service and records each under its own round id; the round retried records nothing twice', async () => {
    const [ok, broken] = await Promise.all([startHealthEndpoint({ status: 200, body: 'ok\n' }), startHealthEndpoint({ status: 503, body: 'down\n' })]);
    try {
      const member = (service: string, url: string): ServiceProbePlan => ({
        organisation: 'Acme', service, intervalMs: 30_000, incidents: { after: 1, resolveAfter: 1 }, windows: [], configHash: service,
        probes: [{ kind: 'http', name: 'home', url, expectStatus: 200, timeout: 2000 }],
      });
      const plans = [member('group-up', ok.url), member('group-down', broken.url)];
      const activities = createProbeActivities({ store });
      const at = T0 + 3_600_000;
      const first = await activities.runProbeRounds({ plans, at });
      expect(first).toEqual({
        'group-up': { condition: 'up', transition: { kind: 'none' }, unreported: 0 },
        'group-down': { condition: 'down', transition: { kind: 'open', incidentId: 'group-down-20261201T010000Z' }, unreported: 1 },
      });
      const again = await activities.runProbeRounds({ plans, at });
      expect(again['group-down']).toEqual({ condition: 'down', transition: { kind: 'none' }, unreported: 1 });
      for (const service of ['group-up', 'group-down']) {
        // A result carries the time its probe answered; the round id carries the round's start.
        const stored = (await probeResults(store, service, { from: 0, to: Date.now() + 1000 })).filter((r) => r.roundId?.startsWith(`${service}/`));
        expect(stored.map((r) => [r.roundId, r.probe, r.ok])).toEqual([[`${service}/${at}`, 'home', service === 'group-up']]);
      }
    } finally {
      await Promise.all([ok.close(), broken.close()]);
    }
  });

  it('pages each trigger and resolve once through the ledger; a poster that died before the answer is sent again', async () => {
    const service = 'api';
    const plan: ServiceProbePlan = {
      organisation: 'Acme', service, intervalMs: 30_000, incidents: RULES, windows: [], configHash: 'x',
      probes: [{ kind: 'http', name: 'home', url: 'https://api.acme.example/health', expectStatus: 200, timeout: 1000 }],
      paging: { kind: 'pagerduty', url: pd.url, routingKeySecretEnv: 'MAINT_TEST_STORE_PD_KEY' },
    };
    const activities = createProbeActivities({ store });
    for (const i of [0, 1]) await recordProbeRound(store, round(service, i, false), RULES);
    const id = 'api-20261201T000030Z';
    expect(await unreportedIncidents(store, service)).toMatchObject([{ incident: { id }, actions: ['trigger'] }]);
    // An attempt claims the trigger and dies before PagerDuty's answer is recorded: the retry sends it again.
    expect(await claimPage(store, id, 'trigger')).toBe('send');
    expect(await activities.reportIncidents({ plan })).toEqual([{ incident: id, action: 'trigger', state: 'sent' }]);
    expect(await activities.reportIncidents({ plan })).toEqual([]);
    expect(await incidentPages(store, id)).toEqual([{ action: 'trigger', state: 'sent', attempts: 2 }]);
    expect(await incident(store, id)).toMatchObject({ linkedAt: expect.any(Number) });
    await recordProbeRound(store, round(service, 2, true), RULES);
    expect(await activities.reportIncidents({ plan })).toEqual([{ incident: id, action: 'resolve', state: 'sent' }]);
    expect(await activities.reportIncidents({ plan })).toEqual([]);
    expect(pd.events().map((e) => [e.event_action, e.dedup_key, e.routing_key])).toEqual([['trigger', id, 'key-1'], ['resolve', id, 'key-1']]);
    expect(await unreportedIncidents(store, service)).toEqual([]);

    // Without paging, an incident is recorded as not paged, and so is its resolve: nothing is posted.
    const quiet = { ...plan, service: 'quiet' };
    delete quiet.paging;
    for (const i of [0, 1, 2]) await recordProbeRound(store, round('quiet', i, i >= 2), RULES);
    expect(await activities.reportIncidents({ plan: quiet })).toEqual([
      { incident: 'quiet-20261201T000030Z', action: 'trigger', state: 'not-paged' },
      { incident: 'quiet-20261201T000030Z', action: 'resolve', state: 'not-paged' },
    ]);
    expect(pd.requests()).toBe(2);
  });

  it('a routing key that is not set fails the page, naming the variable, and leaves it unsent', async () => {
    const plan: ServiceProbePlan = {
      organisation: 'Acme', service: 'nokey', intervalMs: 30_000, incidents: RULES, windows: [], configHash: 'x', probes: [],
      paging: { kind: 'pagerduty', url: pd.url, routingKeySecretEnv: 'MAINT_TEST_UNSET_KEY' },
    };
    for (const i of [0, 1]) await recordProbeRound(store, round('nokey', i, false), RULES);
    await expect(createProbeActivities({ store }).reportIncidents({ plan })).rejects.toThrow('environment variable MAINT_TEST_UNSET_KEY is not set on the worker');
    expect(await unreportedIncidents(store, 'nokey')).toMatchObject([{ actions: ['trigger'] }]);
  });
});
