import { sql, type Kysely } from 'kysely';
import { HOUR_MS, type ProbeRoundBucket } from '../policies/availability/daily';
import { probeSegments, RESULT_STANDS_FOR_INTERVALS } from '../policies/availability/monthly';
import type { Interval, ProbeResult, ProbeSegment, ProbeState } from '../policies/availability/types';
import type { Store } from './index';
import { ROWS_AS_ARRAYS } from './sqlite';
import type { ProbeHoursTable, ProbeResultsTable, StoreSchema } from './schema';

/** A result as written: the shared ProbeResult plus the round it belongs to and where it ran. */
export interface RecordedProbeResult extends ProbeResult {
  roundId: string;
  location: string;
}

/**
 * Rows per INSERT: 9 parameters a row stays far below PostgreSQL's 65,535 and SQLite's 32,766
 * bound parameters, and a round of one service is one statement.
 */
const ROWS_PER_INSERT = 1000;

/**
 * Writes results in batches (multi-row INSERTs); a (round, probe) already written is left as it is.
 * The rounds first written here are counted into their service's hour (probe_hours) in the same
 * transaction: a round's results are written together (store/incidents.ts recordRounds), so a
 * retried round counts once.
 */
export async function insertProbeResults(db: Kysely<StoreSchema>, results: readonly RecordedProbeResult[]): Promise<void> {
  if (!db.isTransaction) {
    await db.transaction().execute((trx) => insertProbeResults(trx, results));
    return;
  }
  const written: Pick<ProbeResultsTable, 'round_id' | 'service' | 'at' | 'ok' | 'degraded'>[] = [];
  for (let i = 0; i < results.length; i += ROWS_PER_INSERT) {
    const rows = results.slice(i, i + ROWS_PER_INSERT).map((r): ProbeResultsTable => ({
      round_id: r.roundId, probe: r.probe, service: r.service, at: r.at, ok: r.ok ? 1 : 0, degraded: r.degraded ? 1 : 0,
      latency_ms: r.latencyMs !== undefined ? Math.round(r.latencyMs) : null, error: r.error ?? null, location: r.location,
    }));
    written.push(...await db.insertInto('probe_results').values(rows).onConflict((oc) => oc.columns(['round_id', 'probe']).doNothing())
      .returning(['round_id', 'service', 'at', 'ok', 'degraded']).execute());
  }
  const hours = roundsPerHour(written);
  for (let i = 0; i < hours.length; i += ROWS_PER_INSERT) {
    await db.insertInto('probe_hours').values(hours.slice(i, i + ROWS_PER_INSERT)).onConflict((oc) => oc.columns(['service', 'hour']).doUpdateSet({
      rounds: sql`probe_hours.rounds + excluded.rounds`,
      down: sql`probe_hours.down + excluded.down`,
      degraded: sql`probe_hours.degraded + excluded.degraded`,
    })).execute();
  }
}

/** Rows as written, counted per round (its hour is its first result's), then per service and hour. */
function roundsPerHour(rows: readonly Pick<ProbeResultsTable, 'round_id' | 'service' | 'at' | 'ok' | 'degraded'>[]): ProbeHoursTable[] {
  const rounds = new Map<string, { service: string; at: number; down: boolean; slow: boolean }>();
  for (const r of rows) {
    const round = rounds.get(r.round_id) ?? { service: r.service, at: Number(r.at), down: false, slow: false };
    round.at = Math.min(round.at, Number(r.at));
    round.down ||= Number(r.ok) === 0;
    round.slow ||= Number(r.degraded) === 1;
    rounds.set(r.round_id, round);
  }
  const hours = new Map<string, ProbeHoursTable>();
  for (const { service, at, down, slow } of rounds.values()) {
    const hour = Math.floor(at / HOUR_MS) * HOUR_MS;
    const bucket = hours.get(`${service}\n${hour}`) ?? { service, hour, rounds: 0, down: 0, degraded: 0 };
    bucket.rounds += 1;
    if (down) bucket.down += 1;
    else if (slow) bucket.degraded += 1;
    hours.set(`${service}\n${hour}`, bucket);
  }
  return [...hours.values()];
}

