/**
 * When a maintenance window runs: its occurrences, worked out from the window's timing.
 *
 * How times are read (this is what users see):
 * - Recurrence times are wall-clock times in the window's `timezone`.
 * - A local start time that does not exist (the clocks jump forward over it) moves forward by the
 *   length of the jump: 02:30 on 2026-03-29 in Europe/Amsterdam starts at 03:30 CEST.
 * - A local time that happens twice (the clocks go back) means the first time, once and never
 *   twice: 02:30 on 2026-10-25 in Europe/Amsterdam is 02:30 CEST (00:30 UTC). This holds for cron
 *   too: "30 * * * *" runs once at 02:30 that night, not in both 02:30 hours.
 * - Duration and cutoff are real elapsed time: end = start + duration, cutoff = end - cutoff. A 4h
 *   window from 01:00 on 2026-10-25 in Europe/Amsterdam ends at 04:00 CET, four hours later.
 * - `offsetDays` adds calendar days in the window timezone and keeps the wall-clock time (22:00
 *   stays 22:00 across a DST change); it may cross month and year ends. The shifted local time
 *   follows the two rules above.
 * - monthly: `week` 1-4 is the 1st-4th such weekday of the month, `last` the last one; weekly: every
 *   listed weekday; once: `at` is a local date and time.
 * - cron: five fields (minute hour day-of-month month day-of-week) with numbers, names (jan, mon),
 *   `*`, lists, ranges and steps; day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day
 *   fields are restricted a day matches either; when one of them starts with `*` both must match.
 *   Quartz extensions (L, W, #, ?, H) are rejected.
 * - Blackouts are in the window timezone: `{date}` is that whole day [00:00, next day 00:00);
 *   `{from, to}` with dates runs from 00:00 of `from` to the end of day `to`; with local date-times
 *   it is [from, to). An occurrence is blacked out when [start, end) overlaps a blackout; touching
 *   edges do not overlap. All overlapping blackouts are named in the reason.
 *
 * Pure: callers pass every instant; no clock is read.
 */
import { DateTime, IANAZone } from 'luxon';
import { WEEKDAYS, type Blackout, type Occurrence, type Recurrence, type WindowTiming } from './schema';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * How far `nextOccurrences` looks ahead: four years and a day, so that even a 29 February window
 * always shows its next run; it also bounds the search for windows that never run again.
 */
export const LOOKAHEAD_MS = 1462 * DAY_MS;

/** Every occurrence whose start is in [from, to), ascending; blacked-out ones carry `blackout`. */
export function occurrencesBetween(timing: WindowTiming, from: Date, to: Date): Occurrence[] {
  return between(compile(timing), instant(from, 'from'), instant(to, 'to'));
}

/** The next `count` occurrences starting at or after `after`; blacked-out ones only with `includeBlackedOut`. */
export function nextOccurrences(timing: WindowTiming, after: Date, count: number, opts: { includeBlackedOut?: boolean } = {}): Occurrence[] {
  const plan = compile(timing);
  const found: Occurrence[] = [];
  const horizon = instant(after, 'after') + LOOKAHEAD_MS;
  // Growing steps: a busy cron finds its next runs within a day, a yearly one within few steps.
  let step = DAY_MS;
  for (let from = instant(after, 'after'); from < horizon && found.length < count; from += step, step = Math.min(step * 2, 64 * DAY_MS)) {
    for (const occurrence of between(plan, from, Math.min(from + step, horizon))) {
      if (opts.includeBlackedOut || !occurrence.blackout) found.push(occurrence);
    }
  }
  return found.slice(0, Math.max(0, count));
}

/** The occurrence that starts exactly at `start` (blacked out or not), if there is one. */
export function occurrenceAt(timing: WindowTiming, start: Date): Occurrence | undefined {
  const ms = instant(start, 'start');
  return between(compile(timing), ms, ms + 1)[0];
}

/** The instants a blackout covers in `timezone`, [startMs, endMs), with the reason shown to users. */
export function blackoutInterval(blackout: Blackout, timezone: string): { startMs: number; endMs: number; reason: string } {
  const zone = knownZone(timezone);
  if ('date' in blackout) {
    const day = localDay(blackout.date);
    return { startMs: wallClockMs(zone, day.day, 0), endMs: wallClockMs(zone, day.day + 1, 0), reason: blackout.reason ?? `blackout ${blackout.date}` };
  }
  const from = localDay(blackout.from);
  const to = localDay(blackout.to);
  return {
    startMs: wallClockMs(zone, from.day, from.minute ?? 0),
    // A date as `to` is the last blacked-out day, so the freeze ends when the next day begins.
    endMs: to.minute === undefined ? wallClockMs(zone, to.day + 1, 0) : wallClockMs(zone, to.day, to.minute),
    reason: blackout.reason ?? `freeze ${blackout.from} to ${blackout.to}`,
  };
}

