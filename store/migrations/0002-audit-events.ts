import type { StoreMigration } from './types';

/** The audit trail of control actions (store/audit.ts). */
export const auditEvents: StoreMigration = {
  name: '0002-audit-events',
  async up(db, engine) {
    await db.schema
      .createTable('audit_events')
      // An ever-growing id: events of the same millisecond keep their order.
      .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', (c) => (engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  },
};
