/**
 * The hours an SLA tier allows planned maintenance in, written as `Mon-Fri 22:00-06:00 Europe/Amsterdam`.
 *
 * How it is read (this is what users see):
 * - Days: three-letter English names (any case), a range (`Mon-Fri`, `Fri-Mon` wraps over the
 *   weekend) or a comma list of names and ranges without spaces (`Mon,Wed,Fri`, `Mon-Wed,Sat`).
 * - The days name when an allowed period *begins*. A time range whose end is not after its start
 *   crosses midnight and ends on the next day: `Fri 22:00-06:00` allows Friday 22:00 to Saturday
 *   06:00, and Monday 02:00 is not allowed by `Mon-Fri 22:00-06:00` (that night began on Sunday).
 * - Times are wall-clock HH:MM in the given IANA timezone; the end may be `24:00` (midnight at the
 *   end of the day), so a whole day is `00:00-24:00`. A time the clocks skip or repeat is read as
 *   window start times are (policies/windows/occurrences.ts): skipped → moved forward by the gap,
 *   repeated → the first. So the allowed period is as long as the clock says, 7 or 9 real hours on
 *   the nights the clocks change.
 *
 * Pure: callers pass every instant.
 */
import { WEEKDAYS, isKnownTimezone, type Weekday } from '../windows/schema';
import { knownZone, localDayOf, wallClockMs } from '../windows/occurrences';
import { mergeIntervals } from './intervals';
import type { Interval } from './types';

export interface AllowedWindow {
  /** As written, for messages. */
  text: string;
  /** Days on which an allowed period begins. */
  days: Weekday[];
  /** Minutes after local midnight: start 0-1439, end 0-1440; an end not after the start is on the next day. */
  startMinute: number;
  endMinute: number;
  timezone: string;
}

const EXAMPLE = 'like "Mon-Fri 22:00-06:00 Europe/Amsterdam"';

/** Parses one allowed-hours text, or says what was expected (the message a user sees). */
export function parseAllowedWindow(text: string): AllowedWindow | { problem: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3) return { problem: `expected days, a time range and a timezone, ${EXAMPLE}` };
  const [daysText, timesText, timezone] = parts as [string, string, string];
  const days = parseDays(daysText);
  if ('problem' in days) return days;
  const times = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(timesText);
  if (!times) return { problem: `expected a time range like 22:00-06:00 (24-hour HH:MM-HH:MM), got "${timesText}"` };
  const [startMinute, endMinute] = [minuteOf(times[1]!, times[2]!), minuteOf(times[3]!, times[4]!)];
  if (startMinute === undefined || startMinute === 1440) return { problem: `expected a start time from 00:00 to 23:59, got "${times[1]}:${times[2]}"` };
  if (endMinute === undefined) return { problem: `expected an end time from 00:00 to 24:00, got "${times[3]}:${times[4]}"` };
  if (endMinute === startMinute) return { problem: `"${timesText}" starts and ends at the same time; for a whole day write 00:00-24:00` };
  if (!isKnownTimezone(timezone)) return { problem: `unknown timezone "${timezone}" (expected an IANA name like Europe/Amsterdam)` };
  return { text: parts.join(' '), days: days.days, startMinute, endMinute, timezone };
}

function minuteOf(hours: string, minutes: string): number | undefined {
  const [h, m] = [Number(hours), Number(minutes)];
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return undefined;
  return h * 60 + m;
}

function parseDays(text: string): { days: Weekday[] } | { problem: string } {
  const index = (name: string) => WEEKDAYS.indexOf(name.toLowerCase() as Weekday);
  const seen = new Set<number>();
  for (const item of text.split(',')) {
    const range = /^([A-Za-z]{3})(?:-([A-Za-z]{3}))?$/.exec(item);
    const [first, last] = range ? [index(range[1]!), index(range[2] ?? range[1]!)] : [-1, -1];
    if (first < 0 || last < 0) return { problem: `expected days like Mon-Fri or Mon,Wed,Fri (Mon Tue Wed Thu Fri Sat Sun), got "${item}"` };
    for (let d = first; ; d = (d + 1) % 7) {
      if (seen.has(d)) return { problem: `${capitalised(WEEKDAYS[d]!)} is listed twice in "${text}"` };
      seen.add(d);
      if (d === last) break;
    }
  }
  return { days: WEEKDAYS.filter((_, i) => seen.has(i)) };
}

function capitalised(day: string): string {
  return day[0]!.toUpperCase() + day.slice(1);
}

/** The allowed periods that overlap [fromMs, toMs), as instants [start, end), ascending and merged where they touch. */
export function allowedIntervals(windows: readonly AllowedWindow[], fromMs: number, toMs: number): Interval[] {
  const intervals: Interval[] = [];
  for (const w of windows) {
    const zone = knownZone(w.timezone);
    const days = new Set(w.days.map((d) => WEEKDAYS.indexOf(d)));
    // One day of margin before: a period that began yesterday may still run.
    for (let day = localDayOf(zone, fromMs) - 1; day <= localDayOf(zone, toMs) + 1; day++) {
      // Day 0 (1970-01-01) was a Thursday, index 3 of WEEKDAYS.
      if (!days.has((((day + 3) % 7) + 7) % 7)) continue;
      const start = wallClockMs(zone, day, w.startMinute);
      const end = wallClockMs(zone, w.endMinute > w.startMinute ? day : day + 1, w.endMinute);
      if (end > fromMs && start < toMs && end > start) intervals.push({ start, end });
    }
  }
  return mergeIntervals(intervals);
}
