import type { Client } from '@temporalio/client';
import { activityInfo } from '../context';
import type { ServiceProbePlan } from '../../policies/probes/plan';
import type { IncidentTransition, ServiceCondition } from '../../policies/probes/incidents';
import type { Store } from '../../store';
import { claimPage, incidentPages, linkIncident, recordPage, recordProbeRound, unreportedIncidents, type PageAction } from '../../store/incidents';
import { runProbe } from './kinds';
import { maintenanceInProgress, pauseRollout } from './links';
import { page } from './paging';

export interface ProbeDeps {
  store: Store;
  /** A Temporal client, to link an incident to the maintenance window in progress; absent: not linked. */
  schedules?: { client: Client };
}

export interface ProbeRoundInput {
  plan: ServiceProbePlan;
  /** `<service>/<round start ms>`: the same on every attempt. */
  roundId: string;
  at: number;
}

export interface ProbeRoundOutcome {
  condition: ServiceCondition;
  transition: IncidentTransition;
  /** Incidents of the service with a page (or a link) still to send: the workflow then reports them. */
  unreported: number;
}

/** Where the service is probed from a customer's view, for a page's `source`. */
function probeSource(plan: ServiceProbePlan): string {
  const first = plan.probes[0];
  if (!first) return plan.service;
  if (first.kind === 'http') return new URL(first.url).host;
  return first.host;
}

export function createProbeActivities(deps: ProbeDeps) {
  return {
    /**
     * One round of a service's probes, all at once, on a worker of the service's `probeFrom`
     * queue: every result is written to the store with the round's incident transition, in one
     * transaction keyed on the round id, so a retried round neither writes nor counts twice.
     */
    async runProbeRound(input: ProbeRoundInput): Promise<ProbeRoundOutcome> {
      const { plan } = input;
      const location = activityInfo()?.taskQueue ?? 'local';
      const results = await Promise.all(plan.probes.map((p) => runProbe(plan.service, p)));
      const recorded = await recordProbeRound(deps.store, { id: input.roundId, service: plan.service, at: input.at, location, results }, plan.incidents);
      const unreported = (await unreportedIncidents(deps.store, plan.service)).length;
      return { condition: recorded.condition, transition: recorded.transition, unreported };
    },

    /**
     * Links the service's new incidents to the maintenance in progress and pages each trigger and
     * resolve not yet confirmed, in order, through a ledger in the store: a page is sent again only
     * when no attempt recorded PagerDuty's answer (PagerDuty folds the repeat by its dedup_key).
     */
    async reportIncidents(input: { plan: ServiceProbePlan }): Promise<Array<{ incident: string; action: PageAction; state: 'sent' | 'not-paged' }>> {
      const { plan } = input;
      const done: Array<{ incident: string; action: PageAction; state: 'sent' | 'not-paged' }> = [];
      for (const { incident, actions } of await unreportedIncidents(deps.store, plan.service)) {
        if (incident.linkedAt === undefined && actions.includes('trigger')) {
          const link = deps.schedules ? await maintenanceInProgress(deps.schedules.client, plan) : {};
          await linkIncident(deps.store, incident.id, link);
          Object.assign(incident, link);
          // The rollout running on the service now stops starting hosts until a person resumes it.
          if (link.rolloutId !== undefined && deps.schedules) await pauseRollout(deps.schedules.client, link.rolloutId, `incident ${incident.id}: ${incident.summary}`);
        }
        for (const action of actions) {
          const triggerNotPaged = action === 'resolve' && (await incidentPages(deps.store, incident.id)).some((p) => p.action === 'trigger' && p.state === 'not-paged');
          if (plan.paging === undefined || triggerNotPaged) {
            await recordPage(deps.store, incident.id, action, 'not-paged');
            done.push({ incident: incident.id, action, state: 'not-paged' });
            continue;
          }
          if ((await claimPage(deps.store, incident.id, action)) === 'done') continue;
          await page(plan.paging, { action, incident, organisation: plan.organisation, source: probeSource(plan) });
          await recordPage(deps.store, incident.id, action, 'sent');
          done.push({ incident: incident.id, action, state: 'sent' });
        }
      }
      return done;
    },
  };
}
