/**
 * The console's calendar of maintenance windows, as a model the page only renders: the days of a
 * month or a week in the viewer's timezone, each with the occurrences that start on it (times in
 * the viewer's zone, and in the window's own zone for the hover), the blackouts and freezes that
 * cover part of it, and the conflicts of each occurrence:
 * - overlap: another window over one of the same services runs at the same time ([start, end)
 *   intervals; touching ends do not overlap). Blacked-out occurrences do not run and conflict with nothing.
 * - SLA tier: the occurrence does not lie wholly inside the allowed hours of the tier of one of its
 *   services (policies/availability/allowedWindows.ts reads those hours).
 *
 * Pure: the caller passes the windows, the runs and notices it knows of, and `now`.
 */
import { DateTime } from 'luxon';
import { allowedIntervals, type AllowedWindow } from '../availability/allowedWindows';
import { insideAny } from '../availability/intervals';
import { blackoutInterval, knownZone, occurrencesBetween } from '../windows/occurrences';
import { isKnownTimezone, type WindowTiming } from '../windows/schema';
import { windowRunId, type WindowPhase } from '../windows/types';

export type CalendarView = 'month' | 'week';

export interface CalendarWindow {
  name: string;
  timing: WindowTiming;
  services: string[];
}

/** The allowed hours of a service's SLA tier (services without a tier, or a tier without hours, are absent). */
export interface TierHours {
  service: string;
  tier: string;
  allowed: AllowedWindow[];
}

export interface CalendarInput {
  windows: CalendarWindow[];
  view: CalendarView;
  /** A local date (YYYY-MM-DD) in `timezone` inside the month or week shown. */
  date: string;
  /** The viewer's IANA timezone. */
  timezone: string;
  now: number;
  tiers: TierHours[];
  /** The phase of each run that has started, by run id (policies/windows/types.ts windowRunId). */
  runs: Record<string, WindowPhase>;
  /** How many notices went out for each occurrence, by run id. */
  notices: Record<string, number>;
}

export interface CalendarConflict {
  kind: 'overlap' | 'sla-tier';
  message: string;
}

export interface CalendarEntry {
  window: string;
  services: string[];
  /** ISO instants. */
  start: string;
  end: string;
  runId: string;
  /** In the viewer's zone: `22:00`, and the end `02:00 (+1)` when it ends on a later day. */
  viewerStart: string;
  viewerEnd: string;
  /** In the window's own zone, for the hover: `Sun 25 Oct 01:00 CEST – 04:00 CET (Europe/Amsterdam)`. */
  windowTime: string;
  blackout?: string;
  conflicts: CalendarConflict[];
  /** The run's phase once its run has started; `not started` before, `past` when it never ran. */
  state: WindowPhase | 'not started' | 'past' | 'blacked out';
  notices: number;
}

export interface CalendarDay {
  /** YYYY-MM-DD in the viewer's zone. */
  date: string;
  /** `Mon 26 Oct`. */
  label: string;
  /** Inside the month shown (month view: the grid's leading and trailing days are not). */
  inPeriod: boolean;
  today: boolean;
  entries: CalendarEntry[];
  /** Blackouts and freezes covering part of the day: `Christmas freeze (web-weekly)`. */
  shaded: string[];
  /** The viewer's UTC offset changes on this day: `UTC+2 → UTC+1`. */
  offsetChange?: string;
}

export interface CalendarModel {
  view: CalendarView;
  timezone: string;
  /** `October 2026`, `Week of 19 Oct 2026`. */
  title: string;
  date: string;
  previous: string;
  next: string;
  /** Rows of seven days, Monday first. */
  weeks: CalendarDay[][];
  conflicts: number;
}

const DAY_MS = 86_400_000;
/** Occurrences starting this long before the period are compared too: a long window may still run into it. */
const OVERLAP_MARGIN_MS = 7 * DAY_MS;

/** A problem with the view's query, naming the parameter ("tz: unknown timezone …"). */
export function calendarQueryProblem(query: { date?: string; tz?: string }): string | undefined {
  if (query.tz !== undefined && !isKnownTimezone(query.tz)) return `tz: unknown timezone "${query.tz}" (expected an IANA name like Europe/Amsterdam)`;
  if (query.date !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(query.date) && DateTime.fromISO(query.date, { zone: 'UTC' }).isValid)) return `date: expected a date like 2026-10-26, got "${query.date}"`;
  return undefined;
}

const offsetName = (minutes: number) => `UTC${minutes < 0 ? '−' : '+'}${Math.floor(Math.abs(minutes) / 60)}${Math.abs(minutes) % 60 ? `:${String(Math.abs(minutes) % 60).padStart(2, '0')}` : ''}`;

