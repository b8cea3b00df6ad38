import { sql } from 'kysely';
import type { StoreMigration } from './types';

/** The ledger of sent notices (before the store: one file per notice under $MAINT_DATA_DIR/notices). */
export const noticeDeliveries: StoreMigration = {
  name: '0001-notice-deliveries',
  async up(db) {
    await db.schema
      .createTable('notice_deliveries')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('sent', 'handed-over')`))
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('channel', 'text')
      .addColumn('notice_kind', 'text')
      .addColumn('detail', 'text')
      .execute();
  },
};