function fromRow(row: ProbeResultsTable): RecordedProbeResult {
  return {
    service: row.service, probe: row.probe, at: Number(row.at), ok: Number(row.ok) === 1,
    ...(row.latency_ms !== null ? { latencyMs: Number(row.latency_ms) } : {}),
    ...(Number(row.degraded) === 1 ? { degraded: true } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    roundId: row.round_id, location: row.location,
  };
}

/** The results of a service's latest round (one per probe), by probe name. */
export async function latestRound(store: Store, service: string): Promise<RecordedProbeResult[]> {
  const last = await store.db.selectFrom('probe_results').select('round_id').where('service', '=', service).orderBy('at', 'desc').limit(1).executeTakeFirst();
  if (!last) return [];
  const rows = await store.db.selectFrom('probe_results').selectAll().where('round_id', '=', last.round_id).orderBy('probe').execute();
  return rows.map(fromRow);
}

/** A service's results with `from <= at < to`, oldest first (what availability is computed from). */
export async function probeResults(store: Store, service: string, range: { from: number; to: number }): Promise<RecordedProbeResult[]> {
  const rows = await store.db.selectFrom('probe_results').selectAll()
    .where('service', '=', service).where('at', '>=', range.from).where('at', '<', range.to)
    .orderBy('at').orderBy('probe').execute();
  return rows.map(fromRow);
}

const STATES: readonly ProbeState[] = ['up', 'degraded', 'down'];

/**
 * A service's probe segments over [from, to): the segments policies/availability/monthly.ts
 * probeSegments() gives for its results with `from - 2 intervals <= at < to` (the last result
 * before `from` covers its start), cut to [from, to). A month of 30-second results of a probe is a
 * handful of segments instead of 86,400 results.
 *
 * PostgreSQL computes them (segmentsInPostgres), so results stay in the database and a month
 * crosses the network as a handful of rows. SQLite runs in this process and its window functions
 * cost more than reading the rows (bench/README.md "The monthly report": ~0.7 s of CPU for a
 * service's month, against ~0.1 s to read its (probe, at, state) rows from the index as arrays),
 * so there the same pure probeSegments() collapses the rows as they come. test/store/probeSegments
 * holds both engines to it.
 */
export async function probeSegmentsBetween(store: Store, service: string, range: { from: number; to: number }, probeIntervalMs: number): Promise<ProbeSegment[]> {
  const standsFor = probeIntervalMs * RESULT_STANDS_FOR_INTERVALS;
  if (!Number.isSafeInteger(standsFor) || standsFor <= 0) throw new RangeError(`probe interval of ${service} must be a whole number of milliseconds above 0, got ${probeIntervalMs}`);
  const read = { from: range.from - standsFor, to: range.to };
  let segments: ProbeSegment[];
  if (store.engine === 'postgres') {
    segments = await segmentsInPostgres(store, service, read, standsFor);
  } else {
    const { rows } = await sql<[probe: string, at: number, severity: number]>`${sql.raw(ROWS_AS_ARRAYS)}
      select probe, at, case when ok = 0 then 3 when degraded = 1 then 2 else 1 end from probe_results
      where service = ${service} and at >= ${read.from} and at < ${read.to}`.execute(store.db);
    segments = probeSegments(rows.map(([probe, at, severity]) => ({ service, probe, at, ok: severity !== 3, degraded: severity === 2 })), probeIntervalMs);
  }
  return segments
    .filter((s) => s.end > range.from)
    .map((s) => ({ ...s, start: Math.max(s.start, range.from), end: Math.min(s.end, range.to) }))
    .sort((a, b) => (a.probe < b.probe ? -1 : a.probe > b.probe ? 1 : a.start - b.start));
}

/**
 * Gaps and islands over the results with `from <= at < to`: results of one probe at one instant
 * collapse to the worst (`instants`); each stands until the next or for at most `standsFor`
 * (`stands_until`); a run starts where the state changes or the previous result no longer stood
 * (`starts`), and a running sum numbers the runs. Probe names compare bytewise (collate "C"): the
 * locale's collation made sorting a month of results the larger part of the query.
 */
async function segmentsInPostgres(store: Store, service: string, range: { from: number; to: number }, standsFor: number): Promise<ProbeSegment[]> {
  const stands = sql.lit(standsFor);
  const { rows } = await sql<{ probe: string; severity: number | string; start_at: number | string; end_at: number | string; results: number | string }>`
    with instants as (
      select probe collate "C" as probe, at, max(case when ok = 0 then 3 when degraded = 1 then 2 else 1 end) as severity, count(*) as results
      from probe_results
      where service = ${service} and at >= ${range.from} and at < ${range.to}
      group by 1, 2
    ), marked as (
      select probe, at, severity, results,
        case when lead(at) over w < at + ${stands} then lead(at) over w else at + ${stands} end as stands_until,
        case when lag(severity) over w = severity and lag(at) over w + ${stands} >= at then 0 else 1 end as starts
      from instants
      window w as (partition by probe order by at)
    ), runs as (
      select probe, at, severity, results, stands_until, sum(starts) over (partition by probe order by at rows unbounded preceding) as run
      from marked
    )
    select probe, severity, min(at) as start_at, max(stands_until) as end_at, sum(results) as results
    from runs
    group by probe, run, severity`.execute(store.db);
  return rows.map((r) => ({ probe: r.probe, state: STATES[Number(r.severity) - 1]!, start: Number(r.start_at), end: Number(r.end_at), results: Number(r.results) }));
}

/** Spans per statement: a few parameters each, far below either engine's limit. */
const SPANS_PER_QUERY = 200;

/** How many of a service's results failed (ok false) with `start <= at < end`, per span, counted in the database. */
export async function failedResultsPerSpan(store: Store, service: string, spans: readonly Interval[]): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < spans.length; i += SPANS_PER_QUERY) {
    const chunk = spans.slice(i, i + SPANS_PER_QUERY);
    const { rows } = await sql<{ span: number | string; failed: number | string }>`${sql.join(chunk.map((span, j) => sql`
      select ${sql.lit(j)} as span, count(*) as failed from probe_results
      where service = ${service} and ok = 0 and at >= ${span.start} and at < ${span.end}`), sql` union all `)}`.execute(store.db);
    const byIndex = new Map(rows.map((r) => [Number(r.span), Number(r.failed)]));
    counts.push(...chunk.map((_, j) => byIndex.get(j) ?? 0));
  }
  return counts;
}

/** One service's probe rounds that began within one hour, counted in the database (policies/availability/daily.ts). */
export interface HourlyProbeRounds extends ProbeRoundBucket {
  service: string;
}

/**
 * Per service and UTC hour starting in [from, to): how many rounds began in it, how many were down
 * (a probe failed), how many degraded (none failed, one slow). Counted as the rounds were written
 * (probe_hours), so 90 days of 30-second rounds are 2,160 rows a service to read.
 */
export async function hourlyProbeRounds(store: Store, services: readonly string[], range: { from: number; to: number }): Promise<HourlyProbeRounds[]> {
  if (services.length === 0) return [];
  const rows = await store.db.selectFrom('probe_hours').select(['service', 'hour', 'rounds', 'down', 'degraded'])
    .where('service', 'in', services).where('hour', '>=', range.from).where('hour', '<', range.to)
    .orderBy('service').orderBy('hour').execute();
  return rows.map((r) => ({ service: r.service, hour: Number(r.hour), rounds: Number(r.rounds), down: Number(r.down), degraded: Number(r.degraded) }));
}
