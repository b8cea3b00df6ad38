import type { ExpressionBuilder } from 'kysely';
import type { ProbeResult } from '../policies/availability/types';
import { roundCondition, trackRound, type IncidentTracker, type IncidentTransition, type ServiceCondition } from '../policies/probes/incidents';
import type { IncidentRules } from '../policies/probes/schema';
import type { Store } from './index';
import { insertProbeResults } from './probes';
import type { IncidentsTable, StoreSchema } from './schema';

export interface Incident {
  id: string;
  service: string;
  openedAt: number;
  resolvedAt?: number;
  summary: string;
  /** The maintenance window run in progress on the service when it opened. */
  windowRun?: string;
  rolloutId?: string;
  /** When the link was looked up; absent: not yet. */
  linkedAt?: number;
  /** The failing probes and what they saw when it opened. */
  failures: Array<{ probe: string; error: string }>;
}

function incidentFrom(row: IncidentsTable): Incident {
  return {
    id: row.id, service: row.service, openedAt: Number(row.opened_at),
    ...(row.resolved_at !== null ? { resolvedAt: Number(row.resolved_at) } : {}),
    summary: row.summary,
    ...(row.window_run !== null ? { windowRun: row.window_run } : {}),
    ...(row.rollout_id !== null ? { rolloutId: row.rollout_id } : {}),
    ...(row.linked_at !== null ? { linkedAt: Number(row.linked_at) } : {}),
    failures: row.detail !== null ? (JSON.parse(row.detail) as { failures: Incident['failures'] }).failures : [],
  };
}

export interface ProbeRound {
  /** `<service>/<round start ms>`: the same on every attempt of the round. */
  id: string;
  service: string;
  /** When the round began (epoch ms). */
  at: number;
  /** The task queue whose worker ran it. */
  location: string;
  results: ProbeResult[];
}

export interface RecordedRound {
  condition: ServiceCondition;
  transition: IncidentTransition;
  /** False when this round had been recorded before (a retry): nothing changed. */
  counted: boolean;
}

/**
 * Writes a round's results and moves the service's incident tracker (policies/probes/incidents.ts)
 * in one transaction: an incident opens, or resolves, exactly once, however often the round is
 * retried, and a crash leaves either all of it or none.
 */
export async function recordProbeRound(store: Store, round: ProbeRound, rules: IncidentRules): Promise<RecordedRound> {
  return (await recordProbeRounds(store, [{ round, rules }]))[0]!;
}

/**
 * The rounds of a probe group's services in one transaction (one commit, where a commit per
 * service was what a round of a thousand services spent its time on): each as recordProbeRound.
 */
