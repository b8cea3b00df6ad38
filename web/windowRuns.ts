import type { Client } from '@temporalio/client';
import type { WindowPlan, WindowRunInput, WindowStatus } from '../policies/windows/types';
import { windowStatusQuery } from '../workflows/messages';

import { MANAGED_BY } from '../policies/windows/types';

/** The window plans as applied (of one organisation, when named): read back from the schedules `maint apply` created. */
export async function appliedPlans(client: Client, organisation?: string): Promise<WindowPlan[]> {
  const plans: WindowPlan[] = [];
  for await (const s of client.schedule.list()) {
    const memo = s.memo as Record<string, unknown> | undefined;
    if (memo?.managedBy !== MANAGED_BY) continue;
    if (organisation !== undefined && memo.organisation !== organisation) continue;
    const d = await client.schedule.getHandle(s.scheduleId).describe().catch(() => undefined);
    const input = (d?.action as { args?: unknown[] } | undefined)?.args?.[0] as WindowRunInput | undefined;
    if (input?.plan) plans.push(input.plan);
  }
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
export async function windowRuns(client: Client, options: { window?: string; organisation?: WindowsOf; sinceDays?: number; limit?: number } = {}): Promise<WindowRun[]> {
  const since = new Date(Date.now() - (options.sinceDays ?? 60) * 86_400_000).toISOString();
  const query = `WorkflowType = 'maintenanceWindowWorkflow' AND StartTime > '${since}'${options.window ? ` AND WorkflowId STARTS_WITH 'window-${options.window}-'` : ''}`;
  const runs: WindowRun[] = [];
  for await (const w of client.workflow.list({ query })) {
    if (runs.length >= (options.limit ?? 200)) break;
    const memo = (w.memo ?? {}) as Record<string, unknown>;
    if (options.window !== undefined && memo.window !== undefined && memo.window !== options.window) continue;
    if (options.organisation !== undefined && !belongsTo(options.organisation, memo)) continue;
    const handle = client.workflow.getHandle(w.workflowId, w.runId);
    const running = w.status.name === 'RUNNING';
    try {
      const status = running ? await handle.query(windowStatusQuery) : ((await handle.result()) as WindowStatus);
      runs.push({ workflowId: w.workflowId, running, status });
    } catch {
      // Failed or terminated runs, or a query no worker answers right now: left out of the list.
    }
  }
  return runs.sort((a, b) => b.status.occurrence.start.localeCompare(a.status.occurrence.start));
}

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