export function calendarModel(input: CalendarInput): CalendarModel {
  const zone = knownZone(input.timezone);
  const anchor = DateTime.fromISO(input.date, { zone }).startOf('day');
  const first = input.view === 'month' ? anchor.startOf('month').startOf('week') : anchor.startOf('week');
  const last = input.view === 'month' ? anchor.endOf('month').endOf('week').startOf('day') : first.plus({ days: 6 });
  const from = first.toMillis();
  const to = last.plus({ days: 1 }).toMillis();
  const today = DateTime.fromMillis(input.now, { zone }).toISODate();

  // Every occurrence starting in the period, and those just before it for the overlaps.
  const all = input.windows.flatMap((w) => occurrencesBetween(w.timing, new Date(from - OVERLAP_MARGIN_MS), new Date(to)).map((o) => ({ w, o, startMs: Date.parse(o.start), endMs: Date.parse(o.end) })));
  const tiersOf = new Map<string, TierHours[]>();
  for (const t of input.tiers) tiersOf.set(t.service, [...(tiersOf.get(t.service) ?? []), t]);

  const byDay = new Map<string, CalendarEntry[]>();
  let conflictCount = 0;
  for (const { w, o, startMs, endMs } of all) {
    if (startMs < from) continue;
    const conflicts: CalendarConflict[] = [];
    if (!o.blackout) {
      for (const other of all) {
        if (other.w === w || other.o.blackout || !(other.startMs < endMs && startMs < other.endMs)) continue;
        const shared = w.services.filter((s) => other.w.services.includes(s));
        if (shared.length === 0) continue;
        conflicts.push({ kind: 'overlap', message: `overlaps ${other.w.name} (${viewerTime(other.startMs, zone)}–${viewerTime(other.endMs, zone)}) on ${shared.join(', ')}` });
      }
      for (const service of w.services) {
        for (const t of tiersOf.get(service) ?? []) {
          if (insideAny(allowedIntervals(t.allowed, startMs, endMs), startMs, endMs)) continue;
          conflicts.push({ kind: 'sla-tier', message: `outside the allowed hours of SLA tier "${t.tier}" of ${service} (${t.allowed.map((a) => a.text).join('; ')})` });
        }
      }
    }
    if (conflicts.length > 0) conflictCount++;
    const runId = windowRunId(w.name, o.start);
    const start = DateTime.fromMillis(startMs, { zone });
    const end = DateTime.fromMillis(endMs, { zone });
    const days = Math.round((end.startOf('day').toMillis() - start.startOf('day').toMillis()) / DAY_MS);
    const phase = input.runs[runId];
    const entry: CalendarEntry = {
      window: w.name, services: w.services, start: o.start, end: o.end, runId,
      viewerStart: start.toFormat('HH:mm'),
      viewerEnd: `${end.toFormat('HH:mm')}${days > 0 ? ` (+${days})` : ''}`,
      windowTime: windowZoneTime(startMs, endMs, w.timing.timezone),
      ...(o.blackout ? { blackout: o.blackout.reason } : {}),
      conflicts,
      state: phase ?? (o.blackout ? 'blacked out' : endMs <= input.now ? 'past' : 'not started'),
      notices: input.notices[runId] ?? 0,
    };
    const key = start.toISODate()!;
    byDay.set(key, [...(byDay.get(key) ?? []), entry]);
  }

  const blackouts = input.windows.flatMap((w) => w.timing.blackouts.map((b) => ({ w, ...blackoutInterval(b, w.timing.timezone) })));
  const weeks: CalendarDay[][] = [];
  for (let day = first; day <= last; day = day.plus({ days: 1 })) {
    const dayStart = day.toMillis();
    const dayEnd = day.plus({ days: 1 }).toMillis();
    const date = day.toISODate()!;
    const shaded = [...new Set(blackouts.filter((b) => b.startMs < dayEnd && b.endMs > dayStart).map((b) => `${b.reason} (${b.w.name})`))];
    const [offsetBefore, offsetAfter] = [zone.offset(dayStart), zone.offset(dayEnd - 1)];
    const cell: CalendarDay = {
      date, label: day.setLocale('en-GB').toFormat('ccc d LLL'),
      inPeriod: input.view === 'week' || day.month === anchor.month,
      today: date === today,
      entries: (byDay.get(date) ?? []).sort((a, b) => a.start.localeCompare(b.start) || a.window.localeCompare(b.window)),
      shaded,
      ...(offsetBefore !== offsetAfter ? { offsetChange: `${offsetName(offsetBefore)} → ${offsetName(offsetAfter)}` } : {}),
    };
    if (weeks.length === 0 || weeks.at(-1)!.length === 7) weeks.push([]);
    weeks.at(-1)!.push(cell);
  }
  const step = input.view === 'month' ? { months: 1 } : { weeks: 1 };
  return {
    view: input.view, timezone: input.timezone,
    title: input.view === 'month' ? anchor.setLocale('en-GB').toFormat('LLLL yyyy') : `Week of ${first.setLocale('en-GB').toFormat('d LLL yyyy')}`,
    date: anchor.toISODate()!,
    previous: (input.view === 'month' ? anchor.startOf('month') : first).minus(step).toISODate()!,
    next: (input.view === 'month' ? anchor.startOf('month') : first).plus(step).toISODate()!,
    weeks, conflicts: conflictCount,
  };
}

function viewerTime(ms: number, zone: ReturnType<typeof knownZone>): string {
  return DateTime.fromMillis(ms, { zone }).setLocale('en-GB').toFormat('ccc d LLL HH:mm');
}

/** `Sun 25 Oct 01:00 CEST – 04:00 CET (Europe/Amsterdam)`; the end's date only when it is another day. */
export function windowZoneTime(startMs: number, endMs: number, timezone: string): string {
  const zone = knownZone(timezone);
  const start = DateTime.fromMillis(startMs, { zone }).setLocale('en-GB');
  const end = DateTime.fromMillis(endMs, { zone }).setLocale('en-GB');
  return `${start.toFormat('ccc d LLL HH:mm ZZZZ')} – ${end.toFormat(end.hasSame(start, 'day') ? 'HH:mm ZZZZ' : 'ccc d LLL HH:mm ZZZZ')} (${timezone})`;
}
