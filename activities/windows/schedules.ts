import type { Client } from '@temporalio/client';
import { topUpWindowSchedule } from '../../control/windowSchedule';

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
      return topUpWindowSchedule(deps.client, input);
    },
  };
}
