import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { organisationSchema } from '../../policies/organisation/schema';
import { incidentId, NO_INCIDENT, roundCondition, trackRound, type IncidentTracker, type ServiceCondition } from '../../policies/probes/incidents';
import { planServiceProbes, probeGroups, type ServiceProbePlan } from '../../policies/probes/plan';

const RULES = { after: 3, resolveAfter: 1 };
const T0 = Date.UTC(2026, 11, 2, 3, 15, 0);

/** Feeds rounds (one condition each, 30 s apart) through the state machine; returns the transitions that happened. */
function run(conditions: ServiceCondition[], rules = RULES, start: IncidentTracker = NO_INCIDENT) {
  let tracker = start;
  const transitions: string[] = [];
  conditions.forEach((condition, i) => {
    const at = T0 + i * 30_000;
    const next = trackRound('webshop', tracker, { id: `webshop/${at}`, at, condition }, rules);
    tracker = next.tracker;
    if (next.transition.kind !== 'none') transitions.push(`${i}:${next.transition.kind}:${next.transition.incidentId}`);
  });
  return { tracker, transitions };
}

describe('the incident state machine (policies/probes/incidents.ts)', () => {
  it('a round is down when any probe failed, degraded when one was slow, else up', () => {
    expect(roundCondition([{ ok: true }, { ok: true, degraded: true }])).toBe('degraded');
    expect(roundCondition([{ ok: true, degraded: true }, { ok: false }])).toBe('down');
    expect(roundCondition([{ ok: true }, { ok: true }])).toBe('up');
    expect(roundCondition([])).toBe('up');
  });

  it('opens after `after` down rounds in a row, once, and resolves on the first round back', () => {
    const id = incidentId('webshop', T0 + 2 * 30_000);
    expect(id).toBe('webshop-20261202T031600Z');
    const { transitions, tracker } = run(['down', 'down', 'down', 'down', 'down', 'up', 'up']);
    expect(transitions).toEqual([`2:open:${id}`, `5:resolve:${id}`]);
    expect(tracker).toEqual({ downRounds: 0, recoveredRounds: 0, lastRound: `webshop/${T0 + 6 * 30_000}` });
  });

  it('a failure streak broken by one good round starts counting again; degraded is not down', () => {
    expect(run(['down', 'down', 'up', 'down', 'down']).transitions).toEqual([]);
    expect(run(['down', 'down', 'degraded', 'down', 'down']).transitions).toEqual([]);
    expect(run(['down', 'down', 'up', 'down', 'down', 'down']).transitions).toEqual([`5:open:${incidentId('webshop', T0 + 5 * 30_000)}`]);
  });

  it('resolveAfter: a flapping service stays in its incident until enough good rounds in a row', () => {
    const rules = { after: 2, resolveAfter: 3 };
    const id = incidentId('webshop', T0 + 30_000);
    expect(run(['down', 'down', 'up', 'up', 'down', 'up', 'up', 'degraded'], rules).transitions).toEqual([`1:open:${id}`, `7:resolve:${id}`]);
  });

  it('after: 1 opens on the first failure; a new incident after a resolve gets a new id', () => {
    const rules = { after: 1, resolveAfter: 1 };
    const { transitions } = run(['down', 'up', 'down', 'up'], rules);
    expect(transitions).toEqual([
      `0:open:${incidentId('webshop', T0)}`, `1:resolve:${incidentId('webshop', T0)}`,
      `2:open:${incidentId('webshop', T0 + 60_000)}`, `3:resolve:${incidentId('webshop', T0 + 60_000)}`,
    ]);
  });

  it('a round seen again (an activity retry) changes nothing and opens nothing twice', () => {
    const round = { id: 'webshop/1', at: T0, condition: 'down' as const };
    const first = trackRound('webshop', { downRounds: 2, recoveredRounds: 0 }, round, RULES);
    expect(first.transition.kind).toBe('open');
    const again = trackRound('webshop', first.tracker, round, RULES);
    expect(again).toEqual({ tracker: first.tracker, transition: { kind: 'none' } });
  });
});

const HEAD = `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Hosting B.V., contact: {email: support@acme.example}}
`;
const parse = (text: string, file = 'maint.yaml') => parsePolicyText(text, file, organisationSchema);
const problems = (text: string, file = 'maint.yaml') => {
  try {
    parse(text, file);
  } catch (err) {
    return (err as PolicyError).message;
  }
  throw new Error('expected a problem');
};

