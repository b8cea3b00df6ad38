import { isCancellation, log, makeContinueAsNewFunc, setHandler, sleep, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { ProbeGroupPlan } from '../policies/probes/plan';
import { incidentReports, probeRounds } from './activityProfiles';
import { probeGroupSignal } from './messages';

export interface ServiceProbesInput {
  group: ProbeGroupPlan;
}

/**
 * Rounds per run before continue-as-new: each round is about a dozen events (an activity, a timer,
 * workflow tasks), so a run stays near 2,500 events, far below Temporal's 10,240 warning.
 */
export const ROUNDS_PER_RUN = 200;

/**
 * Probes a group of services (policies/probes/plan.ts probeGroups: one location, one interval)
 * every `intervalMs`, for as long as they are in the organisation files: a long-running workflow
 * (id ProbeGroupPlan.id) that `maint apply` starts, signals a new plan (probeGroupSignal) and
 * cancels when its group is gone. Each round is one activity on the group's `probeFrom` queue that
 * runs every probe of every service and writes each service's results and incident transition to
 * the store; a service whose round opened or resolved an incident (or left one unreported) is
 * then linked and paged. State lives in the store, not here, so a restarted or replaced workflow
 * (or a service moved to another group) carries on where the last one stopped.
 */
export async function serviceProbesWorkflow(input: ServiceProbesInput): Promise<void> {
  let { group } = input;
  // The memo says which plan runs (control/probes.ts probeGroupMemo): `maint apply` compares it.
  setHandler(probeGroupSignal, (next, memo) => {
    group = next;
    upsertMemo(memo);
  });
  try {
    for (let round = 0; round < ROUNDS_PER_RUN && !workflowInfo().continueAsNewSuggested; round++) {
      const at = Date.now();
      try {
        const outcomes = await probeRounds(group).runProbeRounds({ plans: group.services, at });
        for (const plan of group.services) {
          const outcome = outcomes[plan.service];
          if (outcome === undefined || (outcome.transition.kind === 'none' && outcome.unreported === 0)) continue;
          // One service's paging failing (PagerDuty refusing its key) must not keep the others' from going out.
          await incidentReports.reportIncidents({ plan }).catch((err: unknown) => {
            if (isCancellation(err)) throw err;
            log.warn('incident report failed', { service: plan.service, error: (err as Error).message });
          });
        }
      } catch (err) {
        if (isCancellation(err)) throw err;
        // No worker at the location, the store down: the next round tries again.
        log.warn('probe round failed', { group: group.id, error: (err as Error).message });
      }
      await sleep(Math.max(0, at + group.intervalMs - Date.now()));
    }
  } catch (err) {
    if (isCancellation(err)) return; // stopped by `maint apply`: the group has no services any more
    throw err;
  }
  // The next run keeps the memo as the last signal left it.
  await makeContinueAsNewFunc<typeof serviceProbesWorkflow>({ memo: workflowInfo().memo })({ group });
}
