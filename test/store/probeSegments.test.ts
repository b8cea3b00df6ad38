import { monthAvailability, monthAvailabilityOfSegments, probeSegments, RESULT_STANDS_FOR_INTERVALS } from '../../policies/availability/monthly';
import { monthInterval } from '../../policies/availability/months';
import type { ProbeSegment } from '../../policies/availability/types';
import { openStore, type Store } from '../../store';
import { failedResultsPerSpan, insertProbeResults, probeSegmentsBetween, type RecordedProbeResult } from '../../store/probes';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const S = 1000;
const T = Date.UTC(2026, 10, 1);
type Seen = 'up' | 'degraded' | 'down';
let round = 0;
const result = (service: string, probe: string, at: number, seen: Seen, location = 'maint-control'): RecordedProbeResult => ({
  service, probe, at, ok: seen !== 'down', roundId: `${service}/${at}/${round++}`, location,
  ...(seen === 'degraded' ? { degraded: true, latencyMs: 2500 } : {}), ...(seen === 'down' ? { error: 'HTTP 503' } : { latencyMs: 40 }),
});

/** What the pure counting makes of the results the store reads for [from, to), cut to it: what the SQL must give. */
function expectedSegments(results: readonly RecordedProbeResult[], range: { from: number; to: number }, intervalMs: number): ProbeSegment[] {
  const read = results.filter((r) => r.at >= range.from - RESULT_STANDS_FOR_INTERVALS * intervalMs && r.at < range.to);
  return probeSegments(read, intervalMs)
    .map((s) => ({ ...s, start: Math.max(s.start, range.from), end: Math.min(s.end, range.to) }))
    .filter((s) => s.end > range.from)
    .sort((a, b) => (a.probe < b.probe ? -1 : a.probe > b.probe ? 1 : a.start - b.start));
}

