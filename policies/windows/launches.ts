import type { WindowPlan } from './types';
import { nextOccurrences } from './occurrences';
import type { Occurrence } from './schema';

/** A schedule holds at most this many upcoming runs; each run tops the list up again. */
export const MAX_SCHEDULED_RUNS = 60;
/** …and looks at most this far ahead. */
export const SCHEDULE_HORIZON_MS = 400 * 86_400_000;

export interface WindowLaunch {
  /** When the window workflow starts: the first notice or the pre-flight, whichever is earlier. */
  launch: string;
  occurrence: Occurrence;
}

/** How long before its start a window's workflow begins. */
export function launchLeadMs(plan: Pick<WindowPlan, 'leadTimesMs' | 'preflightBeforeMs'>): number {
  return Math.max(0, ...plan.leadTimesMs, plan.preflightBeforeMs ?? 0);
}

/**
 * The upcoming runs of a window (blacked-out occurrences never run): `future` launch in the
 * future, so a schedule can hold them; `due` have already reached their launch time but not
 * their start, so `maint apply` starts them at once.
 */
export function windowLaunches(plan: Pick<WindowPlan, 'timing' | 'leadTimesMs' | 'preflightBeforeMs'>, now: Date): { due: WindowLaunch[]; future: WindowLaunch[] } {
  const lead = launchLeadMs(plan);
  const due: WindowLaunch[] = [];
  const future: WindowLaunch[] = [];
  for (const occurrence of nextOccurrences(plan.timing, now, MAX_SCHEDULED_RUNS + 1)) {
    const launch = Date.parse(occurrence.start) - lead;
    if (launch > now.getTime() + SCHEDULE_HORIZON_MS) break;
    (launch <= now.getTime() ? due : future).push({ launch: new Date(launch).toISOString(), occurrence });
  }
  return { due, future: future.slice(0, MAX_SCHEDULED_RUNS) };
}

/**
 * A window's run lasts from its launch to its end. Lead times this long would have the next
 * occurrence's run begin (notices, pre-flight) while the previous one still works on the same
 * services: say so.
 */
export function overlappingLaunches(plan: Pick<WindowPlan, 'timing' | 'leadTimesMs' | 'preflightBeforeMs'>, now: Date): string | undefined {
  const lead = launchLeadMs(plan);
  const occurrences = nextOccurrences(plan.timing, now, 12);
  for (let i = 1; i < occurrences.length; i++) {
    const previousEnd = Date.parse(occurrences[i - 1]!.end);
    const launch = Date.parse(occurrences[i]!.start) - lead;
    if (launch < previousEnd) {
      return `the run for ${occurrences[i]!.localStart} would begin (notices/pre-flight ${Math.round(lead / 60_000)} min ahead) before the one of ${occurrences[i - 1]!.localStart} ends; shorten the lead times or the duration`;
    }
  }
  return undefined;
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

/**
 * The schedule spec for a window: one exact UTC calendar entry per launch. Our occurrence
 * arithmetic (DST, offsets, blackouts) is the single source of truth; Temporal only fires.
 */
export function scheduleCalendars(launches: WindowLaunch[]) {
  return launches.map((l) => {
    const t = new Date(l.launch);
    return {
      year: t.getUTCFullYear(), month: MONTHS[t.getUTCMonth()]!, dayOfMonth: t.getUTCDate(),
      hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds(),
      comment: `${l.occurrence.localStart}`,
    };
  });
}