/** Why a cron expression is not usable (in the words of the error `occurrencesBetween` would throw), or undefined. */
export function cronExpressionProblem(expression: string): string | undefined {
  try {
    parseCron(expression);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A calendar day without a timezone: days since 1970-01-01. */
type Day = number;

interface Plan {
  zone: IANAZone;
  /** Start minutes (of the local day) of the recurrence on a day, before `offsetDays`. */
  startsOn: (day: Day) => number[];
  offsetDays: number;
  durationMs: number;
  cutoffMs: number;
  blackouts: Array<{ startMs: number; endMs: number; reason: string }>;
}

function compile(timing: WindowTiming): Plan {
  const zone = knownZone(timing.timezone);
  const recurrence = timing.recurrence;
  return {
    zone,
    startsOn: startsOn(recurrence),
    offsetDays: recurrence.kind === 'once' ? 0 : recurrence.offsetDays,
    durationMs: timing.durationMs,
    cutoffMs: timing.cutoffMs,
    blackouts: timing.blackouts.map((blackout) => blackoutInterval(blackout, timing.timezone)),
  };
}

function between(plan: Plan, fromMs: number, toMs: number): Occurrence[] {
  const starts = new Set<number>();
  // Two days of margin: a start can move by the offset change, and (Samoa, 2011) by a whole skipped day.
  const first = localDayOf(plan.zone, fromMs) - plan.offsetDays - 2;
  const last = localDayOf(plan.zone, toMs) - plan.offsetDays + 2;
  for (let day = first; day <= last && fromMs < toMs; day++) {
    for (const minute of plan.startsOn(day)) {
      // The Set drops a start that a spring-forward gap moved onto another one.
      const ms = wallClockMs(plan.zone, day + plan.offsetDays, minute);
      if (ms >= fromMs && ms < toMs) starts.add(ms);
    }
  }
  return [...starts].sort((a, b) => a - b).map((ms) => occurrence(plan, ms));
}

function occurrence(plan: Plan, startMs: number): Occurrence {
  const endMs = startMs + plan.durationMs;
  // A zero-length window still occupies its start instant.
  const reasons = plan.blackouts.filter((b) => startMs < b.endMs && b.startMs < Math.max(endMs, startMs + 1)).map((b) => b.reason);
  const result: Occurrence = {
    start: new Date(startMs).toISOString(),
    end: new Date(endMs).toISOString(),
    cutoff: new Date(endMs - plan.cutoffMs).toISOString(),
    localStart: local(plan.zone, startMs),
    localEnd: local(plan.zone, endMs),
  };
  if (reasons.length > 0) result.blackout = { reason: [...new Set(reasons)].join('; ') };
  return result;
}

function local(zone: IANAZone, ms: number): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
}

/**
 * The instant of a wall-clock time in `zone`. Luxon alone would pick the second of two equal local
 * times in autumn; the rules want the first, and a time in a spring gap moved forward by the gap.
 */
export function wallClockMs(zone: IANAZone, day: Day, minute: number): number {
  const asUtc = day * DAY_MS + minute * MINUTE_MS;
  const before = zone.offset(asUtc - DAY_MS);
  let first: number | undefined;
  for (const offset of new Set([before, zone.offset(asUtc), zone.offset(asUtc + DAY_MS)])) {
    const ms = asUtc - offset * MINUTE_MS;
    if (zone.offset(ms) === offset && (first === undefined || ms < first)) first = ms;
  }
  // In a gap: read with the offset from before the jump, which lands the length of the gap later.
  return first ?? asUtc - before * MINUTE_MS;
}

export function localDayOf(zone: IANAZone, ms: number): Day {
  return Math.floor((ms + zone.offset(ms) * MINUTE_MS) / DAY_MS);
}

export function knownZone(timezone: string): IANAZone {
  const zone = IANAZone.create(timezone);
  if (!zone.isValid) throw new Error(`unknown timezone "${timezone}" (expected an IANA name like Europe/Amsterdam)`);
  return zone;
}

function instant(date: Date, name: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

function dayNumber(year: number, month: number, day: number): Day {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

function calendar(day: Day): { year: number; month: number; day: number; weekday: number } {
  const date = new Date(day * DAY_MS);
  // weekday: 0 is Sunday, as in cron.
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: date.getUTCDay() };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A policy's local date (2026-12-24) or date and time (2026-12-24T22:00). */
function localDay(text: string): { day: Day; minute?: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`expected a local date like 2026-12-24 or date and time like 2026-12-24T22:00, got "${text}"`);
  const day = dayNumber(Number(m[1]), Number(m[2]), Number(m[3]));
  return m[4] === undefined ? { day } : { day, minute: Number(m[4]) * 60 + Number(m[5]) };
}

function minuteOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function startsOn(recurrence: Recurrence): (day: Day) => number[] {
  switch (recurrence.kind) {
    case 'once': {
      const at = localDay(recurrence.at);
      return (day) => (day === at.day ? [at.minute ?? 0] : []);
    }
    case 'weekly': {
      const weekdays = new Set(recurrence.days.map(cronWeekday));
      const minutes = [minuteOfDay(recurrence.at)];
      return (day) => (weekdays.has(calendar(day).weekday) ? minutes : []);
    }
    case 'monthly': {
      const weekday = cronWeekday(recurrence.day);
      const week = recurrence.week;
      const minutes = [minuteOfDay(recurrence.at)];
      return (day) => {
        const c = calendar(day);
        if (c.weekday !== weekday) return [];
        const matches = week === 'last' ? c.day + 7 > daysInMonth(c.year, c.month) : Math.ceil(c.day / 7) === week;
        return matches ? minutes : [];
      };
    }
    case 'cron': {
      const cron = parseCron(recurrence.expression);
      return (day) => (cronMatchesDay(cron, calendar(day)) ? cron.minutesOfDay : []);
    }
  }
}

function cronWeekday(day: (typeof WEEKDAYS)[number]): number {
  return (WEEKDAYS.indexOf(day) + 1) % 7;
}

interface Cron {
  minutesOfDay: number[];
  daysOfMonth: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Vixie cron's DOM_STAR / DOW_STAR: the field starts with `*`. */
  anyDayOfMonth: boolean;
  anyWeekday: boolean;
}

function cronMatchesDay(cron: Cron, c: { month: number; day: number; weekday: number }): boolean {
  if (!cron.months.has(c.month)) return false;
  const dom = cron.daysOfMonth.has(c.day);
  const dow = cron.weekdays.has(c.weekday);
  return cron.anyDayOfMonth || cron.anyWeekday ? dom && dow : dom || dow;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
interface CronFieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names for the values from `firstName` on (jan = 1, sun = 0). */
  names: string[];
  firstName: number;
}
const CRON_FIELDS: CronFieldSpec[] = [
  { name: 'minute', min: 0, max: 59, names: [], firstName: 0 },
  { name: 'hour', min: 0, max: 23, names: [], firstName: 0 },
  { name: 'day-of-month', min: 1, max: 31, names: [], firstName: 0 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, firstName: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, firstName: 0 },
];

/*
 * Our own five-field parser rather than cron-parser's: cron-parser runs the repeated autumn hour
 * twice ("30 * * * *" at 00:30Z and 01:30Z in Amsterdam), and its package entry requires `fs`,
 * which Temporal's workflow bundler refuses (workflows import this module).
 */
function parseCron(expression: string): Cron {
  const fail = (detail: string): never => {
    throw new Error(`invalid cron expression "${expression}": ${detail}`);
  };
  const texts = expression.trim().split(/\s+/);
  if (texts.length !== 5) fail(`expected five fields (minute hour day-of-month month day-of-week), got ${texts.length}`);
  const field = (i: number): number[] => cronField(texts[i] ?? '', CRON_FIELDS[i]!, fail);
  const [minutes, hours, daysOfMonth, months, weekdays] = [field(0), field(1), field(2), field(3), field(4)];
  const cron: Cron = {
    minutesOfDay: hours.flatMap((hour) => minutes.map((minute) => hour * 60 + minute)),
    daysOfMonth: new Set(daysOfMonth),
    months: new Set(months),
    weekdays: new Set(weekdays.map((d) => d % 7)),
    anyDayOfMonth: texts[2]?.startsWith('*') ?? false,
    anyWeekday: texts[4]?.startsWith('*') ?? false,
  };
  // Only a day-of-month limited by month can be impossible (30 2): say so rather than never running.
  const possible = months.some((month) => daysOfMonth.some((day) => day <= daysInMonth(2028, month)));
  if (cron.anyWeekday && !possible) fail('no selected month has that day, so it never runs');
  return cron;
}

function cronField(text: string, field: CronFieldSpec, fail: (detail: string) => never): number[] {
  const extension = /[#?]/.exec(text)?.[0] ?? text.match(/[a-z]+/gi)?.find((word) => /^(L|W|LW|H)$/i.test(word));
  if (extension) {
    fail(`"${extension}" in the ${field.name} field is not standard cron (use numbers, names, *, lists, ranges, steps; for "last Friday" use kind: monthly with week: last)`);
  }
  const value = (token: string): number => {
    const named = field.names.indexOf(token.toLowerCase());
    const n = named >= 0 ? named + field.firstName : /^\d+$/.test(token) ? Number(token) : fail(`"${token}" is not a ${field.name}`);
    return n >= field.min && n <= field.max ? n : fail(`${field.name} ${n} is out of range ${field.min}-${field.max}`);
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(?:(\*)|(\w+)(?:-(\w+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return fail(`cannot read "${part}" in the ${field.name} field`);
    const step = m[4] === undefined ? 1 : Number(m[4]);
    if (step < 1) fail(`step 0 in the ${field.name} field`);
    const low = m[1] ? field.min : value(m[2]!);
    // "5/15" means from 5 to the end in steps of 15, as in most crons.
    const high = m[1] || (m[3] === undefined && m[4] !== undefined) ? field.max : m[3] === undefined ? low : value(m[3]);
    if (high < low) fail(`range ${part} in the ${field.name} field runs backwards`);
    for (let n = low; n <= high; n += step) values.add(n);
  }
  return [...values].sort((a, b) => a - b);
}
