// Window runs as a status page finds them, for a test worker of its own (Worker.create({ workflowsPath:
// this file })): the real type name, memo and status query, so Temporal visibility lists them and
// `maint serve` reads them as it reads real runs. A finished one returns its status (a completed or
// rolled-back occurrence of weeks ago); a running one answers the query until it is terminated.
import { condition, setHandler } from '@temporalio/workflow';
import type { WindowStatus } from '../../policies/windows/types';
import { windowStatusQuery } from '../../workflows/messages';

export async function maintenanceWindowWorkflow(input: { status: WindowStatus; finished?: boolean }): Promise<WindowStatus> {
  setHandler(windowStatusQuery, () => input.status);
  if (!input.finished) await condition(() => false);
  return input.status;
}