describe('services[].probes in the organisation file', () => {
  it('reads probes with their defaults: 30 s interval, 10 s timeout, status 200, incidents after 3', () => {
    const file = parse(`${HEAD}services:
  - name: webshop
    probes:
      - {name: home, kind: http, url: "https://shop.example/health", latencyThreshold: 800ms, bodyMatches: "ok"}
      - {name: db, kind: tcp, host: db.example, port: 5432, timeout: 3s}
      - {name: dns, kind: dns, host: shop.example, expect: [192.0.2.10]}
`);
    const { plans, problems: found } = planServiceProbes([{ file: 'maint.yaml', content: file }]);
    expect(found.size).toBe(0);
    expect(plans).toEqual([{
      organisation: 'Acme Hosting B.V.', service: 'webshop', intervalMs: 30_000, incidents: { after: 3, resolveAfter: 1 }, windows: [],
      probes: [
        { name: 'home', kind: 'http', url: 'https://shop.example/health', expectStatus: 200, timeout: 10_000, latencyThreshold: 800, bodyMatches: 'ok' },
        { name: 'db', kind: 'tcp', host: 'db.example', port: 5432, timeout: 3000 },
        { name: 'dns', kind: 'dns', host: 'shop.example', recordType: 'A', timeout: 10_000, expect: ['192.0.2.10'] },
      ],
    }]);
    expect(probeGroups('Acme Hosting B.V.', plans.map((p) => ({ ...p, configHash: 'h' }))).map((g) => [g.id, g.services.map((p) => p.service)])).toEqual([['probe-acme-hosting-b-v-30s-1of1', ['webshop']]]);
  });

  describe('probe groups: one workflow for the services of a location and interval, sharded by name', () => {
    const plan = (service: string, over: Partial<ServiceProbePlan> = {}): ServiceProbePlan => ({
      organisation: 'Acme', service, intervalMs: 30_000, incidents: { after: 3, resolveAfter: 1 }, windows: [], configHash: service,
      probes: [{ name: 'home', kind: 'http', url: `https://${service}.example/`, expectStatus: 200, timeout: 1000 }], ...over,
    });
    const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${i}`);

    it('groups by location and interval, and names each group after them', () => {
      const groups = probeGroups('Acme', [plan('shop'), plan('mail', { intervalMs: 60_000 }), plan('api'), plan('edge', { probeFrom: 'probes-ams' })]);
      expect(groups.map((g) => [g.id, g.probeFrom, g.intervalMs, g.services.map((p) => p.service)])).toEqual([
        ['probe-acme-30s-1of1', undefined, 30_000, ['api', 'shop']],
        ['probe-acme-60s-1of1', undefined, 60_000, ['mail']],
        ['probe-acme-probes-ams-30s-1of1', 'probes-ams', 30_000, ['edge']],
      ]);
    });

    it('splits 1,000 services into 16 workflows of at most about 100, each service in exactly one', () => {
      const groups = probeGroups('Acme', names(1000).map((n) => plan(n)));
      expect(groups).toHaveLength(16);
      expect(groups.map((g) => g.id)).toContain('probe-acme-30s-16of16');
      const all = groups.flatMap((g) => g.services.map((p) => p.service));
      expect(new Set(all).size).toBe(1000);
      expect(all).toHaveLength(1000);
      for (const g of groups) expect(g.services.length).toBeLessThanOrEqual(100);
      expect(probeGroups('Acme', names(100).map((n) => plan(n)))).toHaveLength(1);
      expect(probeGroups('Acme', names(101).map((n) => plan(n)))).toHaveLength(2);
    });

    it('keeps a service in its workflow while services come and go, until the group doubles', () => {
      const where = (groups: ReturnType<typeof probeGroups>) => new Map(groups.flatMap((g) => g.services.map((p) => [p.service, g.id] as const)));
      const before = where(probeGroups('Acme', names(300).map((n) => plan(n))));
      const after = where(probeGroups('Acme', names(350).filter((n) => n !== 'svc-7').map((n) => plan(n))));
      expect([...before].filter(([service, id]) => service !== 'svc-7' && after.get(service) !== id)).toEqual([]);
      expect(new Set(before.values()).size).toBe(4);
    });
  });

  it('names the file and path of each bad field', () => {
    const message = problems(`${HEAD}services:
  - name: webshop
    probeInterval: 500ms
    probeFrom: "not a queue"
    incidents: {after: 0}
    probes:
      - {name: home, kind: http, url: "ftp://shop.example"}
      - {name: home, kind: tcp, host: db.example}
      - {name: slow, kind: http, url: "https://shop.example"}
      - {name: what, kind: icmp, host: x}
      - {name: re, kind: http, url: "https://shop.example", bodyMatches: "("}
paging: {kind: pagerduty, routingKey: abc}
`, 'org/acme.yaml');
    expect(message).toContain('org/acme.yaml is invalid');
    for (const fragment of [
      'services[0].probeInterval: expected an interval of at least 1s',
      'services[0].probeFrom: expected a task queue name like amsterdam-control',
      'services[0].incidents.after',
      'services[0].probes[0].url: expected an http:// or https:// URL',
      'services[0].probes[1].port',
      'services[0].probes[3].kind',
      'services[0].probes[4].bodyMatches: expected a valid regular expression',
      'paging.routingKey: unknown key "routingKey"',
    ]) expect(message).toContain(fragment);
    // Checked across a service's probes once each probe is valid.
    const across = problems(`${HEAD}services:
  - name: webshop
    probes:
      - {name: home, kind: http, url: "https://shop.example"}
      - {name: home, kind: tcp, host: db.example, port: 5432}
      - {name: slow, kind: http, url: "https://shop.example", timeout: 2s, latencyThreshold: 5s}
`);
    expect(across).toContain('services[0].probes[1].name: probe "home" is already defined in this service');
    expect(across).toContain('services[0].probes[2].latencyThreshold: expected a threshold shorter than the timeout (2000 ms)');
  });

  it('paging needs exactly one secret reference for the routing key; the URL defaults to PagerDuty', () => {
    expect(problems(`${HEAD}paging: {kind: pagerduty}\n`)).toContain('paging.routingKeySecretEnv: expected exactly one of routingKeySecretEnv and routingKeySecretFile');
    expect(parse(`${HEAD}paging: {kind: pagerduty, routingKeySecretFile: /run/secrets/pd}\n`).paging)
      .toEqual({ kind: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue', routingKeySecretFile: '/run/secrets/pd' });
  });

  it('across files: incidents and paging in one file only; a timeout longer than the interval; per-service incidents win; windows are linked', () => {
    const a = parse(`${HEAD}incidents: {after: 5}
paging: {kind: pagerduty, routingKeySecretEnv: PD_KEY}
services:
  - name: webshop
    probeInterval: 5s
    probes: [{name: home, kind: http, url: "https://shop.example", timeout: 6s}]
  - name: api
    incidents: {after: 2}
    probeFrom: amsterdam-control
    probes: [{name: home, kind: http, url: "https://api.example"}]
windows:
  - {name: web-monthly, timezone: UTC, recurrence: {kind: monthly, week: 2, day: tue, at: "22:00"}, duration: 4h, cutoff: 1h, services: [webshop, api]}
`, 'a.yaml');
    const b = parsePolicyText(`apiVersion: maint/v1
kind: Organisation
incidents: {after: 2}
paging: {kind: pagerduty, routingKeySecretEnv: PD_KEY}
`, 'b.yaml', organisationSchema);
    const { plans, problems: found } = planServiceProbes([{ file: 'a.yaml', content: a }, { file: 'b.yaml', content: b }]);
    expect(found.get('a.yaml')).toEqual([{ path: 'services[0].probes[0].timeout', message: 'expected at most the service\'s probeInterval (5s): a round must end before the next begins' }]);
    expect(found.get('b.yaml')).toEqual([
      { path: 'incidents', message: 'is already defined in a.yaml; define it in one file only' },
      { path: 'paging', message: 'is already defined in a.yaml; define it in one file only' },
    ]);
    expect(plans.map((p) => [p.service, p.incidents.after, p.probeFrom, p.windows, p.paging?.kind])).toEqual([
      ['webshop', 5, undefined, ['web-monthly'], 'pagerduty'],
      ['api', 2, 'amsterdam-control', ['web-monthly'], 'pagerduty'],
    ]);
  });
});
