import type { Client, ScheduleDescription, ScheduleSpec } from '@temporalio/client';
import { scheduleCalendars, windowLaunches } from '../policies/windows/launches';
import { windowScheduleId, type WindowPlan, type WindowRunInput } from '../policies/windows/types';

/**
 * A window's schedule, the part both its writers share: `maint apply` (control/windows.ts) and the
 * top-up its launches ask for (activities/windows/schedules.ts). No workflow code is imported
 * here, so the worker's activities can use it.
 */

/** When the schedule launches: the window's next launches as exact times (a schedule holds a bounded list). */
export function windowScheduleSpec(plan: WindowPlan, now: Date): ScheduleSpec {
  return { calendars: scheduleCalendars(windowLaunches(plan, now).future) };
}

/** The plan a window's schedule runs, read back from its action's argument; undefined for a schedule that holds none. */
export function appliedPlan(description: Pick<ScheduleDescription, 'action'> | undefined): WindowPlan | undefined {
  return (description?.action.args?.[0] as WindowRunInput | undefined)?.plan;
}

/**
 * Tops up a window's schedule with its next launches. Changes nothing else, and nothing at all when
 * the schedule runs another configuration, so it never undoes a newer `maint apply`.
 */
export async function topUpWindowSchedule(client: Client, input: { window: string; configHash: string }, now: () => Date = () => new Date()): Promise<{ refreshed: boolean; nextLaunch?: string }> {
  let nextLaunch: string | undefined;
  let refreshed = false;
  await client.schedule.getHandle(windowScheduleId(input.window)).update((previous) => {
    const plan = appliedPlan(previous);
    if (!plan || plan.configHash !== input.configHash) return previous; // applied again since: leave it alone
    const at = now();
    nextLaunch = windowLaunches(plan, at).future[0]?.launch;
    refreshed = true;
    return { ...previous, spec: { ...previous.spec, ...windowScheduleSpec(plan, at) } };
  });
  return { refreshed, ...(nextLaunch !== undefined ? { nextLaunch } : {}) };
}
