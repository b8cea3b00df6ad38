import { DateTime } from 'luxon';
import { monthAvailability, monthAvailabilityOfSegments, probeSegments, type AvailabilityTerms, type MonthAvailabilityInput } from '../../policies/availability/monthly';
import type { Interval, ProbeResult } from '../../policies/availability/types';

const AMS = 'Europe/Amsterdam';
const MINUTE = 60_000;
const GOLD: AvailabilityTerms = { availability: 99.95, plannedMaintenanceCounts: false, degradedCounts: 'up', timezone: AMS };

/** An Amsterdam wall-clock time as epoch ms. */
const t = (local: string) => DateTime.fromISO(local, { zone: AMS }).toMillis();

type Seen = 'up' | 'down' | 'degraded' | 'nothing';
/** One result per interval of `probe` in [from, to) (local times); `seen` says what each one saw. */
function results(probe: string, from: string, to: string, seen: (at: number) => Seen = () => 'up', intervalMs = MINUTE, service = 'webshop'): ProbeResult[] {
  const out: ProbeResult[] = [];
  for (let at = t(from), end = t(to); at < end; at += intervalMs) {
    const s = seen(at);
    if (s !== 'nothing') out.push({ service, probe, at, ok: s !== 'down', ...(s === 'degraded' ? { degraded: true, latencyMs: 2500 } : {}), ...(s === 'down' ? { error: 'HTTP 503' } : {}) });
  }
  return out;
}
const during = (from: string, to: string) => {
  const [start, end] = [t(from), t(to)];
  return (at: number) => at >= start && at < end;
};
/** `inside` during [from, to), `otherwise` outside it. */
const when = (from: string, to: string, inside: Seen, otherwise: Seen) => {
  const isDuring = during(from, to);
  return (at: number): Seen => (isDuring(at) ? inside : otherwise);
};
const win = (from: string, to: string): Interval => ({ start: t(from), end: t(to) });

const compute = (input: Partial<MonthAvailabilityInput> & Pick<MonthAvailabilityInput, 'month'>) =>
  monthAvailability({ service: 'webshop', tier: GOLD, results: [], probeIntervalMs: MINUTE, maintenance: [], ...input });

