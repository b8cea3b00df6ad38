/**
 * A service's availability in one calendar month, from its probe results (README "How availability
 * is computed"):
 * - Each result of a probe stands for the time from its `at` until the probe's next result, but for
 *   at most {@link RESULT_STANDS_FOR_INTERVALS} probe intervals: after that, and where a probe has no
 *   result at all, that probe's state is unknown. Results may come in any order; results of one
 *   probe at the same instant (a retried write, two locations) count once, the worst of them.
 * - A result is down when `ok` is false, degraded when it answered but `degraded`, else up.
 * - The service at an instant is down when any probe that knows says down, else degraded when any
 *   says degraded, else up when any says up; unknown only when no probe knows. Unknown time is
 *   reported apart and counts neither as up nor as down.
 * - Maintenance is the union of the windows' actual runs (overlapping runs count once). With
 *   `plannedMaintenanceCounts: false` the time inside it is left out of the counted time and the
 *   downtime; with `true` it is measured like any other time.
 * - Downtime = down time + degraded time × (1 for `degradedCounts: down`, ½ for `half`, 0 for `up`).
 *   Availability = 1 − downtime ÷ counted time. Error budget allowed = (1 − target) × counted time,
 *   spent = downtime, left = allowed − spent (negative when overspent).
 *
 * Pure: every instant is passed in; minutes are exact (fractions of a minute are kept). The counting
 * works on each probe's segments (runs of results in one state, {@link probeSegments}); the store
 * can compute those in SQL (store/probes.ts) so a month of results need not be read one by one.
 */
import type { SlaTier } from '../organisation/schema';
import { coveredMs, mergeIntervals } from './intervals';
import { monthInterval, type MonthKey } from './months';
import type { Interval, ProbeResult, ProbeSegment, ProbeState } from './types';

/** A result stands for at most this many probe intervals when no next result follows. */
export const RESULT_STANDS_FOR_INTERVALS = 2;

const MINUTE_MS = 60_000;

export type AvailabilityTerms = Pick<SlaTier, 'availability' | 'plannedMaintenanceCounts' | 'degradedCounts' | 'timezone'>;

export interface MonthAvailabilityInput {
  service: string;
  /** The calendar month in the tier's timezone, e.g. `2026-03`. */
  month: MonthKey;
  tier: AvailabilityTerms;
  /**
   * The service's probe results (others are ignored) from {@link RESULT_STANDS_FOR_INTERVALS}
   * intervals before the month on, so that the last result before the month covers its start.
   */
  results: readonly ProbeResult[];
  /** How often each probe runs. */
  probeIntervalMs: number;
  /** The actual runs of the maintenance windows on this service (in any order, may overlap). */
  maintenance: readonly Interval[];
  /** For the month in progress: measure only up to this instant (epoch ms). */
  asOf?: number;
}

export interface MonthAvailability {
  service: string;
  month: MonthKey;
  timezone: string;
  /** The measured period: the month, or its part until `asOf`. Epoch ms. */
  from: number;
  to: number;
  totalMinutes: number;
  /** No probe knew: left out of everything below but `maintenanceMinutes`. */
  unknownMinutes: number;
  /** What the probes saw over the whole period, maintenance included. */
  upMinutes: number;
  degradedMinutes: number;
  downMinutes: number;
  /** The period's time inside maintenance windows, and the part of that the service was down. */
  maintenanceMinutes: number;
  maintenanceDownMinutes: number;
  /** Maintenance planned in the whole calendar month (not only until `asOf`). */
  plannedMaintenanceMinutes: number;
  /** The time availability is computed over: known time, without maintenance unless the tier counts it. */
  countedMinutes: number;
  /** Down time, plus degraded time as the tier counts it, within the counted time. */
  downtimeMinutes: number;
  /** 100 × (1 − downtime ÷ counted); null when nothing was counted (no data). */
  availabilityPercent: number | null;
  targetPercent: number;
  errorBudget: { allowedMinutes: number; spentMinutes: number; leftMinutes: number };
}

type State = 'unknown' | ProbeState;
const RANK: Record<State, number> = { unknown: 0, up: 1, degraded: 2, down: 3 };

/** See the module comment for the rules. */
export function monthAvailability(input: MonthAvailabilityInput): MonthAvailability {
  const { results, probeIntervalMs, ...rest } = input;
  return monthAvailabilityOfSegments({ ...rest, segments: probeSegments(results.filter((r) => r.service === input.service), probeIntervalMs) });
}

export interface SegmentAvailabilityInput extends Omit<MonthAvailabilityInput, 'results' | 'probeIntervalMs'> {
  /**
   * The service's probe segments covering at least the month (or its part until `asOf`), as
   * {@link probeSegments} or the store's probeSegmentsBetween give them: per probe in any order,
   * but not overlapping.
   */
  segments: readonly ProbeSegment[];
}

