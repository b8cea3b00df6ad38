import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleUpdateOptions } from '@temporalio/client';
import { decodeMapFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { MANAGED_BY } from '../policies/windows/types';

/**
 * The Temporal Schedules `maint apply` keeps in line with the files (one per window, the dependency
 * scan), all synced the same way: a schedule is ours when its memo says `managedBy: maint`; it is
 * unchanged when it starts the same workflow with the same configuration (compared by hash), else it
 * is updated in place, so its id, history and next runs stay.
 */
export type ScheduleChange = 'create' | 'update' | 'unchanged';

/** A listed schedule: its id, memo and note. */
export interface ListedSchedule {
  scheduleId: string;
  memo: Record<string, unknown>;
  note: string | undefined;
}

/**
 * Every schedule of the namespace with its memo, like `client.schedule.list()` — except that a
 * schedule whose memo this client cannot decode (encrypted with a key it lacks, or in clear where it
 * requires encryption: another deployment's) is left out and counted in `undecodable`, instead of
 * failing the whole list. `maint apply` and `maint serve` of one deployment then never stop working
 * because another one shares the namespace; their own schedules are always looked up by id too,
 * where a decoding failure is reported.
 */
export async function listSchedules(client: Client): Promise<{ schedules: ListedSchedule[]; undecodable: string[] }> {
  const schedules: ListedSchedule[] = [];
  const undecodable: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listSchedules({ namespace: client.options.namespace, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const raw of page.schedules ?? []) {
      const scheduleId = raw.scheduleId ?? '';
      let memo: Record<string, unknown> | undefined;
      try {
        memo = await decodeMapFromPayloads(client.options.loadedDataConverter, raw.memo?.fields);
      } catch {
        undecodable.push(scheduleId);
        continue;
      }
      schedules.push({ scheduleId, memo: memo ?? {}, note: raw.info?.notes ?? undefined });
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { schedules, undecodable };
}

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
