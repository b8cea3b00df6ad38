import type { WindowTaskKind, WindowTaskPlanOf } from '../../policies/windows/tasks';
import type { WindowTaskState } from '../../policies/windows/types';

/** What a task's run knows of its window occurrence, and how it tells the window what runs. */
export interface WindowTaskContext {
  window: string;
  occurrenceStart: string;
  /** The task's place in the window (0-based). */
  index: number;
  /** Epoch ms: no new step (wave) of the task starts at or after it. */
  cutoff: number;
  /**
   * The task's child workflow started: the window shows `rolloutId` and signals `workflowId`
   * (cutoffSignal) when it is cancelled or extended. Cleared when the run returns.
   */
  started(run: { rolloutId: string; workflowId: string }): void;
}

/** How a task ended; `alert` goes to operations (a rollback, a failure they must look at). */
export interface WindowTaskOutcome {
  state: Extract<WindowTaskState, 'completed' | 'postponed' | 'rolled-back' | 'failed'>;
  message?: string;
  alert?: { subject: string; text: string };
}

/** Runs one task of kind `K` inside the window (a child workflow, so its history stays its own). */
export type WindowTaskRun<K extends WindowTaskKind> = (task: WindowTaskPlanOf<K>, ctx: WindowTaskContext) => Promise<WindowTaskOutcome>;

/** Every kind's run: a kind left out does not compile. */
export type WindowTaskRuns = { [K in WindowTaskKind]: WindowTaskRun<K> };
