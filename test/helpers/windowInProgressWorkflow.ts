// A stand-in for a maintenance window occurrence that is in progress, for a test worker of its own
// (Worker.create({ workflowsPath: this file })): the type name and the status query are the real
// ones, so Temporal visibility and the query answer as they would for a real window run.
import { condition, defineQuery, setHandler } from '@temporalio/workflow';
import type { WindowStatus } from '../../policies/windows/types';
import { pauseSignal, windowStatusQuery } from '../../workflows/messages';

export async function maintenanceWindowWorkflow(input: { status: WindowStatus }): Promise<void> {
  setHandler(windowStatusQuery, () => input.status);
  await condition(() => false);
}

/** The pause signals a stand-in rollout received (their reasons). */
export const pausesQuery = defineQuery<string[]>('pauses');

/** A stand-in for the rollout the window runs: it records the real pause signal. */
export async function patchRolloutWorkflow(): Promise<void> {
  const pauses: string[] = [];
  setHandler(pauseSignal, (request) => void pauses.push(request?.reason ?? ''));
  setHandler(pausesQuery, () => pauses);
  await condition(() => false);
}
