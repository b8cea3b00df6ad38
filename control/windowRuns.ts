import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { MANAGED_BY, type WindowPlan, type WindowStatus } from '../policies/windows/types';
import { maintenanceWindowWorkflow } from '../workflows/maintenanceWindow';
import { cancelWindowUpdate, overrideBudgetUpdate, extendWindowUpdate, windowStatusQuery } from '../workflows/messages';
import { InvalidInputError } from './errors';
import { appliedPlan } from './windowSchedule';
import { listSchedules } from './schedules';

/**
 * Plans already read, by schedule id, with the schedule's note when it was read: `maint apply`
 * writes the config hash into the note (control/windows.ts scheduleOptions), so a schedule listed
 * with the same note runs the same plan and need not be described again.
 */
export type AppliedPlanCache = Map<string, { note: string; plan: WindowPlan }>;

/**
 * The window plans as applied (of one organisation, when named): read back from the schedules `maint apply` created.
 * With a `cache`, a schedule whose note has not changed since it was read is not described again (one list call in all).
 */
export async function appliedPlans(client: Client, organisation?: string, cache?: AppliedPlanCache): Promise<WindowPlan[]> {
  const plans: WindowPlan[] = [];
  const listed = new Set<string>();
  for (const s of (await listSchedules(client)).schedules) {
    const { memo } = s;
    if (memo.managedBy !== MANAGED_BY) continue;
    if (organisation !== undefined && memo.organisation !== organisation) continue;
    listed.add(s.scheduleId);
    const { note } = s;
    const known = cache?.get(s.scheduleId);
    if (known && note !== undefined && known.note === note) {
      plans.push(known.plan);
      continue;
    }
    const plan = appliedPlan(await client.schedule.getHandle(s.scheduleId).describe().catch(() => undefined));
    if (!plan) continue;
    plans.push(plan);
    if (cache && note !== undefined) cache.set(s.scheduleId, { note, plan });
  }
  for (const id of cache?.keys() ?? []) if (!listed.has(id)) cache!.delete(id);
  return plans.sort((a, b) => a.name.localeCompare(b.name));
}

export interface WindowRun {
  workflowId: string;
  running: boolean;
  status: WindowStatus;
}

/**
 * Window occurrences that have started (their workflow exists; one per occurrence): running ones
 * answer the status query, finished ones return it as their result. Newest first. `organisation`
 * leaves out the runs of other organisations' windows.
 */
export async function windowRuns(client: Client, options: { window?: string; organisation?: WindowsOf; sinceDays?: number; limit?: number; finished?: FinishedRunCache } = {}): Promise<WindowRun[]> {
  const since = new Date(Date.now() - (options.sinceDays ?? 60) * 86_400_000).toISOString();
  const query = `WorkflowType = '${maintenanceWindowWorkflow.name}' AND StartTime > '${since}'${options.window ? ` AND WorkflowId STARTS_WITH 'window-${options.window}-'` : ''}`;
  const runs: WindowRun[] = [];
  const seen = new Set<string>();
  for await (const w of client.workflow.list({ query })) {
    if (runs.length >= (options.limit ?? 200)) break;
    const memo = (w.memo ?? {}) as Record<string, unknown>;
    if (options.window !== undefined && memo.window !== undefined && memo.window !== options.window) continue;
    if (options.organisation !== undefined && !belongsTo(options.organisation, memo)) continue;
    const handle = client.workflow.getHandle<typeof maintenanceWindowWorkflow>(w.workflowId, w.runId);
    const running = w.status.name === 'RUNNING';
    const key = `${w.workflowId}/${w.runId}`;
    const known = running ? undefined : options.finished?.get(key);
    if (known) {
      runs.push({ workflowId: w.workflowId, running, status: known });
      seen.add(key);
      continue;
    }
    try {
      const status = running ? await handle.query(windowStatusQuery) : await handle.result();
      runs.push({ workflowId: w.workflowId, running, status });
      if (!running && options.finished) {
        options.finished.set(key, status);
        seen.add(key);
      }
    } catch {
      // Failed or terminated runs, or a query no worker answers right now: left out of the list.
    }
  }
  // Runs that fell out of the period (or the list) are forgotten: the cache holds what the last list held.
  for (const key of options.finished?.keys() ?? []) if (!seen.has(key)) options.finished!.delete(key);
  return runs.sort((a, b) => b.status.occurrence.start.localeCompare(a.status.occurrence.start));
}

/** What finished runs returned, by `workflowId/runId`: a closed workflow's result never changes, so it is fetched once. */
export type FinishedRunCache = Map<string, WindowStatus>;

/**
 * The run of a window that `maint windows cancel/extend` act on: the one in progress; else the
 * running one whose occurrence comes first (announced, not begun); else the most recent.
 */
export async function currentRun(client: Client, window: string): Promise<WindowRun | undefined> {
  const runs = await windowRuns(client, { window, sinceDays: 30 });
  const running = runs.filter((r) => r.running);
  return running.find((r) => r.status.phase === 'in-progress') ?? running.at(-1) ?? runs[0];
}

/** An organisation, and its applied windows: runs started before runs carried their organisation in the memo are told by their window. */
export interface WindowsOf {
  name: string;
  windows: string[];
}

function belongsTo(organisation: WindowsOf, memo: Record<string, unknown>): boolean {
  if (memo.organisation !== undefined) return memo.organisation === organisation.name;
  return typeof memo.window === 'string' && organisation.windows.includes(memo.window);
}

/** Who changes a run and why: shown to customers (the reason) and kept in the run's history. */
export interface WindowChange {
  reason: string;
  by: string;
}

/**
 * Cancels the announced or running occurrence of a window; customers who were told get a
 * "cancelled" notice. A window without such a run, or a run that refuses, is an InvalidInputError.
 */
export async function cancelWindow(client: Client, window: string, change: WindowChange): Promise<WindowStatus> {
  return updateCurrentRun(client, window, (handle) => handle.executeUpdate(cancelWindowUpdate, { args: [change] }));
}

/** Lets the announced or running occurrence's routine tasks run although a service's error budget is spent. */
export async function overrideErrorBudget(client: Client, window: string, change: { by: string; reason: string }): Promise<WindowStatus> {
  return updateCurrentRun(client, window, (handle) => handle.executeUpdate(overrideBudgetUpdate, { args: [change] }));
}

/** Moves the end (and cutoff) of the running occurrence to `until`, or later by `byMs`; customers get an "extended" notice. */
export async function extendWindow(client: Client, window: string, change: WindowChange & ({ until: string } | { byMs: number })): Promise<WindowStatus> {
  return updateCurrentRun(client, window, async (handle) => {
    const until = 'until' in change ? new Date(change.until) : new Date(Date.parse((await handle.query(windowStatusQuery)).end) + change.byMs);
    return handle.executeUpdate(extendWindowUpdate, { args: [{ until: until.toISOString(), reason: change.reason, by: change.by }] });
  });
}

type RunHandle = ReturnType<Client['workflow']['getHandle']>;

async function updateCurrentRun<T>(client: Client, window: string, update: (handle: RunHandle) => Promise<T>): Promise<T> {
  const run = await currentRun(client, window);
  if (!run?.running) {
    throw new InvalidInputError(`window ${window} has no run in progress or announced; runs start at the first notice lead time (to skip a future date, add it to the window's blackouts and apply)`);
  }
  try {
    return await update(client.workflow.getHandle(run.workflowId));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new InvalidInputError(`window ${window}: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}
