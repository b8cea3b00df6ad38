import { ApplicationFailure, ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { windowRunId, type WindowLaunchOutcome, type WindowRunInput } from '../policies/windows/types';
import { nextOccurrences } from '../policies/windows/occurrences';
import { scheduleUpkeep as schedules } from './activityProfiles';
import { maintenanceWindowWorkflow } from './maintenanceWindow';
import { FAILURE } from '../policies/common/failures';

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * What a window's schedule starts at each launch time. It claims the occurrence it launches by
 * starting that occurrence's run under the one id every starter uses ({@link windowRunId}, as
 * `maint apply` does for occurrences whose notices are already due): when a run of the occurrence
 * exists or existed, whoever started it, no second one starts. Then it tops up the schedule's
 * launch times and ends; the run lives on its own.
 */
export async function windowLaunchWorkflow(input: WindowRunInput): Promise<WindowLaunchOutcome> {
  const { plan } = input;
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? workflowInfo().runStartTime;
  // The launch time is an occurrence's start minus its first lead time: the next start after it is that occurrence.
  const occurrence = nextOccurrences(plan.timing, new Date(scheduledAt.getTime() - 1000), 1)[0];
  if (!occurrence) throw ApplicationFailure.nonRetryable(`window ${plan.name} has no occurrence at or after ${scheduledAt.toISOString()}`, FAILURE.NoOccurrence);
  const workflowId = windowRunId(plan.name, occurrence.start);
  let outcome: WindowLaunchOutcome['outcome'] = 'started';
  try {
    await startChild(maintenanceWindowWorkflow, {
      workflowId,
      args: [{ plan, occurrenceStart: occurrence.start }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { window: plan.name, organisation: plan.organisation.name },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    outcome = 'already-started';
  }
  // Keep the schedule's list of exact launch times topped up (only if nobody re-applied meanwhile).
  await schedules.refreshWindowSchedule({ window: plan.name, configHash: plan.configHash }).catch(() => undefined);
  return { window: plan.name, occurrenceStart: occurrence.start, workflowId, outcome };
}
