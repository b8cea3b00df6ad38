import type { Client } from '@temporalio/client';
import { windowLaunches, scheduleCalendars } from '../../policies/windows/launches';
import type { WindowPlan } from '../../policies/windows/types';
import { windowScheduleId } from '../../policies/windows/types';

export interface ScheduleDeps {
  client: Client;
}

export function createScheduleActivities(deps: ScheduleDeps | undefined) {
  return {
    /**
     * Tops up a window's schedule with its next launches (a schedule holds a bounded list of
     * exact times). Changes nothing else, so it never undoes a newer `maint apply`.
     */
    async refreshWindowSchedule(input: { window: string; configHash: string }): Promise<{ refreshed: boolean; nextLaunch?: string }> {
      if (!deps) return { refreshed: false };
      const handle = deps.client.schedule.getHandle(windowScheduleId(input.window));
      let nextLaunch: string | undefined;
      let refreshed = false;
      await handle.update((previous) => {
        const action = previous.action as { args?: unknown[] };
        const plan = (action.args?.[0] as { plan?: WindowPlan } | undefined)?.plan;
        if (!plan || plan.configHash !== input.configHash) return previous; // applied again since: leave it alone
        const { future } = windowLaunches(plan, new Date());
        nextLaunch = future[0]?.launch;
        refreshed = true;
        return { ...previous, spec: { ...previous.spec, calendars: scheduleCalendars(future) } };
      });
      return { refreshed, ...(nextLaunch !== undefined ? { nextLaunch } : {}) };
    },
  };
}