describe('availability of a service in a calendar month', () => {
  it('a hand-built April in Amsterdam: two probes, an outage, one inside a window, slowness, a gap', () => {
    // April 2026 has 30 days = 43,200 minutes (no DST change). Both probes run every minute from
    // 00:00 on the 1st, except that neither runs from 00:00 to 02:00 on the 20th.
    const gap = during('2026-04-20T00:00', '2026-04-20T02:00');
    const [outage, inWindow, slow, tcpOutage] = [
      during('2026-04-10T12:00', '2026-04-10T12:30'), // http down 30 min
      during('2026-04-14T22:00', '2026-04-14T23:00'), // http down 60 min, inside the window
      during('2026-04-15T09:00', '2026-04-15T10:00'), // http degraded 60 min
      during('2026-04-10T12:20', '2026-04-10T12:50'), // tcp down 30 min, 10 of them with http
    ];
    const http = results('http', '2026-04-01T00:00', '2026-05-01T00:00', (at) =>
      gap(at) ? 'nothing' : outage(at) || inWindow(at) ? 'down' : slow(at) ? 'degraded' : 'up');
    const tcp = results('tcp', '2026-04-01T00:00', '2026-05-01T00:00', (at) => (gap(at) ? 'nothing' : tcpOutage(at) ? 'down' : 'up'));
    const maintenance = [win('2026-04-14T22:00', '2026-04-15T02:00')];        // 240 min
    const april = compute({ month: '2026-04', results: [...http, ...tcp], maintenance });

    // Unknown: the last results before the gap (23:59 on the 19th) stand for 2 intervals, until
    // 00:01; from there to 02:00 no probe knows: 119 min.
    // Down: http 12:00-12:30 and tcp 12:20-12:50 on the 10th → the service is down 12:00-12:50 = 50 min
    // (any probe down is down), plus 60 min inside the window = 110 min. Degraded: 60 min.
    // Up: 43,200 - 119 - 110 - 60 = 42,911 min.
    expect(april).toMatchObject({
      totalMinutes: 43_200, unknownMinutes: 119, downMinutes: 110, degradedMinutes: 60, upMinutes: 42_911,
      maintenanceMinutes: 240, maintenanceDownMinutes: 60, plannedMaintenanceMinutes: 240,
    });
    // Gold leaves maintenance out: counted = 43,200 - 119 unknown - 240 maintenance = 42,841 min;
    // downtime = 50 min (degraded counts as up). Availability = 1 - 50/42,841 = 99.8833 %.
    // Budget allowed = 0.05 % × 42,841 = 21.4205 min; spent 50; left -28.5795 (overspent).
    expect(april.countedMinutes).toBe(42_841);
    expect(april.downtimeMinutes).toBe(50);
    expect(april.availabilityPercent).toBeCloseTo(99.88329, 4);
    expect(april.errorBudget.allowedMinutes).toBeCloseTo(21.4205, 9);
    expect(april.errorBudget.spentMinutes).toBe(50);
    expect(april.errorBudget.leftMinutes).toBeCloseTo(-28.5795, 9);

    // Counting maintenance: counted = 43,200 - 119 = 43,081; downtime = 110 → 99.7447 %;
    // allowed = 0.05 % × 43,081 = 21.5405 min, left -88.4595.
    const counting = compute({ month: '2026-04', results: [...http, ...tcp], maintenance, tier: { ...GOLD, plannedMaintenanceCounts: true } });
    expect([counting.countedMinutes, counting.downtimeMinutes]).toEqual([43_081, 110]);
    expect(counting.availabilityPercent).toBeCloseTo(99.74467, 4);
    expect(counting.errorBudget.allowedMinutes).toBeCloseTo(21.5405, 9);
    expect(counting.errorBudget.leftMinutes).toBeCloseTo(-88.4595, 9);

    // Degraded as half down: downtime = 50 + 60/2 = 80 min (maintenance left out).
    const half = compute({ month: '2026-04', results: [...http, ...tcp], maintenance, tier: { ...GOLD, degradedCounts: 'half' } });
    expect(half.downtimeMinutes).toBe(80);
    expect(half.availabilityPercent).toBeCloseTo(100 * (1 - 80 / 42_841), 9);
  });

  it('an empty month is all unknown: no availability and no budget, rather than 100 %', () => {
    const empty = compute({ month: '2026-04' });
    expect(empty).toMatchObject({ totalMinutes: 43_200, unknownMinutes: 43_200, upMinutes: 0, downMinutes: 0, countedMinutes: 0, availabilityPercent: null });
    expect(empty.errorBudget).toEqual({ allowedMinutes: 0, spentMinutes: 0, leftMinutes: 0 });
  });

  it('a month all down is 0 % with its whole budget spent', () => {
    const down = compute({ month: '2026-04', results: results('http', '2026-04-01T00:00', '2026-05-01T00:00', () => 'down') });
    expect(down).toMatchObject({ downMinutes: 43_200, countedMinutes: 43_200, availabilityPercent: 0 });
    // allowed = 0.05 % × 43,200 = 21.6 min.
    expect(down.errorBudget.allowedMinutes).toBeCloseTo(21.6, 9);
    expect(down.errorBudget.leftMinutes).toBeCloseTo(21.6 - 43_200, 9);
  });

  it('an outage across a month end counts in each month for its part there (the last result before the month covers its start)', () => {
    // Down from 23:30 on 31 March to 00:30 on 1 April.
    const seen = results('http', '2026-03-31T20:00', '2026-04-01T04:00', when('2026-03-31T23:30', '2026-04-01T00:30', 'down', 'up'));
    const march = compute({ month: '2026-03', results: seen, asOf: t('2026-04-01T04:00') });
    const april = compute({ month: '2026-04', results: seen, asOf: t('2026-04-01T04:00') });
    expect([march.downMinutes, april.downMinutes]).toEqual([30, 30]);
    // April until 04:00: 240 min, all known (the 03:59 result stands until asOf).
    expect([april.totalMinutes, april.unknownMinutes]).toEqual([240, 0]);
    // A result one minute before April covers April's first minute.
    const edge = compute({ month: '2026-04', results: [{ service: 'webshop', probe: 'http', at: t('2026-03-31T23:59'), ok: false }], asOf: t('2026-04-01T00:10') });
    expect([edge.downMinutes, edge.unknownMinutes]).toEqual([1, 9]);
  });

  it('an outage inside a window is left out by default and counted when the tier counts maintenance', () => {
    const seen = results('http', '2026-04-01T00:00', '2026-05-01T00:00', when('2026-04-07T22:30', '2026-04-07T23:30', 'down', 'up'));
    const maintenance = [win('2026-04-07T22:00', '2026-04-08T00:00')];
    const excluded = compute({ month: '2026-04', results: seen, maintenance });
    expect(excluded).toMatchObject({ downMinutes: 60, maintenanceDownMinutes: 60, downtimeMinutes: 0, countedMinutes: 43_200 - 120, availabilityPercent: 100 });
    const counted = compute({ month: '2026-04', results: seen, maintenance, tier: { ...GOLD, plannedMaintenanceCounts: true } });
    expect(counted).toMatchObject({ downtimeMinutes: 60, countedMinutes: 43_200 });
    expect(counted.availabilityPercent).toBeCloseTo(100 * (1 - 60 / 43_200), 9);
  });

  it('overlapping windows count once', () => {
    const seen = results('http', '2026-04-01T00:00', '2026-05-01T00:00');
    const maintenance = [win('2026-04-07T22:00', '2026-04-08T00:00'), win('2026-04-07T23:00', '2026-04-08T01:00'), win('2026-04-07T22:30', '2026-04-07T22:45')];
    const a = compute({ month: '2026-04', results: seen, maintenance });
    expect([a.maintenanceMinutes, a.plannedMaintenanceMinutes, a.countedMinutes]).toEqual([180, 180, 43_200 - 180]);
  });

  it.each([
    ['2026-03', 31 * 1440 - 60],
    ['2026-10', 31 * 1440 + 60],
  ])('%s in Amsterdam (DST) has %d minutes, all measured from local midnight to midnight', (month, minutes) => {
    const [y, m] = month.split('-');
    const next = m === '03' ? `${y}-04` : `${y}-11`;
    const seen = results('http', `${month}-01T00:00`, `${next}-01T00:00`, when(`${month}-29T01:00`, `${month}-29T05:00`, 'down', 'up'));
    const a = compute({ month, results: seen });
    expect([a.totalMinutes, a.unknownMinutes]).toEqual([minutes, 0]);
    // 01:00 to 05:00 local on the 29th is 4 real hours: the change is on the 29th in 2026 only in March
    // (Sunday 29 March, 02:00 → 03:00): 3 h; in October it is on the 25th, so the 29th has 4 h.
    expect(a.downMinutes).toBe(m === '03' ? 180 : 240);
  });

  it('degraded time counts as the tier says: up (default), down, or half', () => {
    const seen = results('http', '2026-04-01T00:00', '2026-05-01T00:00', when('2026-04-02T10:00', '2026-04-02T12:00', 'degraded', 'up'));
    const downtime = (degradedCounts: AvailabilityTerms['degradedCounts']) => compute({ month: '2026-04', results: seen, tier: { ...GOLD, degradedCounts } }).downtimeMinutes;
    expect([downtime('up'), downtime('half'), downtime('down')]).toEqual([0, 60, 120]);
    expect(compute({ month: '2026-04', results: seen }).degradedMinutes).toBe(120);
  });

  it('several probes: down when any says down, degraded over up, and known when at least one probe knows', () => {
    const http = results('http', '2026-04-01T00:00', '2026-04-01T02:00', when('2026-04-01T00:00', '2026-04-01T01:00', 'degraded', 'nothing'));
    const tcp = results('tcp', '2026-04-01T00:30', '2026-04-01T02:00', when('2026-04-01T00:30', '2026-04-01T00:40', 'down', 'up'));
    const a = compute({ month: '2026-04', results: [...http, ...tcp], asOf: t('2026-04-01T02:00') });
    // 00:00-00:30 degraded (http only); 00:30-00:40 down (tcp); 00:40-01:00 degraded; http stops at
    // 00:59, its result standing until 01:01, degraded; 01:01-02:00 up (tcp alone).
    expect(a).toMatchObject({ degradedMinutes: 30 + 20 + 1, downMinutes: 10, upMinutes: 59, unknownMinutes: 0, totalMinutes: 120 });
  });

  it('results out of order, duplicated at one instant (the worst counts once), and of other services change nothing', () => {
    const seen = results('http', '2026-04-01T00:00', '2026-05-01T00:00', when('2026-04-03T10:00', '2026-04-03T10:10', 'down', 'up'));
    const base = compute({ month: '2026-04', results: seen });
    const shuffled = [...seen].sort((a, b) => ((a.at * 7919) % 1000) - ((b.at * 7919) % 1000));
    const duplicated = [...shuffled, ...seen.slice(0, 1000)];
    const others = results('http', '2026-04-01T00:00', '2026-05-01T00:00', () => 'down', MINUTE, 'api');
    expect(compute({ month: '2026-04', results: [...duplicated, ...others] })).toEqual(base);
    expect(base.downMinutes).toBe(10);
    // An up and a down result at the same instant: down stands for that minute.
    const clash = [...seen, { service: 'webshop', probe: 'http', at: t('2026-04-05T08:00'), ok: false }];
    expect(compute({ month: '2026-04', results: clash }).downMinutes).toBe(11);
  });

  it('a result stands for at most two intervals; a probe that goes quiet is unknown, not up', () => {
    const seen = [{ service: 'webshop', probe: 'http', at: t('2026-04-01T00:00'), ok: true }];
    const a = compute({ month: '2026-04', results: seen, probeIntervalMs: 30_000 });
    expect([a.upMinutes, a.unknownMinutes]).toEqual([1, 43_199]);
  });

  it('the month in progress is measured until asOf; planned maintenance covers the whole month', () => {
    const seen = results('http', '2026-04-01T00:00', '2026-04-10T00:00');
    const a = compute({ month: '2026-04', results: seen, asOf: t('2026-04-10T00:00'), maintenance: [win('2026-04-07T22:00', '2026-04-08T00:00'), win('2026-04-21T22:00', '2026-04-22T00:00')] });
    expect(a).toMatchObject({ totalMinutes: 9 * 1440, unknownMinutes: 0, maintenanceMinutes: 120, plannedMaintenanceMinutes: 240, countedMinutes: 9 * 1440 - 120 });
    expect(compute({ month: '2026-04', asOf: t('2026-03-20T00:00') }).totalMinutes).toBe(0);
  });

  it('from segments (what the store computes) the figures are those of the results; overlapping segments of one probe are refused', () => {
    const http = results('http', '2026-04-01T00:00', '2026-05-01T00:00', when('2026-04-10T12:00', '2026-04-10T12:30', 'down', 'up'));
    const tcp = results('tcp', '2026-04-01T00:00', '2026-04-20T00:00', when('2026-04-15T09:00', '2026-04-15T10:00', 'degraded', 'up'));
    const maintenance = [win('2026-04-10T12:10', '2026-04-10T13:00')];
    const segments = probeSegments([...http, ...tcp], MINUTE);
    // http: up, down, up; tcp: up, degraded, up, its last result standing two minutes.
    expect(segments.map((s) => [s.probe, s.state, s.results])).toEqual([
      ['http', 'up', 13_680], ['http', 'down', 30], ['http', 'up', 29_490],
      ['tcp', 'up', 20_700], ['tcp', 'degraded', 60], ['tcp', 'up', 6_600],
    ]);
    expect(segments[5]!.end).toBe(t('2026-04-20T00:01'));
    const fromSegments = monthAvailabilityOfSegments({ service: 'webshop', month: '2026-04', tier: GOLD, segments, maintenance });
    expect(fromSegments).toEqual(compute({ month: '2026-04', results: [...http, ...tcp], maintenance }));
    expect(fromSegments).toMatchObject({ downMinutes: 30, maintenanceDownMinutes: 20, degradedMinutes: 60 });
    const overlapping = [...segments, { probe: 'http', state: 'down' as const, start: t('2026-04-02T00:00'), end: t('2026-04-02T00:05'), results: 5 }];
    expect(() => monthAvailabilityOfSegments({ service: 'webshop', month: '2026-04', tier: GOLD, segments: overlapping, maintenance })).toThrow(/probe segments of webshop\/http overlap/);
  });
});
