import { activityTaskQueue, type ServedQueue } from '../policies/common/taskQueues';
import type { Connected } from './connection';

/**
 * The queues of `wanted` that no worker polls right now (MAINT_TASK_QUEUES lets operators serve them
 * apart, so a rollout can have a workflow worker and still no worker for its SSH steps). Best effort:
 * describing a task queue needs permissions some deployments do not grant; then nothing is reported.
 */
export async function queuesWithoutWorker(c: Connected, wanted: readonly ServedQueue[]): Promise<string[]> {
  const workflowQueue = c.env.MAINT_TASK_QUEUE;
  const missing: string[] = [];
  for (const queue of wanted) {
    const name = queue === 'workflows' ? workflowQueue : activityTaskQueue(workflowQueue, queue);
    try {
      const res = await c.client.workflowService.describeTaskQueue({
        namespace: c.target.namespace,
        taskQueue: { name },
        taskQueueType: queue === 'workflows' ? 1 : 2, // TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY
      });
      if ((res.pollers ?? []).length === 0) missing.push(name);
    } catch {
      return [];
    }
  }
  return missing;
}