/** {@link monthAvailability} from the probes' segments instead of their results: the same figures. */
export function monthAvailabilityOfSegments(input: SegmentAvailabilityInput): MonthAvailability {
  const { tier } = input;
  const month = monthInterval(input.month, tier.timezone);
  const from = month.start;
  const to = Math.max(from, Math.min(month.end, input.asOf ?? month.end));
  const maintenance = mergeIntervals(input.maintenance);
  const probes = segmentsByProbe(input.service, input.segments);

  // Between two consecutive boundaries nothing changes: sweep over them.
  const bounds = new Set([from, to]);
  for (const segment of [...probes.flat(), ...maintenance]) {
    for (const t of [segment.start, segment.end]) if (t > from && t < to) bounds.add(t);
  }
  const points = [...bounds].sort((a, b) => a - b);
  const ms = { inside: zero(), outside: zero() };
  const next = probes.map(() => 0);
  let m = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i]!, points[i + 1]!];
    let state: State = 'unknown';
    probes.forEach((segments, p) => {
      while (next[p]! < segments.length && segments[next[p]!]!.end <= start) next[p]!++;
      const s = segments[next[p]!];
      if (s && s.start <= start && RANK[s.state] > RANK[state]) state = s.state;
    });
    while (m < maintenance.length && maintenance[m]!.end <= start) m++;
    const inside = m < maintenance.length && maintenance[m]!.start <= start;
    (inside ? ms.inside : ms.outside)[state] += end - start;
  }

  const weight = { up: 0, half: 0.5, down: 1 }[tier.degradedCounts];
  const downtime = (b: Record<State, number>) => b.down + b.degraded * weight;
  const known = (b: Record<State, number>) => b.up + b.degraded + b.down;
  const counted = known(ms.outside) + (tier.plannedMaintenanceCounts ? known(ms.inside) : 0);
  const down = downtime(ms.outside) + (tier.plannedMaintenanceCounts ? downtime(ms.inside) : 0);
  // The target in millionths (99.95% → 999,500) keeps the budget free of float noise.
  const allowed = ((1_000_000 - Math.round(tier.availability * 10_000)) * counted) / 1_000_000;
  const sum = (state: State) => ms.inside[state] + ms.outside[state];
  const minutes = (x: number) => x / MINUTE_MS;
  return {
    service: input.service,
    month: input.month,
    timezone: tier.timezone,
    from,
    to,
    totalMinutes: minutes(to - from),
    unknownMinutes: minutes(sum('unknown')),
    upMinutes: minutes(sum('up')),
    degradedMinutes: minutes(sum('degraded')),
    downMinutes: minutes(sum('down')),
    maintenanceMinutes: minutes(coveredMs(maintenance, from, to)),
    maintenanceDownMinutes: minutes(ms.inside.down),
    plannedMaintenanceMinutes: minutes(coveredMs(maintenance, month.start, month.end)),
    countedMinutes: minutes(counted),
    downtimeMinutes: minutes(down),
    availabilityPercent: counted > 0 ? 100 * (1 - down / counted) : null,
    targetPercent: tier.availability,
    errorBudget: { allowedMinutes: minutes(allowed), spentMinutes: minutes(down), leftMinutes: minutes(allowed - down) },
  };
}

function zero(): Record<State, number> {
  return { unknown: 0, up: 0, degraded: 0, down: 0 };
}

/**
 * What a probe's results stand for, per probe: sorted, not overlapping, consecutive results of one
 * state joined while each stands until the next (the module comment's rules). Results may come in
 * any order; of those at one instant the worst stands. The store's SQL (store/probes.ts
 * probeSegmentsBetween) computes the same; tests hold the two to each other.
 */
export function probeSegments(results: readonly ProbeResult[], probeIntervalMs: number): ProbeSegment[] {
  if (!(probeIntervalMs > 0)) throw new RangeError(`probeIntervalMs must be above 0, got ${probeIntervalMs}`);
  const standsForMs = probeIntervalMs * RESULT_STANDS_FOR_INTERVALS;
  const byProbe = new Map<string, ProbeResult[]>();
  for (const r of results) {
    if (!Number.isFinite(r.at)) throw new RangeError(`probe result of ${r.service}/${r.probe} has no valid time (at: ${r.at})`);
    const list = byProbe.get(r.probe);
    if (list) list.push(r);
    else byProbe.set(r.probe, [r]);
  }
  const segments: ProbeSegment[] = [];
  for (const [probe, list] of [...byProbe.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) => a.at - b.at);
    let last: ProbeSegment | undefined;
    for (let i = 0; i < list.length; ) {
      const at = list[i]!.at;
      let state = stateOf(list[i]!);
      let count = 1;
      // Results at the same instant: the worst one stands.
      for (i++; i < list.length && list[i]!.at === at; i++, count++) if (RANK[stateOf(list[i]!)] > RANK[state]) state = stateOf(list[i]!);
      const end = Math.min(list[i]?.at ?? Infinity, at + standsForMs);
      if (last && last.state === state && last.end === at) {
        last.end = end;
        last.results += count;
      } else {
        last = { probe, start: at, end, state, results: count };
        segments.push(last);
      }
    }
  }
  return segments;
}

/** Per probe, sorted by start; overlapping segments of one probe are a caller's mistake, not something to guess about. */
function segmentsByProbe(service: string, segments: readonly ProbeSegment[]): ProbeSegment[][] {
  const byProbe = new Map<string, ProbeSegment[]>();
  for (const s of segments) {
    if (!(s.end >= s.start)) throw new RangeError(`probe segment of ${service}/${s.probe} ends (${s.end}) before it starts (${s.start})`);
    const list = byProbe.get(s.probe);
    if (list) list.push(s);
    else byProbe.set(s.probe, [s]);
  }
  return [...byProbe.values()].map((list) => {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.start < sorted[i - 1]!.end) throw new RangeError(`probe segments of ${service}/${sorted[i]!.probe} overlap: [${sorted[i - 1]!.start}, ${sorted[i - 1]!.end}) and [${sorted[i]!.start}, ${sorted[i]!.end})`);
    }
    return sorted;
  });
}

function stateOf(r: ProbeResult): ProbeState {
  return !r.ok ? 'down' : r.degraded ? 'degraded' : 'up';
}
