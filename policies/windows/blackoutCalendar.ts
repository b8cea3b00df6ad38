/**
 * Blackouts from an iCalendar (.ics) file, e.g. a holiday or change-freeze calendar.
 *
 * - All-day events become whole days: `{date}` for one day, `{from, to}` (to inclusive; DTEND is
 *   exclusive in iCalendar) for several. The dates are the calendar's own, whatever the timezone.
 * - Timed events become local date-times in the window timezone, widened to whole minutes (start
 *   rounded down, end up). Floating times (no TZID, no Z) are read in the window timezone, unless
 *   the file has exactly one VTIMEZONE: node-ical then applies it, as such exports mean.
 * - Recurring events (RRULE) are expanded, without their EXDATEs and with RECURRENCE-ID changes.
 * - Only events overlapping the horizon are kept; cancelled events (STATUS:CANCELLED) and timed
 *   events without length are skipped. The event SUMMARY is the reason.
 *
 * Pure: it parses the text it is given.
 */
import { DateTime, IANAZone } from 'luxon';
import { expandRecurringEvent, sync, type EventInstance, type VEvent } from 'node-ical';
import { blackoutInterval } from './occurrences';
import type { Blackout } from './schema';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const REASON_MAX = 200;

/** The blackouts an iCalendar text describes within the horizon, in `timezone`, ordered by start. */
export function blackoutsFromICalendar(text: string, timezone: string, horizon: { from: Date; to: Date }): Blackout[] {
  if (!IANAZone.isValidZone(timezone)) throw new Error(`unknown timezone "${timezone}" (expected an IANA name like Europe/Amsterdam)`);
  if (!/BEGIN:VCALENDAR/i.test(text)) throw new Error('not an iCalendar file: expected BEGIN:VCALENDAR (export the calendar as .ics)');
  let parsed: ReturnType<typeof sync.parseICS>;
  try {
    parsed = sync.parseICS(text);
  } catch (error) {
    throw new Error(`cannot read the iCalendar file: ${(error as Error).message}`, { cause: error });
  }
  const found: Array<{ startMs: number; blackout: Blackout }> = [];
  for (const component of Object.values(parsed)) {
    if (component?.type !== 'VEVENT' || component.status === 'CANCELLED') continue;
    const event = component as VEvent;
    if (!(event.start instanceof Date) || Number.isNaN(event.start.getTime())) {
      throw new Error(`event "${summaryText(event.summary) ?? event.uid}" has no valid DTSTART`);
    }
    // node-ical compares all-day events at the host's midnight: widen, then filter exactly below.
    const instances = expandRecurringEvent(event, {
      from: new Date(horizon.from.getTime() - 2 * DAY_MS),
      to: new Date(horizon.to.getTime() + 2 * DAY_MS),
      expandOngoing: true,
    });
    for (const instance of instances) {
      if (instance.event.status === 'CANCELLED') continue;
      const blackout = toBlackout(instance, timezone);
      if (!blackout) continue;
      const span = blackoutInterval(blackout, timezone);
      if (span.startMs < horizon.to.getTime() && span.endMs > horizon.from.getTime()) found.push({ startMs: span.startMs, blackout });
    }
  }
  return found.sort((a, b) => a.startMs - b.startMs).map((f) => f.blackout);
}

function toBlackout(instance: EventInstance, timezone: string): Blackout | undefined {
  const reason = summaryText(instance.summary);
  const withReason = (blackout: Blackout): Blackout => (reason ? { ...blackout, reason } : blackout);
  if (instance.isFullDay) {
    // node-ical gives an all-day date as the host's local midnight of that calendar day.
    const from = hostLocalDate(instance.start);
    const last = hostLocalDate(new Date(instance.end.getFullYear(), instance.end.getMonth(), instance.end.getDate() - 1));
    return withReason(last <= from ? { date: from } : { from, to: last });
  }
  const floating = !(instance.start.tz ?? instance.event.start?.tz);
  const from = localMinute(instance.start, floating, timezone, 'floor');
  const to = localMinute(instance.end, floating, timezone, 'ceil');
  return from < to ? withReason({ from, to }) : undefined;
}

function hostLocalDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A timed instant as the window timezone's local date and time, to the minute. */
function localMinute(date: Date, floating: boolean, timezone: string, round: 'floor' | 'ceil'): string {
  const roundMs = (ms: number) => (round === 'floor' ? Math.floor(ms / MINUTE_MS) : Math.ceil(ms / MINUTE_MS)) * MINUTE_MS;
  if (floating) {
    // Floating time: node-ical built it in the host's timezone; its wall clock is what was meant.
    const wall = Date.UTC(date.getFullYear(), date.getMonth(), date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds(), date.getMilliseconds());
    return new Date(roundMs(wall)).toISOString().slice(0, 16);
  }
  return DateTime.fromMillis(roundMs(date.getTime()), { zone: timezone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

function summaryText(summary: VEvent['summary'] | undefined): string | undefined {
  const text = (typeof summary === 'string' ? summary : summary?.val)?.trim();
  return text ? text.slice(0, REASON_MAX) : undefined;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