/** A small deterministic generator (mulberry32): the same "random" history on both engines. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(ENGINES)('probe segments computed in the store on %s', (engine) => {
  let store: Store;
  const { fresh } = useEngine(engine);
  beforeAll(async () => {
    store = await openStore(await fresh());
  });
  afterAll(async () => {
    await store?.close();
  });

  it('joins results of one state while each stands until the next; a gap over two intervals, a state change and the range ends cut them', async () => {
    // Every 30 s, so a result stands for at most 60 s. Times in seconds from T, the range is [T, T + 540 s).
    const home: Array<[number, Seen]> = [
      [-100, 'up'], // before the range by more than two intervals: not read
      [-50, 'up'], [-20, 'up'], [10, 'up'],
      [70, 'up'], // exactly two intervals after the last: still one run
      [100, 'down'], [130, 'down'],
      [191, 'down'], // 61 s after the last: it stood until 190, so a new run although the state is the same
      [221, 'degraded'],
      [500, 'up'], // a single result after a gap: stands for two intervals, cut at the range's end
    ];
    const rows = [
      ...home.map(([s, seen]) => result('shop', 'home', T + s * S, seen)),
      result('shop', 'home', T + 100 * S, 'up', 'maint-eu'), // the same instant from another location: the worst stands
      result('shop', 'api', T - 61 * S, 'up'), result('shop', 'api', T - 30 * S, 'down'),
      result('shop', 'tcp', T - 60 * S, 'up'), // stood until T exactly: nothing inside the range
      result('shop', 'tls', T - 59 * S, 'degraded'), // stands for the range's first second
      // Another service's results at the same times change nothing.
      ...home.map(([s]) => result('api', 'home', T + s * S, 'down')),
    ];
    await insertProbeResults(store.db, rows);

    const range = { from: T, to: T + 540 * S };
    const segments = await probeSegmentsBetween(store, 'shop', range, 30 * S);
    const seg = (probe: string, from: number, to: number, state: Seen, results: number) => ({ probe, start: T + from * S, end: T + to * S, state, results });
    expect(segments).toEqual([
      seg('api', 0, 30, 'down', 1),
      seg('home', 0, 100, 'up', 4),
      seg('home', 100, 190, 'down', 3),
      seg('home', 191, 221, 'down', 1),
      seg('home', 221, 281, 'degraded', 1),
      seg('home', 500, 540, 'up', 1),
      seg('tls', 0, 1, 'degraded', 1),
    ]);
    expect(segments).toEqual(expectedSegments(rows.filter((r) => r.service === 'shop'), range, 30 * S));
    expect(await probeSegmentsBetween(store, 'nothing-recorded', range, 30 * S)).toEqual([]);

    // Failed results per span, counted in the database: [100 s, 191 s) holds the one at 100 s (not its twin, up) and the one at 130 s.
    expect(await failedResultsPerSpan(store, 'shop', [{ start: T + 100 * S, end: T + 191 * S }, { start: T - 40 * S, end: T + 540 * S }, { start: T, end: T + 100 * S }, { start: T + 600 * S, end: T + 700 * S }]))
      .toEqual([2, 4, 0, 0]);
    expect(await failedResultsPerSpan(store, 'shop', [])).toEqual([]);
  });

  it('a month of irregular results of three probes gives the same segments and the same availability as the results one by one', async () => {
    // November 2026 in Amsterdam, a round every 10 minutes give or take, from a day before the month to a day after:
    // runs of states, gaps of up to an hour, rounds that ran twice, late and early results.
    const interval = 10 * 60 * S;
    const month = monthInterval('2026-11', 'Europe/Amsterdam');
    const next = random(19);
    const rows: RecordedProbeResult[] = [];
    for (const probe of ['home', 'api', 'tcp']) {
      let seen: Seen = 'up';
      for (let at = month.start - 86_400 * S; at < month.end + 86_400 * S; at += interval + Math.round((next() - 0.5) * 60 * S)) {
        const r = next();
        if (r < 0.02) at += Math.round(next() * 3_600 * S); // the probe went quiet
        if (r > 0.9) seen = (['up', 'degraded', 'down'] as const)[Math.floor(next() * 3)]!;
        // The worker was down for two hours on the 10th: no probe knows.
        if (at >= month.start + 9 * 86_400 * S && at < month.start + 9 * 86_400 * S + 7_200 * S) continue;
        rows.push(result('mixed', probe, at, seen));
        if (next() < 0.03) rows.push(result('mixed', probe, at, next() < 0.5 ? 'down' : 'up', 'maint-eu'));
      }
    }
    await insertProbeResults(store.db, rows);

    for (const range of [
      { from: month.start, to: month.end },
      { from: month.start - 86_400 * S, to: month.end + 86_400 * S },
      { from: month.start + 12_345_678, to: month.start + 5 * 86_400 * S + 777 },
    ]) {
      expect(await probeSegmentsBetween(store, 'mixed', range, interval)).toEqual(expectedSegments(rows, range, interval));
    }

    const segments = await probeSegmentsBetween(store, 'mixed', { from: month.start - 86_400 * S, to: month.end + 86_400 * S }, interval);
    expect(segments.length).toBeGreaterThan(100);
    const terms = { month: '2026-11', service: 'mixed', tier: { availability: 99.9, plannedMaintenanceCounts: false, degradedCounts: 'half' as const, timezone: 'Europe/Amsterdam' }, maintenance: [{ start: month.start + 3 * 86_400 * S, end: month.start + 3 * 86_400 * S + 4 * 3_600 * S }] };
    const fromResults = monthAvailability({ ...terms, results: rows, probeIntervalMs: interval });
    expect(monthAvailabilityOfSegments({ ...terms, segments })).toEqual(fromResults);
    expect(fromResults.downMinutes).toBeGreaterThan(0);
    expect(fromResults.degradedMinutes).toBeGreaterThan(0);
    expect(fromResults.unknownMinutes).toBeGreaterThan(0);
  });
});
