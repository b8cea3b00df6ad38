import type { WindowTaskPlan } from '../../policies/windows/tasks';
import { runRolloutTask } from './rollout';
import type { WindowTaskContext, WindowTaskOutcome, WindowTaskRun, WindowTaskRuns } from './types';

export type { WindowTaskContext, WindowTaskOutcome, WindowTaskRuns } from './types';

/** How each kind of window task runs (policies/windows/tasks/ has what the plan carries). */
export const WINDOW_TASK_RUNS: WindowTaskRuns = {
  rollout: runRolloutTask,
};

/** Runs `task` with its kind's run. */
export function runWindowTask(task: WindowTaskPlan, ctx: WindowTaskContext): Promise<WindowTaskOutcome> {
  // Each run takes only its own kind's plan (TypeScript cannot correlate the two unions by itself).
  return (WINDOW_TASK_RUNS[task.kind] as WindowTaskRun<WindowTaskPlan['kind']>)(task, ctx);
}
