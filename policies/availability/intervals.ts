/** Arithmetic on spans of time [start, end) in epoch milliseconds. Pure. */
import type { Interval } from './types';

/** Sorted, with overlapping and touching intervals joined; empty ones dropped. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const merged: Interval[] = [];
  for (const i of [...intervals].filter((x) => x.end > x.start).sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else merged.push({ ...i });
  }
  return merged;
}

/** Whether [start, end) lies inside one of `merged` (sorted and joined, as from {@link mergeIntervals}). */
export function insideAny(merged: readonly Interval[], start: number, end: number): boolean {
  // The last interval that begins at or before `start` is the only one that can hold it.
  let [low, high] = [0, merged.length - 1];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (merged[mid]!.start <= start) low = mid;
    else high = mid - 1;
  }
  const candidate = merged[low];
  return candidate !== undefined && candidate.start <= start && end <= candidate.end;
}

/** How much of [from, to) `merged` (sorted and joined) covers, in milliseconds. */
export function coveredMs(merged: readonly Interval[], from: number, to: number): number {
  let total = 0;
  for (const i of merged) total += Math.max(0, Math.min(i.end, to) - Math.max(i.start, from));
  return total;
}
