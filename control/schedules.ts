import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { MANAGED_BY } from '../policies/windows/types';

/**
 * The Temporal Schedules `maint apply` keeps in line with the files (one per window, the dependency
 * scan), all synced the same way: a schedule is ours when its memo says `managedBy: maint`; it is
 * unchanged when it starts the same workflow with the same configuration (compared by hash), else it
 * is updated in place, so its id, history and next runs stay.
 */
export type ScheduleChange = 'create' | 'update' | 'unchanged';

/** The schedule as described now, when it exists and `maint apply` made it; else undefined. */
export async function describeManaged(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    return (d.memo as Record<string, unknown> | undefined)?.managedBy === MANAGED_BY ? d : undefined;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * What writing `desired` would do to `current`: created when there is none, unchanged when it runs
 * the same workflow and `appliedHash` reads the same configuration hash from it, else updated.
 */
export function scheduleChange(current: ScheduleDescription | undefined, desired: ScheduleOptions, configHash: string, appliedHash: (d: ScheduleDescription) => string | undefined): ScheduleChange {
  if (current === undefined) return 'create';
  const workflowType = typeof desired.action.workflowType === 'string' ? desired.action.workflowType : desired.action.workflowType.name;
  return current.action.workflowType === workflowType && appliedHash(current) === configHash ? 'unchanged' : 'update';
}

/** Creates or updates the schedule as planned; one created meanwhile (by a parallel apply) is updated instead. */
export async function writeSchedule(client: Client, options: ScheduleOptions, change: ScheduleChange): Promise<void> {
  if (change === 'unchanged') return;
  const update = () => client.schedule.getHandle(options.scheduleId).update(() => updateFrom(options));
  if (change === 'update') return update();
  await client.schedule.create(options).catch(async (err: unknown) => {
    if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
    await update();
  });
}

/** Deletes the schedule; one already gone counts as deleted. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.getHandle(scheduleId).delete().catch((err: unknown) => {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  });
}

/** The options a schedule is updated with: all but its id and memo (which only creation sets). */
function updateFrom(options: ScheduleOptions): ScheduleUpdateOptions {
  const { scheduleId: _id, memo: _memo, ...rest } = options;
  return rest as ScheduleUpdateOptions;
}
