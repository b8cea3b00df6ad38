import type { Client } from '@temporalio/client';
import type { ServiceProbePlan } from '../../policies/probes/plan';
import { rolloutWorkflowId } from '../../policies/rollout/types';
import { pauseSignal, windowStatusQuery } from '../../workflows/messages';

/** Workflow type of a window occurrence's run (workflows/maintenanceWindow.ts), by name: no workflow code in activities. */
const WINDOW_RUN_TYPE = 'maintenanceWindowWorkflow';

/**
 * What was running on the service at this moment: the run of one of its windows that is in
 * progress (Temporal visibility, then the run's status query) and the rollout task it was running.
 */
export async function maintenanceInProgress(client: Client, plan: Pick<ServiceProbePlan, 'organisation' | 'windows'>): Promise<{ windowRun?: string; rolloutId?: string }> {
  if (plan.windows.length === 0) return {};
  const windows = new Set(plan.windows);
  for await (const w of client.workflow.list({ query: `WorkflowType = '${WINDOW_RUN_TYPE}' AND ExecutionStatus = 'Running'` })) {
    const memo = (w.memo ?? {}) as Record<string, unknown>;
    if (typeof memo.window !== 'string' || !windows.has(memo.window) || (memo.organisation !== undefined && memo.organisation !== plan.organisation)) continue;
    try {
      const status = await client.withDeadline(Date.now() + 10_000, () => client.workflow.getHandle(w.workflowId, w.runId).query(windowStatusQuery));
      if (status.phase !== 'in-progress') continue;
      const rolloutId = status.tasks.find((t) => t.state === 'running')?.rolloutId;
      return { windowRun: w.workflowId, ...(rolloutId !== undefined ? { rolloutId } : {}) };
    } catch {
      // No worker answers its query right now: not known to be in progress.
    }
  }
  return {};
}

/** Pauses a rollout (no new host starts; hosts in flight finish): one that has ended meanwhile is fine. */
export async function pauseRollout(client: Client, rolloutId: string, reason: string): Promise<void> {
  await client.workflow.getHandle(rolloutWorkflowId(rolloutId)).signal(pauseSignal, { reason }).catch(() => undefined);
}
