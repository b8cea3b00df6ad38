import type { StoreMigration } from './types';

/** Rollout targets by reference: the hosts the CLI resolved, content-addressed (store/inventorySnapshots.ts). */
export const inventorySnapshots: StoreMigration = {
  name: '0004-inventory-snapshots',
  async up(db) {
    await db.schema
      .createTable('inventory_snapshots')
      // `sha256:<hex>` of `hosts`: the same hosts are one row, however often a rollout is started on them.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('host_count', 'integer', (c) => c.notNull())
      // Canonical JSON of the resolved hosts, in source order.
      .addColumn('hosts', 'text', (c) => c.notNull())
      .execute();
  },
};
