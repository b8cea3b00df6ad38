import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LeaseHolder, LeaseRequest } from '../../policies/rollout/leases';

/** The lease workflow's type name (activities do not import workflow code). */
const LEASES_WORKFLOW = 'hostLeasesWorkflow';

/**
 * What the lease workflow needs from outside: starting itself, and whether its holders still run.
 * Through the worker's client with its data converter (payload encryption) when it has one, else
 * the activity context's.
 */
export function createLeaseActivities(deps: { schedules?: { client: Client } | undefined }) {
  const client = () => deps.schedules?.client ?? Context.current().client;
  return {
    /** Sends a lease request, starting the deployment's lease workflow first when it is not running (Temporal's signal-with-start). */
    async requestLeaseStarting(input: { workflowId: string; taskQueue: string; request: LeaseRequest }): Promise<void> {
      await client().workflow.signalWithStart(LEASES_WORKFLOW, {
        workflowId: input.workflowId, taskQueue: input.taskQueue, args: [], signal: 'leaseRequest', signalArgs: [input.request],
      });
    },
    /** The holders whose workflow runs are no longer running (completed, failed, terminated, timed out, gone). */
    async endedHolders(input: { holders: LeaseHolder[] }): Promise<LeaseHolder[]> {
      const ended: LeaseHolder[] = [];
      for (const holder of input.holders) {
        try {
          const { status } = await client().workflow.getHandle(holder.workflowId, holder.runId).describe();
          if (status.name !== 'RUNNING') ended.push(holder);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          ended.push(holder);
        }
      }
      return ended;
    },
  };
}