export async function recordProbeRounds(store: Store, rounds: Array<{ round: ProbeRound; rules: IncidentRules }>): Promise<RecordedRound[]> {
  if (rounds.length === 0) return [];
  return store.db.transaction().execute(async (trx) => {
    await insertProbeResults(trx, rounds.flatMap(({ round }) => round.results.map((r) => ({ ...r, roundId: round.id, location: round.location }))));
    const services = rounds.map(({ round }) => round.service);
    await trx.insertInto('probe_trackers').values(services.map((service) => ({ service, down_rounds: 0, recovered_rounds: 0, open_incident: null, last_round: null, last_round_at: null, condition: null })))
      .onConflict((oc) => oc.column('service').doNothing()).execute();
    const select = trx.selectFrom('probe_trackers').selectAll().where('service', 'in', services);
    // SQLite's transactions hold the write lock from `begin immediate`; PostgreSQL locks the rows.
    const rows = new Map((await (store.engine === 'postgres' ? select.forUpdate() : select).execute()).map((row) => [row.service, row]));
    const recorded: RecordedRound[] = [];
    for (const { round, rules } of rounds) {
      const condition = roundCondition(round.results);
      const row = rows.get(round.service)!;
      const before: IncidentTracker = {
        downRounds: Number(row.down_rounds), recoveredRounds: Number(row.recovered_rounds),
        ...(row.open_incident !== null ? { openIncident: row.open_incident } : {}),
        ...(row.last_round !== null ? { lastRound: row.last_round } : {}),
      };
      if (before.lastRound === round.id) {
        recorded.push({ condition, transition: { kind: 'none' }, counted: false });
        continue;
      }
      const { tracker, transition } = trackRound(round.service, before, { id: round.id, at: round.at, condition }, rules);
      await trx.updateTable('probe_trackers').set({
        down_rounds: tracker.downRounds, recovered_rounds: tracker.recoveredRounds, open_incident: tracker.openIncident ?? null,
        last_round: round.id, last_round_at: round.at, condition,
      }).where('service', '=', round.service).execute();
      if (transition.kind === 'open') {
        const failures = round.results.filter((r) => !r.ok).map((r) => ({ probe: r.probe, error: r.error ?? 'failed' }));
        const summary = `${round.service} is down: probes failed ${tracker.downRounds} rounds in a row (${failures.map((f) => `${f.probe}: ${f.error}`).join('; ')})`.slice(0, 1000);
        await trx.insertInto('incidents').values({
          id: transition.incidentId, service: round.service, opened_at: round.at, resolved_at: null, dedup_key: transition.incidentId,
          summary, window_run: null, rollout_id: null, linked_at: null, detail: JSON.stringify({ failures }),
        }).onConflict((oc) => oc.column('id').doNothing()).execute();
      } else if (transition.kind === 'resolve') {
        await trx.updateTable('incidents').set({ resolved_at: round.at }).where('id', '=', transition.incidentId).where('resolved_at', 'is', null).execute();
      }
      recorded.push({ condition, transition, counted: true });
    }
    return recorded;
  });
}

export interface ServiceProbeState {
  condition?: ServiceCondition;
  lastRoundAt?: number;
  downRounds: number;
  openIncident?: Incident;
}

/** Where a service is: its last round's condition and the incident open now. */
export async function serviceProbeState(store: Store, service: string): Promise<ServiceProbeState> {
  const row = await store.db.selectFrom('probe_trackers').selectAll().where('service', '=', service).executeTakeFirst();
  const open = row?.open_incident ? await incident(store, row.open_incident) : undefined;
  return {
    ...(row?.condition ? { condition: row.condition } : {}),
    ...(row?.last_round_at !== null && row?.last_round_at !== undefined ? { lastRoundAt: Number(row.last_round_at) } : {}),
    downRounds: Number(row?.down_rounds ?? 0),
    ...(open ? { openIncident: open } : {}),
  };
}

export async function incident(store: Store, id: string): Promise<Incident | undefined> {
  const row = await store.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? incidentFrom(row) : undefined;
}

/** A service's incidents, newest first. */
export async function incidents(store: Store, service: string, limit = 100): Promise<Incident[]> {
  const rows = await store.db.selectFrom('incidents').selectAll().where('service', '=', service).orderBy('opened_at', 'desc').limit(limit).execute();
  return rows.map(incidentFrom);
}

/** Records what was running on the service when the incident opened (looked up once). */
export async function linkIncident(store: Store, id: string, link: { windowRun?: string; rolloutId?: string }, at = Date.now()): Promise<void> {
  await store.db.updateTable('incidents').set({ window_run: link.windowRun ?? null, rollout_id: link.rolloutId ?? null, linked_at: at })
    .where('id', '=', id).where('linked_at', 'is', null).execute();
}

export type PageAction = 'trigger' | 'resolve';

/**
 * The service's incidents with a page still to send: a trigger never confirmed, or a resolve
 * never confirmed for an incident that is resolved. `sending` is not confirmed: the attempt that
 * posted it may have died before it heard the answer.
 */
