// Not a test file: `tsc` type-checks all of test/, so these lines are the test. A registry of window
// task runs (workflows/windowTasks/index.ts) that leaves out a kind must not compile.
import type { WindowTaskRuns } from '../../workflows/windowTasks';
import { runRolloutTask } from '../../workflows/windowTasks/rollout';

// @ts-expect-error: the `rollout` kind has no run
export const missingKind: WindowTaskRuns = {};

export const everyKind: WindowTaskRuns = { rollout: runRolloutTask };
