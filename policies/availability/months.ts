/** Calendar months in a timezone, as instants. Pure. */
import { DateTime } from 'luxon';
import { knownZone, wallClockMs } from '../windows/occurrences';
import type { Interval } from './types';

const DAY_MS = 86_400_000;

/** A calendar month as written in reports: `2026-03`. */
export type MonthKey = string;

/**
 * [first instant of the month, first instant of the next) in `timezone`: local midnight of the
 * 1st, read as window start times are (a midnight the clocks skip moves forward by the gap).
 * March 2026 in Europe/Amsterdam is 31 days less the hour the clocks skip: 44,580 minutes.
 */
export function monthInterval(month: MonthKey, timezone: string): Interval {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new RangeError(`expected a month like 2026-03, got "${month}"`);
  const [year, monthNumber] = [Number(m[1]), Number(m[2])];
  const zone = knownZone(timezone);
  const firstDay = (y: number, mo: number) => Math.floor(Date.UTC(y, mo - 1, 1) / DAY_MS);
  return { start: wallClockMs(zone, firstDay(year, monthNumber), 0), end: wallClockMs(zone, firstDay(year, monthNumber + 1), 0) };
}

/** The month an instant falls in, in `timezone`. */
export function monthOf(ms: number, timezone: string): MonthKey {
  return DateTime.fromMillis(ms, { zone: knownZone(timezone) }).toFormat('yyyy-MM');
}

/** Every month that [from, to) touches, in order. */
export function monthsBetween(from: number, to: number, timezone: string): MonthKey[] {
  const months: MonthKey[] = [];
  for (let month = monthOf(from, timezone); monthInterval(month, timezone).start < to; month = nextMonth(month)) months.push(month);
  return months;
}

function nextMonth(month: MonthKey): MonthKey {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

/** An instant as people in `timezone` read it: `Sat 2026-12-12 22:00`. */
export function localTime(ms: number, timezone: string): string {
  return DateTime.fromMillis(ms, { zone: knownZone(timezone) }).toFormat('ccc yyyy-MM-dd HH:mm', { locale: 'en' });
}
