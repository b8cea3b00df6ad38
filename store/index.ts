import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { migrateSchema, schemaStatus, type SchemaStatus } from './migrate';
import { MIGRATIONS, type Engine, type StoreMigration } from './migrations';
import { describePostgresUrl, postgresDialect } from './postgres';
import type { StoreSchema } from './schema';
import { NodeSqliteDialect } from './sqlite';

export type { Engine, StoreMigration } from './migrations';
export { MigrationError, type MigrationState, type SchemaStatus } from './migrate';
export type { StoreSchema } from './schema';

/** Where the store is: PostgreSQL (shared by every worker) or an SQLite file of this machine. */
export type StoreConfig = { engine: 'postgres'; url: string } | { engine: 'sqlite'; file: string };

/** The SQLite file in a data directory. */
export const SQLITE_FILE = 'store.db';

/** PostgreSQL when MAINT_DATABASE_URL is set, else `<data dir>/store.db`. */
export function storeConfig(env: { MAINT_DATABASE_URL?: string | undefined }, dataDir: string): StoreConfig {
  return env.MAINT_DATABASE_URL !== undefined ? { engine: 'postgres', url: env.MAINT_DATABASE_URL } : { engine: 'sqlite', file: join(dataDir, SQLITE_FILE) };
}

/** Safe to log: `postgresql://user@host:port/db` (never the password) or `sqlite:<file>`. */
export function describeStore(config: StoreConfig): string {
  return config.engine === 'postgres' ? describePostgresUrl(config.url) : `sqlite:${config.file}`;
}

/** The store could not be opened or reached; the message names it without its password. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * The relational store for domain data that does not belong in Temporal histories (notice
 * deliveries today). One schema and one Kysely query layer for both engines.
 */
export interface Store {
  readonly db: Kysely<StoreSchema>;
  readonly engine: Engine;
  /** As describeStore(): safe to log. */
  readonly target: string;
  /** The engine's own version string (`PostgreSQL 15.18 …`, `SQLite 3.50.4`). */
  serverVersion(): Promise<string>;
  status(): Promise<SchemaStatus>;
  /** Applies pending migrations (see migrateSchema); returns their names. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Apply pending migrations before returning (what a worker does at start). Default true. */
  migrate?: boolean;
  /** The migrations to know about; default: all of them (tests pass others). */
  migrations?: readonly StoreMigration[];
  /** Where to report a pooled PostgreSQL connection that broke while idle (default: stderr). */
  onIdleError?: (message: string) => void;
}

/** Opens (and by default migrates) the store; fails with StoreUnavailableError if it cannot be reached. */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const target = describeStore(config);
  const migrations = options.migrations ?? MIGRATIONS;
  const idle = options.onIdleError ?? ((m: string) => process.stderr.write(`${m}\n`));
  // pg's pool.end() can resolve before its sockets close: a server going down right after is not news.
  let closed = false;
  const db = new Kysely<StoreSchema>({
    dialect: config.engine === 'postgres'
      ? postgresDialect(config.url, (err) => closed || idle(`store ${target}: an idle connection failed: ${err.message}`))
      : new NodeSqliteDialect(config.file),
  });
  const serverVersion = async (): Promise<string> => {
    const query = config.engine === 'postgres' ? sql<{ version: string }>`select version() as version` : sql<{ version: string }>`select 'SQLite ' || sqlite_version() as version`;
    return (await query.execute(db)).rows[0]!.version;
  };
  const close = async () => {
    closed = true;
    await db.destroy();
  };
  try {
    await serverVersion();
  } catch (err) {
    await close().catch(() => undefined);
    throw new StoreUnavailableError(`cannot open the store at ${target}: ${(err as Error).message}`, { cause: err });
  }
  const store: Store = {
    db,
    engine: config.engine,
    target,
    serverVersion,
    status: () => schemaStatus(db, migrations),
    migrate: () => migrateSchema(db, config.engine, migrations, target),
    close,
  };
  if (options.migrate ?? true) {
    try {
      await store.migrate();
    } catch (err) {
      await close().catch(() => undefined);
      throw err;
    }
  }
  return store;
}
