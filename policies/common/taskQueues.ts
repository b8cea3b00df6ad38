/**
 * Task queues per domain, so slow work never starves SSH steps: a 20-minute Renovate run or an npm
 * install takes a `dependencies` slot, never one of the `hosts` slots rollouts need. Each domain's
 * queue is named after the workflow task queue (`maint` → `maint-hosts`), so every deployment (and
 * every test) has its own set.
 */
export const ACTIVITY_DOMAINS = ['hosts', 'dependencies', 'control'] as const;
export type ActivityDomain = (typeof ACTIVITY_DOMAINS)[number];

/**
 * What a worker can serve (MAINT_TASK_QUEUES): `workflows` is the workflow task queue itself
 * (MAINT_TASK_QUEUE, where schedules and clients start workflows), the others are activity domains.
 */
export const SERVED_QUEUES = ['workflows', ...ACTIVITY_DOMAINS] as const;
export type ServedQueue = (typeof SERVED_QUEUES)[number];

/** Activities run at once per worker, per queue, unless MAINT_<QUEUE>_CONCURRENCY says otherwise. */
export const DEFAULT_CONCURRENCY: Record<ServedQueue, number> = {
  workflows: 20,
  hosts: 200,
  dependencies: 4,
  control: 50,
};

/** The task queue of a domain's activities, beside the workflow task queue `workflowTaskQueue`. */
export function activityTaskQueue(workflowTaskQueue: string, domain: ActivityDomain): string {
  return `${workflowTaskQueue}-${domain}`;
}
