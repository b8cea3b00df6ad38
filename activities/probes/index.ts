import type { Client } from '@temporalio/client';
import { activityInfo } from '../context';
import type { ServiceProbePlan } from '../../policies/probes/plan';
import type { IncidentTransition, ServiceCondition } from '../../policies/probes/incidents';
import type { Store } from '../../store';
import { claimPage, incidentPages, linkIncident, recordPage, recordProbeRounds, unreportedIncidents, type PageAction } from '../../store/incidents';
import { runProbe } from './kinds';
import { maintenanceInProgress, pauseRollout } from './links';
import { page } from './paging';

export interface ProbeDeps {
  store: Store;
  /** A Temporal client, to link an incident to the maintenance window in progress; absent: not linked. */
  schedules?: { client: Client };
}

export interface ProbeRoundsInput {
  /** The services of one probe group. */
  plans: ServiceProbePlan[];
  /** The round's start: each service's round id is `<service>/<at>`, the same on every attempt. */
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
     * One round of a probe group: every probe of every service at once, on a worker of the group's
     * `probeFrom` queue. The services' results and incident transitions are written to the store
     * in one transaction, each keyed on its round id (`<service>/<at>`), so a retried round
     * neither writes nor counts twice.
     */
    async runProbeRounds(input: ProbeRoundsInput): Promise<Record<string, ProbeRoundOutcome>> {
      const location = activityInfo()?.taskQueue ?? 'local';
      const rounds = await Promise.all(input.plans.map(async (plan) => ({
        rules: plan.incidents,
        round: { id: `${plan.service}/${input.at}`, service: plan.service, at: input.at, location, results: await Promise.all(plan.probes.map((p) => runProbe(plan.service, p))) },
      })));
      const recorded = await recordProbeRounds(deps.store, rounds);
      const unreported = new Map<string, number>();
      for (const { incident } of await unreportedIncidents(deps.store, input.plans.map((p) => p.service))) unreported.set(incident.service, (unreported.get(incident.service) ?? 0) + 1);
      return Object.fromEntries(input.plans.map((plan, i) => [plan.service, { condition: recorded[i]!.condition, transition: recorded[i]!.transition, unreported: unreported.get(plan.service) ?? 0 }]));
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