export async function unreportedIncidents(store: Store, service: string | string[]): Promise<Array<{ incident: Incident; actions: PageAction[] }>> {
  const confirmed = (eb: ExpressionBuilder<StoreSchema, 'incidents'>, action: PageAction) => eb.exists(
    eb.selectFrom('incident_pages').select('incident_pages.incident_id').whereRef('incident_pages.incident_id', '=', 'incidents.id')
      .where('incident_pages.action', '=', action).where('incident_pages.state', '<>', 'sending'),
  );
  const services = typeof service === 'string' ? [service] : service;
  if (services.length === 0) return [];
  const rows = await store.db.selectFrom('incidents').selectAll('incidents').where('incidents.service', 'in', services)
    .where((eb) => eb.or([eb.not(confirmed(eb, 'trigger')), eb.and([eb('incidents.resolved_at', 'is not', null), eb.not(confirmed(eb, 'resolve'))])]))
    .orderBy('incidents.opened_at').execute();
  const out: Array<{ incident: Incident; actions: PageAction[] }> = [];
  for (const row of rows) {
    const pages = await store.db.selectFrom('incident_pages').select(['action', 'state']).where('incident_id', '=', row.id).execute();
    const confirmed = (action: PageAction) => pages.some((p) => p.action === action && p.state !== 'sending');
    const actions: PageAction[] = [];
    if (!confirmed('trigger')) actions.push('trigger');
    if (row.resolved_at !== null && !confirmed('resolve')) actions.push('resolve');
    out.push({ incident: incidentFrom(row), actions });
  }
  return out;
}

/**
 * Claims a page before it is posted: `send` when it has not been confirmed (a first attempt, or
 * one whose poster died before recording the answer), `done` when it has.
 */
export async function claimPage(store: Store, incidentId: string, action: PageAction, at = Date.now()): Promise<'send' | 'done'> {
  return store.db.transaction().execute(async (trx) => {
    await trx.insertInto('incident_pages').values({ incident_id: incidentId, action, state: 'sending', at, attempts: 0 })
      .onConflict((oc) => oc.columns(['incident_id', 'action']).doNothing()).execute();
    const row = await trx.selectFrom('incident_pages').select('state').where('incident_id', '=', incidentId).where('action', '=', action).executeTakeFirstOrThrow();
    if (row.state !== 'sending') return 'done';
    await trx.updateTable('incident_pages').set((eb) => ({ attempts: eb('attempts', '+', 1), at })).where('incident_id', '=', incidentId).where('action', '=', action).execute();
    return 'send';
  });
}

/** The page was accepted (`sent`), or there was nowhere to send it (`not-paged`). */
export async function recordPage(store: Store, incidentId: string, action: PageAction, state: 'sent' | 'not-paged', at = Date.now()): Promise<void> {
  await store.db.insertInto('incident_pages').values({ incident_id: incidentId, action, state, at, attempts: state === 'sent' ? 1 : 0 })
    .onConflict((oc) => oc.columns(['incident_id', 'action']).doUpdateSet({ state, at })).execute();
}

/** The pages an incident has had, as the ledger holds them. */
export async function incidentPages(store: Store, incidentId: string): Promise<Array<{ action: PageAction; state: string; attempts: number }>> {
  const rows = await store.db.selectFrom('incident_pages').select(['action', 'state', 'attempts']).where('incident_id', '=', incidentId).orderBy('at').execute();
  return rows.map((r) => ({ action: r.action, state: r.state, attempts: Number(r.attempts) }));
}

/** The incidents of these services opened with `from <= opened_at < to`, oldest first. */
export async function incidentsOpenedBetween(store: Store, services: readonly string[], range: { from: number; to: number }): Promise<Incident[]> {
  if (services.length === 0) return [];
  const rows = await store.db.selectFrom('incidents').selectAll().where('service', 'in', services).where('opened_at', '>=', range.from).where('opened_at', '<', range.to).orderBy('opened_at').execute();
  return rows.map(incidentFrom);
}
