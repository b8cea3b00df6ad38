/**
 * Window schedules, like `terraform plan/apply`: what applying the organisation's window plans
 * would change (planChanges), and doing it (applyChanges). The schedule's spec and the read-back
 * of its plan are shared with the top-up (control/windowSchedule.ts).
 */
import { ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { launchLeadMs, windowLaunches, type WindowLaunch } from '../policies/windows/launches';
import { MANAGED_BY, windowRunId, windowScheduleId, type WindowPlan, type WindowRunInput } from '../policies/windows/types';
import { maintenanceWindowWorkflow } from '../workflows/maintenanceWindow';
import { windowLaunchWorkflow } from '../workflows/windowLaunch';
import { deleteSchedule, describeManaged, listSchedules, scheduleChange, writeSchedule, type ScheduleChange } from './schedules';
import { appliedPlan, windowScheduleSpec } from './windowSchedule';

export interface PlannedChange {
  action: ScheduleChange | 'delete';
  scheduleId: string;
  window: string;
  /** The next run it will start (create/update/unchanged). */
  next?: WindowLaunch;
  /** Occurrences whose notices are already due: started right away. */
  startNow: WindowLaunch[];
  /** Due occurrences whose run already exists (started by the schedule or an earlier apply): their workflow ids. */
  running?: string[];
}

/** Window schedules this organisation manages (memo managedBy=maint and the same organisation name); not the dependency scan. */
async function existingSchedules(client: Client, organisation: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of (await listSchedules(client)).schedules) {
    const { memo } = s;
    if (memo.managedBy === MANAGED_BY && memo.organisation === organisation && s.scheduleId.startsWith(windowScheduleId(''))) out.push(s.scheduleId);
  }
  return out;
}

/** The config hash of the plan a window's schedule runs. */
const appliedConfigHash = (d: ScheduleDescription) => appliedPlan(d)?.configHash;

/** Like `terraform plan`: what applying these window plans would change. */
export async function planChanges(client: Client, plans: WindowPlan[], taskQueue: string, now: Date): Promise<PlannedChange[]> {
  const organisation = plans[0]?.organisation.name;
  // Listed ones plus each planned id looked up directly (the list lags behind by a second or so).
  const ids = new Set([...(organisation ? await existingSchedules(client, organisation) : []), ...plans.map((p) => windowScheduleId(p.name))]);
  const existing = new Map<string, ScheduleDescription>();
  for (const id of ids) {
    const found = await describeManaged(client, id);
    if (found) existing.set(id, found);
  }
  const changes: PlannedChange[] = [];
  for (const plan of plans) {
    const scheduleId = windowScheduleId(plan.name);
    const { due, future } = windowLaunches(plan, now);
    const current = existing.get(scheduleId);
    existing.delete(scheduleId);
    const action = scheduleChange(current, scheduleOptions(plan, taskQueue, now), plan.configHash, appliedConfigHash);
    const startNow = [];
    const running = [];
    for (const launch of due) {
      const runId = await existingRun(client, plan.name, launch);
      if (runId !== undefined) running.push(runId);
      else startNow.push(launch);
    }
    changes.push({ action, scheduleId, window: plan.name, ...(future[0] ? { next: future[0] } : {}), startNow, ...(running.length > 0 ? { running } : {}) });
  }
  for (const gone of existing.keys()) changes.push({ action: 'delete', scheduleId: gone, window: gone.replace(/^window-/, ''), startNow: [] });
  return changes;
}

/**
 * The run of an occurrence, if it has one: every run has the one id {@link windowRunId}, whoever
 * started it. A schedule made before windowLaunchWorkflow started the run itself, under Temporal's
 * id for schedule actions (the schedule's workflow id and the launch time): that one counts too.
 */
async function existingRun(client: Client, window: string, launch: WindowLaunch): Promise<string | undefined> {
  for (const id of [windowRunId(window, launch.occurrence.start), `${windowScheduleId(window)}-${launch.launch.replace(/\.\d+Z$/, 'Z')}`]) {
    try {
      await client.workflow.getHandle(id).describe();
      return id;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return undefined;
}

export function scheduleOptions(plan: WindowPlan, taskQueue: string, now: Date): ScheduleOptions {
  const input: WindowRunInput = { plan };
  return {
    scheduleId: windowScheduleId(plan.name),
    spec: windowScheduleSpec(plan, now),
    action: {
      // The launch claims its occurrence and starts the occurrence's run under windowRunId.
      type: 'startWorkflow', workflowType: windowLaunchWorkflow, workflowId: windowScheduleId(plan.name), taskQueue, args: [input],
      memo: { window: plan.name, organisation: plan.organisation.name },
    },
    policies: {
      // A launch only claims its occurrence and ends: launches never overlap each other's work, and a
      // launch stuck on a worker that lacks windowLaunchWorkflow must not hold back the next ones.
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      // A run missed while Temporal was down still starts late, as long as its window has not begun.
      catchupWindow: Math.max(60_000, launchLeadMs(plan)),
    },
    memo: { managedBy: MANAGED_BY, organisation: plan.organisation.name },
    state: { note: `maint apply (config ${plan.configHash.slice(0, 12)})` },
  };
}

/** Creates, updates and deletes schedules as planned, and starts the runs whose notices are due. Idempotent. */
export async function applyChanges(client: Client, plans: WindowPlan[], changes: PlannedChange[], taskQueue: string, now: Date): Promise<void> {
  const byName = new Map(plans.map((p) => [p.name, p]));
  for (const change of changes) {
    const plan = byName.get(change.window);
    if (change.action === 'delete') {
      await deleteSchedule(client, change.scheduleId);
      continue;
    }
    if (!plan) continue;
    await writeSchedule(client, scheduleOptions(plan, taskQueue, now), change.action);
    for (const launch of change.startNow) {
      const input: WindowRunInput = { plan, occurrenceStart: launch.occurrence.start };
      await client.workflow
        .start(maintenanceWindowWorkflow, {
          taskQueue, workflowId: windowRunId(plan.name, launch.occurrence.start), args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE', memo: { window: plan.name, organisation: plan.organisation.name },
        })
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        });
    }
  }
}
