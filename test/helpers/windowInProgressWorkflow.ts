// A stand-in for a maintenance window occurrence that is in progress, for a test worker of its own
// (Worker.create({ workflowsPath: this file })): the type name and the status query are the real
// ones, so Temporal visibility and the query answer as they would for a real window run.
import { condition, setHandler } from '@temporalio/workflow';
import type { WindowStatus } from '../../policies/windows/types';
import { windowStatusQuery } from '../../workflows/messages';

export async function maintenanceWindowWorkflow(input: { status: WindowStatus }): Promise<void> {
  setHandler(windowStatusQuery, () => input.status);
  await condition(() => false);
}
