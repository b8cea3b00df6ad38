/**
 * Whether two windows run at the same time: `maint apply` refuses (or, with `allowOverlap`, warns
 * about) two windows over the same service whose runs overlap. Pure: callers pass `now`.
 */
import { occurrencesBetween } from './occurrences';
import type { Occurrence, WindowTiming } from './schema';

/** How far ahead runs are compared: a year and a day, so every yearly window runs at least once. */
export const OVERLAP_HORIZON_MS = 366 * 86_400_000;

/** The runs of a window (blacked-out occurrences do not run) that start in the year ahead of `now`, ascending. */
export function runsAhead(timing: WindowTiming, now: Date): Occurrence[] {
  return occurrencesBetween(timing, now, new Date(now.getTime() + OVERLAP_HORIZON_MS)).filter((o) => !o.blackout);
}

/**
 * The first runs of `a` and `b` (each ascending by start) that are under way at the same instant,
 * with the instants they share. Runs are [start, end): one that ends when the other starts does
 * not overlap it.
 */
export function firstOverlap(a: readonly Occurrence[], b: readonly Occurrence[]): { a: Occurrence; b: Occurrence; from: string; until: string } | undefined {
  const span = (o: Occurrence) => [Date.parse(o.start), Date.parse(o.end)] as const;
  // A run that ends before the other list's current run starts overlaps none of its later runs either.
  for (let i = 0, j = 0; i < a.length && j < b.length;) {
    const [aStart, aEnd] = span(a[i]!);
    const [bStart, bEnd] = span(b[j]!);
    if (aStart < bEnd && bStart < aEnd) {
      return { a: a[i]!, b: b[j]!, from: new Date(Math.max(aStart, bStart)).toISOString(), until: new Date(Math.min(aEnd, bEnd)).toISOString() };
    }
    if (aEnd <= bStart) i++;
    else j++;
  }
  return undefined;
}

/**
 * Every pair of windows that share a service and whose runs overlap in the year ahead of `now`
 * (`later` comes after `earlier` in `windows`), with the shared services and the first overlap.
 */
export function overlappingWindows<W extends { services: readonly string[]; timing: WindowTiming }>(windows: readonly W[], now: Date) {
  const runs = new Map<W, Occurrence[]>();
  const runsOf = (w: W) => runs.get(w) ?? runs.set(w, runsAhead(w.timing, now)).get(w)!;
  const found: Array<{ earlier: W; later: W; services: string[]; overlap: NonNullable<ReturnType<typeof firstOverlap>> }> = [];
  for (const [j, later] of windows.entries()) {
    for (const earlier of windows.slice(0, j)) {
      const services = later.services.filter((s) => earlier.services.includes(s));
      const overlap = services.length > 0 ? firstOverlap(runsOf(earlier), runsOf(later)) : undefined;
      if (overlap) found.push({ earlier, later, services, overlap });
    }
  }
  return found;
}
