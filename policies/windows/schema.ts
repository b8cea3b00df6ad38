import { z } from 'zod';
import { durationSchema } from '../common/durations';

/** Days of the week as written in policies. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time like 22:00 (24-hour HH:MM)');
const localDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected a date like 2026-12-24');
const localDateTime = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/, 'expected a local date and time like 2026-12-24T22:00 (no offset: the window timezone applies)');
const offsetDays = z.number().int().min(-27).max(27).default(0).describe('Days added after the recurrence (AWS "schedule offset"), e.g. 3 for "three days after Patch Tuesday". May cross a month boundary.');

/** Whether `zone` is an IANA timezone this Node knows (Intl is the source of truth, as in Luxon). */
export function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

export const timezoneSchema = z.string().superRefine((zone, ctx) => {
  if (!isKnownTimezone(zone)) ctx.addIssue({ code: 'custom', message: `unknown timezone "${zone}" (expected an IANA name like Europe/Amsterdam)` });
});

export const recurrenceSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('once'),
      at: localDateTime.describe('Local start, e.g. 2026-12-03T22:00.'),
    }),
    z.strictObject({
      kind: z.literal('weekly'),
      days: z.array(z.enum(WEEKDAYS)).min(1).describe('e.g. [tue, thu]'),
      at: timeOfDay,
      offsetDays,
    }),
    z.strictObject({
      kind: z.literal('monthly'),
      week: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal('last')]).describe('Which occurrence of `day` in the month: 1-4 or last (2 + tue = Patch Tuesday).'),
      day: z.enum(WEEKDAYS),
      at: timeOfDay,
      offsetDays,
    }),
    z.strictObject({
      kind: z.literal('cron'),
      expression: z
        .string()
        .regex(/^\S+( \S+){4}$/, 'expected five cron fields: minute hour day-of-month month day-of-week, e.g. "0 22 * * 2"')
        .describe('Five-field cron in the window timezone.'),
      offsetDays,
    }),
  ])
  .describe('When the window starts, in its timezone.');

export const blackoutSchema = z
  .union([
    z.strictObject({ date: localDate, reason: z.string().max(200).optional() }),
    z.strictObject({
      from: z.union([localDate, localDateTime]).describe('First blacked-out day (or local date and time).'),
      to: z.union([localDate, localDateTime]).describe('Last blacked-out day, inclusive (or local date and time, exclusive).'),
      reason: z.string().max(200).optional(),
    }),
  ])
  .describe('A day or a freeze period (in the window timezone) in which no occurrence may run.');

export type Recurrence = z.output<typeof recurrenceSchema>;
export type Blackout = z.output<typeof blackoutSchema>;

/** Everything the occurrence arithmetic needs about a window; durations in milliseconds. */
export interface WindowTiming {
  timezone: string;
  recurrence: Recurrence;
  /** Length of the window (real elapsed time). */
  durationMs: number;
  /** No new batch or task starts later than `cutoffMs` before the end. */
  cutoffMs: number;
  blackouts: Blackout[];
}

export const windowTimingFields = {
  timezone: timezoneSchema.describe('IANA timezone of the recurrence and blackouts, e.g. Europe/Amsterdam.'),
  recurrence: recurrenceSchema,
  duration: durationSchema.describe('Length of the window, e.g. 4h.'),
  cutoff: durationSchema.prefault(0).describe('No new batch or task starts this long before the end (AWS "cutoff").'),
  blackouts: z.array(blackoutSchema).default([]).describe('Dates and freeze periods without maintenance.'),
};

/** One run of a window. Instants are ISO-8601 UTC strings; `local*` are in the window timezone with offset. */
export interface Occurrence {
  start: string;
  end: string;
  /** Latest moment a new batch or task may start. */
  cutoff: string;
  localStart: string;
  localEnd: string;
  /** Set when the occurrence overlaps a blackout; it does not run. */
  blackout?: { reason: string };
}
