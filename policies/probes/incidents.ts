import type { ProbeResult } from '../availability/types';
import type { IncidentRules } from './schema';

/**
 * When a service's probes open and resolve incidents: a pure state machine over rounds of probes.
 * The store keeps its state per service (store/incidents.ts) and applies a round's transition in the
 * same transaction as the round's results, so a retried round never counts twice or opens twice.
 */

/** How a service is, from one round of its probes: any probe failed → down; any slow → degraded. */
export type ServiceCondition = 'up' | 'degraded' | 'down';

export function roundCondition(results: ReadonlyArray<Pick<ProbeResult, 'ok' | 'degraded'>>): ServiceCondition {
  if (results.some((r) => !r.ok)) return 'down';
  return results.some((r) => r.degraded) ? 'degraded' : 'up';
}

export interface IncidentTracker {
  /** Rounds in a row that were down (0 after a round that was not). */
  downRounds: number;
  /** Rounds in a row that were not down, while an incident is open. */
  recoveredRounds: number;
  /** The incident open now. */
  openIncident?: string;
  /** The last round counted: a retried round with this id changes nothing. */
  lastRound?: string;
}

export const NO_INCIDENT: IncidentTracker = { downRounds: 0, recoveredRounds: 0 };

export type IncidentTransition =
  | { kind: 'none' }
  | { kind: 'open'; incidentId: string }
  | { kind: 'resolve'; incidentId: string };

export interface Round {
  id: string;
  /** Epoch ms the round began. */
  at: number;
  condition: ServiceCondition;
}

/** `webshop-20261202T031500Z`: the service and the round that opened it. Also the page's dedup key. */
export function incidentId(service: string, at: number): string {
  return `${service}-${new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}`;
}

/** The tracker after `round`, and whether it opens or resolves an incident. */
export function trackRound(service: string, tracker: IncidentTracker, round: Round, rules: IncidentRules): { tracker: IncidentTracker; transition: IncidentTransition } {
  if (tracker.lastRound === round.id) return { tracker, transition: { kind: 'none' } };
  const down = round.condition === 'down';
  const downRounds = down ? tracker.downRounds + 1 : 0;
  const base = { downRounds, lastRound: round.id };
  if (tracker.openIncident === undefined) {
    if (downRounds >= rules.after) {
      const id = incidentId(service, round.at);
      return { tracker: { ...base, recoveredRounds: 0, openIncident: id }, transition: { kind: 'open', incidentId: id } };
    }
    return { tracker: { ...base, recoveredRounds: 0 }, transition: { kind: 'none' } };
  }
  const recoveredRounds = down ? 0 : tracker.recoveredRounds + 1;
  if (recoveredRounds >= rules.resolveAfter) {
    return { tracker: { ...base, recoveredRounds: 0 }, transition: { kind: 'resolve', incidentId: tracker.openIncident } };
  }
  return { tracker: { ...base, recoveredRounds, openIncident: tracker.openIncident }, transition: { kind: 'none' } };
}
