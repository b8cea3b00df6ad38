import type { StoreMigration } from './types';

/** Compliance scans of hosts, with their history, and when each pending version was first seen (store/compliance.ts). */
export const compliance: StoreMigration = {
  name: '0005-compliance',
  async up(db) {
    await db.schema
      .createTable('compliance_scans')
      // `<scan id>/<host>`: a retried scan activity writes nothing twice.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scan_id', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      // 0/1 on both engines.
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('manager', 'text')
      .addColumn('error', 'text')
      .addColumn('reboot_required', 'integer', (c) => c.notNull())
      // Counts kept as columns: trends are aggregated in SQL without reading the updates.
      .addColumn('pending', 'integer', (c) => c.notNull())
      .addColumn('security_pending', 'integer', (c) => c.notNull())
      // JSON: PendingUpdate[] (policies/compliance/types.ts).
      .addColumn('updates', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('compliance_scans_host_at').on('compliance_scans').columns(['host', 'at']).execute();

    await db.schema
      .createTable('compliance_first_seen')
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('package', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('compliance_first_seen_key', ['host', 'package', 'version'])
      .execute();
  },
};
