import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { DownHost, Lease } from '../policies/rollout/leases';
import { hostFactsWorkflow } from '../workflows/hostFacts';
import { hostLeasesWorkflowId } from '../workflows/hostLeases';
import { clearHostsUpdate, leasesQuery, type LeaseOverview } from '../workflows/messages';
import type { Connected } from './connection';
import { OperationFailedError } from './errors';

/** Starts a facts collection on `hosts`; `started` is called with its workflow id before the wait. */
export async function collectHostFacts(c: Connected, hosts: ResolvedHost[], parallelism: number | undefined, started?: (workflowId: string) => void): Promise<HostFactsResult[]> {
  const handle = await c.client.workflow.start(hostFactsWorkflow, {
    taskQueue: c.env.MAINT_TASK_QUEUE,
    workflowId: `host-facts-${new Date().toISOString().replace(/[:.]/g, '')}-${Math.random().toString(36).slice(2, 8)}`,
    args: [{ hosts, ...(parallelism !== undefined ? { parallelism } : {}) }],
  });
  started?.(handle.workflowId);
  return handle.result();
}

/** The deployment's host leases, hosts left out of service, waiters and budgets (all empty before any rollout took a lease). */
export async function hostLeases(c: Connected): Promise<LeaseOverview> {
  const handle = c.client.workflow.getHandle(hostLeasesWorkflowId(c.env.MAINT_TASK_QUEUE));
  try {
    // A query is answered by a worker: without one it would wait for the server's own long deadline.
    return await c.connection.withDeadline(Date.now() + 15_000, () => handle.query(leasesQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { leases: [], down: [], waiting: [], budgets: [] };
    throw new OperationFailedError(`the host leases of task queue ${c.env.MAINT_TASK_QUEUE} did not answer: is a worker running for it? (${(err as Error).message})`);
  }
}

/**
 * A person says these hosts are back in service: they stop counting against their disruption budgets.
 * A host being changed now is not released (its rollout releases it); one nobody counts is said so.
 */
export async function releaseHosts(c: Connected, hosts: string[], by: string, reason?: string): Promise<{ cleared: DownHost[]; leased: Lease[]; unknown: string[] }> {
  try {
    return await c.client.workflow.getHandle(hostLeasesWorkflowId(c.env.MAINT_TASK_QUEUE)).executeUpdate(clearHostsUpdate, { args: [{ hosts, by, ...(reason !== undefined ? { reason } : {}) }] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { cleared: [], leased: [], unknown: hosts };
    throw err;
  }
}
