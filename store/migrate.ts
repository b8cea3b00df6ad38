import type { Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type { Engine, StoreMigration } from './migrations';

/** Applied migrations are recorded here (and the lock that keeps two processes from both migrating). */
const MIGRATION_TABLE = 'maint_migrations';
const MIGRATION_LOCK_TABLE = 'maint_migrations_lock';

export interface MigrationState {
  name: string;
  /** ISO time it was applied; absent: pending. */
  appliedAt?: string;
}

export interface SchemaStatus {
  migrations: MigrationState[];
  pending: string[];
  /** Applied to this database but unknown to this version of maint: a newer one migrated it. */
  unknown: string[];
}

/** A migration failed: its transaction was rolled back, the schema is as it was before. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function migrator(db: AnyDb, engine: Engine, migrations: readonly StoreMigration[]): Migrator {
  return new Migrator({
    db,
    provider: {
      getMigrations: async () => Object.fromEntries(migrations.map((m): [string, Migration] => [m.name, { up: (trx) => m.up(trx, engine) }])),
    },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

export async function schemaStatus(db: AnyDb, migrations: readonly StoreMigration[]): Promise<SchemaStatus> {
  const tables = await db.introspection.getTables();
  const applied = tables.some((t) => t.name === MIGRATION_TABLE)
    ? await db.selectFrom(MIGRATION_TABLE).select(['name', 'timestamp']).orderBy('name').execute() as Array<{ name: string; timestamp: string }>
    : [];
  const at = new Map(applied.map((row) => [row.name, row.timestamp]));
  const known = new Set(migrations.map((m) => m.name));
  const states = migrations.map((m): MigrationState => (at.has(m.name) ? { name: m.name, appliedAt: at.get(m.name)! } : { name: m.name }));
  return {
    migrations: states,
    pending: states.filter((s) => s.appliedAt === undefined).map((s) => s.name),
    unknown: applied.map((row) => row.name).filter((name) => !known.has(name)),
  };
}

/**
 * Applies the pending migrations, all in one transaction (both engines have transactional DDL):
 * either all of them are applied or, if one fails, none, and the error names it. Returns the names
 * applied (none when the schema was up to date). Safe to run from several processes at once.
 */
export async function migrateSchema(db: AnyDb, engine: Engine, migrations: readonly StoreMigration[], target: string): Promise<string[]> {
  const before = await schemaStatus(db, migrations);
  if (before.unknown.length > 0) {
    throw new MigrationError(`the store at ${target} was migrated by a newer maint (it has ${before.unknown.join(', ')}, which this version does not know): upgrade this maint`);
  }
  if (before.pending.length === 0) return [];
  const { error, results = [] } = await migrator(db, engine, migrations).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    const cause = error instanceof Error ? error.message : String(error);
    const what = failed !== undefined ? `migration ${failed} failed` : 'migrating failed';
    throw new MigrationError(
      `${what} on ${target}: ${cause}; nothing was applied, the schema is as before (pending: ${before.pending.join(', ')})`,
      { cause: error },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
