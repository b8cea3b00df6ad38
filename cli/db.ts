import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { parseEnvironment } from '../policies/common/environment';
import { MigrationError, openStore, storeConfig, StoreUnavailableError, type SchemaStatus, type Store } from '../store';
import { recordAuditEvent } from '../store/audit';
import { defaultDataDir } from '../worker';
import { CliError, EXIT } from './errors';
import { renderTable } from './table';

/**
 * The store this machine's workers use (MAINT_DATABASE_URL, else SQLite in MAINT_DATA_DIR), as it
 * is: the CLI leaves migrating to the workers and `maint db migrate`. `migrated`: refuse a store
 * with pending migrations, saying so, rather than failing on a missing table.
 */
export async function withStore<T>(use: (store: Store) => Promise<T>, options: { migrated?: boolean } = {}): Promise<T> {
  const env = parseEnvironment(process.env);
  let store: Store;
  try {
    store = await openStore(storeConfig(env, defaultDataDir(env)), { migrate: false });
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new CliError(EXIT.failed, err.message);
    throw err;
  }
  try {
    if (options.migrated) {
      const { pending } = await store.status();
      if (pending.length > 0) throw new CliError(EXIT.failed, `the store at ${store.target} is not migrated yet (pending: ${pending.join(', ')}): run \`maint db migrate\` or start a worker`);
    }
    return await use(store);
  } finally {
    await store.close();
  }
}

/** `PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, …` → `PostgreSQL 15.18`. */
const shortVersion = (version: string) => version.split(' ').slice(0, 2).join(' ');

export function renderStatus(target: string, version: string, status: SchemaStatus): string {
  const rows = status.migrations.map((m) => [m.name, m.appliedAt ?? 'pending']);
  const out = [`store: ${target} (${shortVersion(version)})`, '', renderTable(['MIGRATION', 'APPLIED'], rows), ''];
  if (status.unknown.length > 0) out.push(`Applied by a newer maint, unknown to this one: ${status.unknown.join(', ')}. Upgrade maint.`);
  else if (status.pending.length > 0) out.push(`${status.pending.length} pending: run \`maint db migrate\` (a worker also applies them when it starts).`);
  else out.push('Up to date.');
  return out.join('\n');
}

/** 0 up to date, 1 pending or applied by a newer maint. */
async function dbStatus(opts: { json?: boolean }): Promise<number> {
  return withStore(async (store) => {
    const [status, version] = await Promise.all([store.status(), store.serverVersion()]);
    process.stdout.write(opts.json
      ? `${JSON.stringify({ store: store.target, engine: store.engine, version: shortVersion(version), ...status }, null, 2)}\n`
      : `${renderStatus(store.target, version, status)}\n`);
    return status.pending.length === 0 && status.unknown.length === 0 ? EXIT.ok : EXIT.failed;
  });
}

async function dbMigrate(opts: { json?: boolean }): Promise<number> {
  return withStore(async (store) => {
    let applied: string[];
    try {
      applied = await store.migrate();
    } catch (err) {
      if (err instanceof MigrationError) throw new CliError(EXIT.failed, err.message);
      throw err;
    }
    process.stdout.write(opts.json
      ? `${JSON.stringify({ store: store.target, applied }, null, 2)}\n`
      : `${store.target}: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date, nothing to apply'}\n`);
    return EXIT.ok;
  });
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('The store (notice deliveries): PostgreSQL at MAINT_DATABASE_URL, else SQLite in MAINT_DATA_DIR.');
  db
    .command('status')
    .description('Where the store is and which schema migrations are applied or pending (exit 1 if any is pending).')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await dbStatus(opts);
    });
  db
    .command('migrate')
    .description('Apply pending schema migrations, all or none (workers also do this when they start).')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await dbMigrate(opts);
    });
}

/**
 * Records a control action the command has just taken in the audit trail of this machine's store
 * (MAINT_DATABASE_URL, else SQLite in MAINT_DATA_DIR, migrated here if no worker has done it yet).
 * The action stands whatever happens here: a store that cannot take it gets a warning.
 */
export async function auditAction(event: Parameters<typeof recordAuditEvent>[1]): Promise<void> {
  const env = parseEnvironment(process.env);
  try {
    const store = await openStore(storeConfig(env, defaultDataDir(env)));
    try {
      await recordAuditEvent(store, event);
    } finally {
      await store.close();
    }
  } catch (err) {
    process.stderr.write(`warning: not recorded in the audit trail: ${(err as Error).message}\n`);
  }
}

/**
 * The workers' store (migrated), for what the CLI hands them through it. An SQLite store no
 * worker has made yet is not made by the CLI: `missing` is called, with why, instead.
 */
export async function withWorkersStore<T>(use: (store: Store) => Promise<T>, missing: (why: string) => T): Promise<T> {
  const env = parseEnvironment(process.env);
  const config = storeConfig(env, defaultDataDir(env));
  if (config.engine === 'sqlite' && !existsSync(config.file)) {
    return missing(`no store at ${config.file} (a worker makes it; set MAINT_DATA_DIR or MAINT_DATABASE_URL as the workers have it)`);
  }
  return withStore(use, { migrated: true });
}
