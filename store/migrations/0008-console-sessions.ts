import type { StoreMigration } from './types';

/** Signed-in browsers of the console, by the SHA-256 of their session id (store/consoleSessions.ts): a restart keeps them. */
export const consoleSessions: StoreMigration = {
  name: '0008-console-sessions',
  async up(db) {
    await db.schema
      .createTable('console_sessions')
      // Hex SHA-256 of the cookie's value: the store never holds a usable session id.
      .addColumn('id_sha256', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('via', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('console_sessions_seen_at').on('console_sessions').column('seen_at').execute();
  },
};
