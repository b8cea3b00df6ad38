import { continueAsNew, isCancellation, log, setHandler, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { ServiceProbePlan } from '../policies/probes/plan';
import { incidentReports, probeRounds } from './activityProfiles';
import { probePlanSignal } from './messages';

export interface ServiceProbeInput {
  plan: ServiceProbePlan;
}

/**
 * Rounds per run before continue-as-new: each round is about a dozen events (an activity, a timer,
 * workflow tasks), so a run stays near 2,500 events, far below Temporal's 10,240 warning.
 */
export const ROUNDS_PER_RUN = 200;

/**
 * Probes one service, every `intervalMs`, for as long as it is in the organisation files: a
 * long-running workflow (id probeWorkflowId) that `maint apply` starts, signals a new plan
 * (probePlanSignal, memo configHash) and cancels when the service or its probes are gone. Each
 * round is one activity on the service's `probeFrom` queue that runs every probe and writes the
 * results and the incident transition to the store; a round that opens or resolves an incident
 * (or left one unreported) is followed by linking and paging it. State lives in the store, not
 * here, so a restarted or replaced workflow carries on where the last one stopped.
 */
export async function serviceProbeWorkflow(input: ServiceProbeInput): Promise<void> {
  let plan = input.plan;
  setHandler(probePlanSignal, (next) => {
    plan = next;
    upsertMemo({ configHash: next.configHash });
  });
  try {
    for (let round = 0; round < ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested; round++) {
      const at = Date.now();
      try {
        const outcome = await probeRounds(plan).runProbeRound({ plan, roundId: `${plan.service}/${at}`, at });
        if (outcome.transition.kind !== 'none' || outcome.unreported > 0) await incidentReports.reportIncidents({ plan });
      } catch (err) {
        if (isCancellation(err)) throw err;
        // No worker at the location, the store down, PagerDuty refusing: the next round tries again.
        log.warn('probe round failed', { service: plan.service, error: (err as Error).message });
      }
      await sleep(Math.max(0, at + plan.intervalMs - Date.now()));
    }
  } catch (err) {
    if (isCancellation(err)) return; // stopped by `maint apply`: the service has no probes any more
    throw err;
  }
  await continueAsNew<typeof serviceProbeWorkflow>({ plan });
}
