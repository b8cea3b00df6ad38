import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { launchLeadMs, scheduleCalendars, windowLaunches, type WindowLaunch } from '../policies/windows/launches';
import { MANAGED_BY, windowRunId, windowScheduleId, type WindowPlan, type WindowRunInput } from '../policies/windows/types';
import { maintenanceWindowWorkflow } from '../workflows/maintenanceWindow';
import { windowLaunchWorkflow } from '../workflows/windowLaunch';
import { connectClient } from '../control/connection';
import { loadOptionalDependencies, syncDependencySchedule } from './dependencies';
import { EXIT } from './errors';
import { loadOrganisation } from './organisation';
import { renderTable } from './table';

export interface PlannedChange {
  action: 'create' | 'update' | 'delete' | 'unchanged';
  scheduleId: string;
  window: string;
  /** The next run it will start (create/update/unchanged). */
  next?: WindowLaunch;
  /** Occurrences whose notices are already due: started right away. */
  startNow: WindowLaunch[];
  /** Due occurrences whose run already exists (started by the schedule or an earlier apply): their workflow ids. */
  running?: string[];
}

interface ExistingSchedule {
  scheduleId: string;
  /** The config hash of the plan the schedule runs (from its action's argument). */
  configHash?: string;
  /** The workflow its action starts (schedules made before windowLaunchWorkflow start the run itself). */
  workflowType?: string;
}

async function describeOurs(client: Client, scheduleId: string): Promise<ExistingSchedule | undefined> {
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    const memo = (d.memo ?? {}) as Record<string, unknown>;
    if (memo.managedBy !== MANAGED_BY) return undefined;
    const action = d.action as { args?: unknown[]; workflowType?: string };
    const hash = (action.args?.[0] as WindowRunInput | undefined)?.plan?.configHash;
    return { scheduleId, ...(hash !== undefined ? { configHash: hash } : {}), ...(action.workflowType !== undefined ? { workflowType: action.workflowType } : {}) };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Window schedules this organisation manages (memo managedBy=maint and the same organisation name); not the dependency scan. */
async function existingSchedules(client: Client, organisation: string): Promise<string[]> {
  const out: string[] = [];
  for await (const s of client.schedule.list()) {
    const memo = (s.memo ?? {}) as Record<string, unknown>;
    if (memo.managedBy === MANAGED_BY && memo.organisation === organisation && s.scheduleId.startsWith(windowScheduleId(''))) out.push(s.scheduleId);
  }
  return out;
}

/** Like `terraform plan`: what applying these window plans would change. */
export async function planChanges(client: Client, plans: WindowPlan[], now: Date): Promise<PlannedChange[]> {
  const organisation = plans[0]?.organisation.name;
  // Listed ones plus each planned id looked up directly (the list lags behind by a second or so).
  const ids = new Set([...(organisation ? await existingSchedules(client, organisation) : []), ...plans.map((p) => windowScheduleId(p.name))]);
  const existing = new Map<string, ExistingSchedule>();
  for (const id of ids) {
    const found = await describeOurs(client, id);
    if (found) existing.set(id, found);
  }
  const changes: PlannedChange[] = [];
  for (const plan of plans) {
    const scheduleId = windowScheduleId(plan.name);
    const { due, future } = windowLaunches(plan, now);
    const current = existing.get(scheduleId);
    existing.delete(scheduleId);
    const action = current === undefined ? 'create' : current.configHash === plan.configHash && current.workflowType === windowLaunchWorkflow.name ? 'unchanged' : 'update';
    const startNow = [];
    const running = [];
    for (const launch of due) {
      const runId = await existingRun(client, plan.name, launch);
      if (runId !== undefined) running.push(runId);
      else startNow.push(launch);
    }
    changes.push({ action, scheduleId, window: plan.name, ...(future[0] ? { next: future[0] } : {}), startNow, ...(running.length > 0 ? { running } : {}) });
  }
  for (const gone of existing.values()) changes.push({ action: 'delete', scheduleId: gone.scheduleId, window: gone.scheduleId.replace(/^window-/, ''), startNow: [] });
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
  const { future } = windowLaunches(plan, now);
  const input: WindowRunInput = { plan };
  return {
    scheduleId: windowScheduleId(plan.name),
    spec: { calendars: scheduleCalendars(future) },
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
      await client.schedule.getHandle(change.scheduleId).delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
      continue;
    }
    if (!plan) continue;
    const options = scheduleOptions(plan, taskQueue, now);
    if (change.action === 'create') {
      await client.schedule.create(options).catch(async (err: unknown) => {
        if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
        await client.schedule.getHandle(change.scheduleId).update(() => updateFrom(options));
      });
    } else if (change.action === 'update') {
      await client.schedule.getHandle(change.scheduleId).update(() => updateFrom(options));
    }
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

function updateFrom(options: ScheduleOptions) {
  const { scheduleId: _id, memo: _memo, ...rest } = options;
  return rest as Parameters<Parameters<ReturnType<Client['schedule']['getHandle']>['update']>[0]>[0] & typeof rest;
}

export function renderChanges(changes: PlannedChange[], plans: WindowPlan[]): string {
  const zone = new Map(plans.map((p) => [p.name, p.timing.timezone]));
  const sign = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
  const rows = changes.map((c) => [
    sign[c.action], c.scheduleId, c.action,
    c.startNow.length > 0
      ? `starts now for ${c.startNow.map((l) => l.occurrence.localStart).join(', ')} (its notices are due)`
      : c.running !== undefined && !c.next ? `running: ${c.running.join(', ')}`
      : c.next ? `next run ${c.next.launch.replace(/\.\d+Z$/, 'Z')} for the window of ${c.next.occurrence.localStart} (${zone.get(c.window) ?? ''})` : c.action === 'delete' ? '' : 'no upcoming occurrence',
  ]);
  const count = (a: PlannedChange['action']) => changes.filter((c) => c.action === a).length;
  return `${renderTable(['', 'schedule', 'action', 'what happens'], rows)}\n\nPlan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`;
}

/** `maint apply -f FILE... [--dry-run]`: validates every file, prints the plan, applies it unless --dry-run. */
export async function applyCommand(opts: { files: string[]; dryRun?: boolean; json?: boolean }): Promise<number> {
  const now = new Date();
  const plans = await loadOrganisation(opts.files, now);
  const dependencies = await loadOptionalDependencies(opts.files, now);
  const c = await connectClient();
  try {
    const changes = await planChanges(c.client, plans, now);
    if (!opts.dryRun) await applyChanges(c.client, plans, changes, c.env.MAINT_TASK_QUEUE, now);
    const deps = await syncDependencySchedule(c.client, dependencies, c.env.MAINT_TASK_QUEUE, !!opts.dryRun);
    const depsLine = deps.action === 'none' ? '' : `\ndependency scan: ${deps.scheduleId} ${deps.action}${deps.description ? `: ${deps.description}` : ''}`;
    if (opts.json) process.stdout.write(`${JSON.stringify({ dryRun: !!opts.dryRun, changes, dependencySchedule: deps }, null, 2)}\n`);
    else process.stdout.write(`${renderChanges(changes, plans)}${depsLine}${opts.dryRun ? '\n(dry run: nothing applied)' : ''}\n`);
    return EXIT.ok;
  } finally {
    await c.close();
  }
}
