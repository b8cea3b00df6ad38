/**
 * A service's availability per calendar day, for the uptime bars of the public status page. Pure.
 *
 * Counted in probe rounds: a round is down when one of its probes failed, degraded when none
 * failed but one answered slower than its threshold, else up. A day's availability is the share
 * of its rounds that were not down (degraded rounds count as available; the day says it was
 * degraded). Maintenance time is not left out: a customer who could not reach the service during
 * a window could not reach it. Days are calendar days in `timezone`; a day without a round has no
 * figure (null), never 100%.
 */
import { DateTime } from 'luxon';
import { knownZone } from '../windows/occurrences';

/** Probe rounds of one service that began within one hour: what the store aggregates (store/probes.ts). */
export interface ProbeRoundBucket {
  /** Start of the hour, epoch ms (a multiple of 3,600,000). */
  hour: number;
  rounds: number;
  /** Rounds in which a probe failed. */
  down: number;
  /** Rounds in which no probe failed but one was slow. */
  degraded: number;
}

export const HOUR_MS = 3_600_000;

export interface DayAvailability {
  /** `2026-12-02`, in the timezone. */
  day: string;
  /** [start, end) of the day, epoch ms; the last day ends at `now`. */
  start: number;
  end: number;
  rounds: number;
  downRounds: number;
  degradedRounds: number;
  /** 100 × available rounds ÷ rounds; null without rounds. */
  availabilityPercent: number | null;
}

/** The first instant of the day `days - 1` days before the day of `now` in `timezone`: where the bars begin. */
export function dailyRangeStart(now: number, days: number, timezone: string): number {
  return DateTime.fromMillis(now, { zone: knownZone(timezone) }).startOf('day').minus({ days: days - 1 }).toMillis();
}

/**
 * The last `days` calendar days up to and including today (in `timezone`), oldest first, from
 * hourly buckets. A bucket counts for the day its hour begins in (zones whose offset is not a whole
 * hour move at most the rounds of half an hour across midnight).
 */
export function dailyAvailability(buckets: readonly ProbeRoundBucket[], options: { now: number; days: number; timezone: string }): DayAvailability[] {
  if (!(Number.isInteger(options.days) && options.days > 0)) throw new RangeError(`days must be a whole number above 0, got ${options.days}`);
  const zone = knownZone(options.timezone);
  const first = DateTime.fromMillis(dailyRangeStart(options.now, options.days, options.timezone), { zone });
  const out: DayAvailability[] = [];
  for (let i = 0; i < options.days; i++) {
    const day = first.plus({ days: i });
    const start = day.toMillis();
    out.push({ day: day.toFormat('yyyy-MM-dd'), start, end: Math.min(day.plus({ days: 1 }).toMillis(), options.now), rounds: 0, downRounds: 0, degradedRounds: 0, availabilityPercent: null });
  }
  const sorted = [...buckets].sort((a, b) => a.hour - b.hour);
  let d = 0;
  for (const b of sorted) {
    while (d + 1 < out.length && b.hour >= out[d + 1]!.start) d++;
    const target = out[d]!;
    if (b.hour < target.start || b.hour >= (out[d + 1]?.start ?? options.now)) continue;
    target.rounds += b.rounds;
    target.downRounds += b.down;
    target.degradedRounds += b.degraded;
  }
  for (const day of out) if (day.rounds > 0) day.availabilityPercent = (100 * (day.rounds - day.downRounds)) / day.rounds;
  return out;
}

/** An uptime figure as people read it: 100%, 99.95%, 87.5%; never rounds a shortfall up to 100%. */
export function formatPercent(percent: number, locale: string): string {
  const floored = Math.floor(percent * 100) / 100;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(floored)}%`;
}
