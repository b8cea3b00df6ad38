import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { hostFactsWorkflow } from '../workflows/hostFacts';
import type { Connected } from './connection';

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
