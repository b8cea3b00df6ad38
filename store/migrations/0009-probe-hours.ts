import { sql } from 'kysely';
import type { StoreMigration } from './types';

/**
 * Probe rounds counted per service and hour as they are written (store/probes.ts
 * insertProbeResults): the status page, the console and the monthly report read 90 days of hourly
 * rounds as 2,160 rows a service instead of grouping a quarter of results by round. Filled from the
 * results already stored.
 */
export const probeHours: StoreMigration = {
  name: '0009-probe-hours',
  async up(db) {
    await db.schema
      .createTable('probe_hours')
      .addColumn('service', 'text', (c) => c.notNull())
      // Start of the UTC hour, in ms: the hour the round's first result is in.
      .addColumn('hour', 'bigint', (c) => c.notNull())
      .addColumn('rounds', 'integer', (c) => c.notNull())
      // Rounds with a failed probe; rounds with none failed and one slow.
      .addColumn('down', 'integer', (c) => c.notNull())
      .addColumn('degraded', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('probe_hours_service_hour', ['service', 'hour'])
      .execute();
    await sql`
      insert into probe_hours (service, hour, rounds, down, degraded)
      select service, hour * 3600000, count(*), sum(down), sum(case when down = 0 then slow else 0 end)
      from (
        select service, round_id, min(at) / 3600000 as hour, max(1 - ok) as down, max(degraded) as slow
        from probe_results group by service, round_id
      ) as rounds
      group by service, hour`.execute(db);
  },
};
