import { sql, type Kysely } from 'kysely';
import { HOUR_MS, type ProbeRoundBucket } from '../policies/availability/daily';
import type { ProbeResult } from '../policies/availability/types';
import type { Store } from './index';
import type { ProbeResultsTable, StoreSchema } from './schema';

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

/** Writes results in batches (multi-row INSERTs); a (round, probe) already written is left as it is. */
export async function insertProbeResults(db: Kysely<StoreSchema>, results: readonly RecordedProbeResult[]): Promise<void> {
  for (let i = 0; i < results.length; i += ROWS_PER_INSERT) {
    const rows = results.slice(i, i + ROWS_PER_INSERT).map((r): ProbeResultsTable => ({
      round_id: r.roundId, probe: r.probe, service: r.service, at: r.at, ok: r.ok ? 1 : 0, degraded: r.degraded ? 1 : 0,
      latency_ms: r.latencyMs !== undefined ? Math.round(r.latencyMs) : null, error: r.error ?? null, location: r.location,
    }));
    await db.insertInto('probe_results').values(rows).onConflict((oc) => oc.columns(['round_id', 'probe']).doNothing()).execute();
  }
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

/** One service's probe rounds that began within one hour, counted in the database (policies/availability/daily.ts). */
export interface HourlyProbeRounds extends ProbeRoundBucket {
  service: string;
}

/**
 * Per service and hour with `from <= at < to`: how many rounds, how many down (a probe failed),
 * how many degraded (none failed, one slow). Aggregated in SQL, so 90 days of 30-second rounds
 * come back as 2,160 rows per service, not a million results.
 */
export async function hourlyProbeRounds(store: Store, services: readonly string[], range: { from: number; to: number }): Promise<HourlyProbeRounds[]> {
  if (services.length === 0) return [];
  const { rows } = await sql<{ service: string; hour: number | string; rounds: number | string; down: number | string; degraded: number | string }>`
    select service, hour, count(*) as rounds, sum(down) as down, sum(case when down = 0 then slow else 0 end) as degraded
    from (
      select service, round_id, min(at) / ${sql.lit(HOUR_MS)} as hour, max(1 - ok) as down, max(degraded) as slow
      from probe_results
      where service in (${sql.join(services)}) and at >= ${range.from} and at < ${range.to}
      group by service, round_id
    ) as rounds
    group by service, hour
    order by service, hour`.execute(store.db);
  return rows.map((r) => ({ service: r.service, hour: Number(r.hour) * HOUR_MS, rounds: Number(r.rounds), down: Number(r.down), degraded: Number(r.degraded) }));
}
