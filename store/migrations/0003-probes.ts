import { sql } from 'kysely';
import type { StoreMigration } from './types';

/** Service probes' results, the incident state per service, incidents and the ledger of their pages (store/probes.ts, store/incidents.ts). */
export const probes: StoreMigration = {
  name: '0003-probes',
  async up(db) {
    await db.schema
      .createTable('probe_results')
      .addColumn('round_id', 'text', (c) => c.notNull())
      .addColumn('probe', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      // 0/1 on both engines: availability sums them in SQL.
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('degraded', 'integer', (c) => c.notNull())
      .addColumn('latency_ms', 'integer')
      .addColumn('error', 'text')
      .addColumn('location', 'text', (c) => c.notNull())
      // A retried round writes nothing twice.
      .addPrimaryKeyConstraint('probe_results_round_probe', ['round_id', 'probe'])
      .execute();
    await db.schema.createIndex('probe_results_service_at').on('probe_results').columns(['service', 'at']).execute();

    await db.schema
      .createTable('probe_trackers')
      .addColumn('service', 'text', (c) => c.primaryKey())
      .addColumn('down_rounds', 'integer', (c) => c.notNull())
      .addColumn('recovered_rounds', 'integer', (c) => c.notNull())
      .addColumn('open_incident', 'text')
      .addColumn('last_round', 'text')
      .addColumn('last_round_at', 'bigint')
      .addColumn('condition', 'text', (c) => c.check(sql`condition in ('up', 'degraded', 'down')`))
      .execute();

    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('resolved_at', 'bigint')
      .addColumn('dedup_key', 'text', (c) => c.notNull().unique())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('window_run', 'text')
      .addColumn('rollout_id', 'text')
      // When the link to a window/rollout was looked up (null: not yet).
      .addColumn('linked_at', 'bigint')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('incidents_service_opened').on('incidents').columns(['service', 'opened_at']).execute();

    await db.schema
      .createTable('incident_pages')
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
      .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('trigger', 'resolve')`))
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('sending', 'sent', 'not-paged')`))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('incident_pages_incident_action', ['incident_id', 'action'])
      .execute();
  },
};
