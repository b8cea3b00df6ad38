import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { publishedRolloutStatus, readRolloutStatus, type RolloutReport } from '../../policies/rollout/types';
import { causeMessage } from '../failures';
import { patchRolloutWorkflow, rolloutWorkflowId } from '../patchRollout';
import type { WindowTaskOutcome, WindowTaskRun } from './types';

/** `web-monthly-20261124T2100Z-1`: the rollout of a window occurrence's n-th task. */
export function windowTaskRolloutId(window: string, occurrenceStart: string, task: number): string {
  return `${window}-${occurrenceStart.replace(/[-:]/g, '').replace(/\.\d+/, '').replace(/00Z$/, 'Z').toLowerCase()}-${task + 1}`;
}

/** A rollout task: a patchRolloutWorkflow that stops starting waves at the window's cutoff. */
export const runRolloutTask: WindowTaskRun<'rollout'> = async (task, ctx) => {
  const rolloutId = windowTaskRolloutId(ctx.window, ctx.occurrenceStart, ctx.index);
  const workflowId = rolloutWorkflowId(rolloutId);
  ctx.started({ rolloutId, workflowId });
  const child = await startChild(patchRolloutWorkflow, {
    workflowId,
    args: [{ rolloutId, policy: task.policy, targets: task.targets, notAfter: ctx.cutoff }],
    // A rollout never dies with its window: it finishes (or rolls back) on its own.
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  let report: RolloutReport;
  try {
    report = await child.result();
  } catch (err) {
    return { state: 'failed', message: causeMessage(err) };
  }
  if (report.nothingToInstall !== undefined) {
    // The baseline approved nothing anywhere: no host was touched. Operations hear of it (an empty window is news too).
    return {
      state: 'completed', message: report.nothingToInstall,
      alert: { subject: `window ${ctx.window}: rollout ${rolloutId} had nothing approved to install`, text: `${report.nothingToInstall}.\n\nmaint rollout status ${rolloutId}` },
    };
  }
  const state = taskState(report);
  return {
    state,
    ...(report.message !== undefined ? { message: report.message } : {}),
    ...(state === 'rolled-back' || state === 'failed'
      ? { alert: { subject: `window ${ctx.window}: rollout ${rolloutId} ${publishedRolloutStatus(report.status)}`, text: `${report.message ?? ''}\n\nmaint rollout status ${rolloutId}` } }
      : {}),
  };
};

function taskState(report: RolloutReport): WindowTaskOutcome['state'] {
  // A rollout started before the spelling was made one reports `rolled_back`.
  switch (readRolloutStatus(report.status)) {
    case 'completed':
    case 'completed-with-failures':
      return 'completed';
    case 'cut-off':
      return 'postponed';
    case 'rolled-back':
    case 'aborted':
      return 'rolled-back';
    default:
      return 'failed';
  }
}
