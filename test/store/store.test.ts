import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'kysely';
import { freePort } from '../../harness/ports';
import { parseEnvironment } from '../../policies/common/environment';
import { describeStore, MigrationError, openStore, storeConfig, StoreUnavailableError, type Store, type StoreMigration } from '../../store';
import { MIGRATIONS } from '../../store/migrations';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const ROOT = join(__dirname, '..', '..');
const LATEST = MIGRATIONS.map((m) => m.name);

function run(command: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
    child.once('error', reject);
  });
}

/** Test-only migrations after the real ones: one that works, one that fails half-way. */
const widgets: StoreMigration = {
  name: '9001-test-widgets',
  up: async (db) => db.schema.createTable('test_widgets').addColumn('id', 'integer', (c) => c.primaryKey()).execute(),
};
const broken: StoreMigration = {
  name: '9002-test-broken',
  up: async (db) => {
    await db.schema.createTable('test_gadgets').addColumn('id', 'integer', (c) => c.primaryKey()).execute();
    await db.insertInto('test_gadgets').values({ id: 1 }).execute();
    await sql`select * from no_such_table`.execute(db);
  },
};

async function tableNames(store: Store): Promise<string[]> {
  return (await store.db.introspection.getTables()).map((t) => t.name).sort();
}

describe('configuration', () => {
  it('uses PostgreSQL when MAINT_DATABASE_URL is set, SQLite in the data directory otherwise; the password is never shown', async () => {
    expect(storeConfig({}, '/var/lib/maint')).toEqual({ engine: 'sqlite', file: '/var/lib/maint/store.db' });
    const url = 'postgresql://maint:pa55-w0rd@db.example:6543/ops?sslmode=require';
    expect(storeConfig(parseEnvironment({ MAINT_DATABASE_URL: url }), '/x')).toEqual({ engine: 'postgres', url });
    expect(describeStore({ engine: 'postgres', url })).toBe('postgresql://maint@db.example:6543/ops');
    expect(describeStore({ engine: 'postgres', url: 'postgres://db.example/ops' })).toBe('postgresql://db.example:5432/ops');

    expect(() => parseEnvironment({ MAINT_DATABASE_URL: 'mysql://maint:pa55-w0rd@db.example/ops' })).toThrow(/MAINT_DATABASE_URL: expected postgresql:\/\/user\[:password\]@host\[:port\]\/database/);
    expect(() => parseEnvironment({ MAINT_DATABASE_URL: 'mysql://maint:pa55-w0rd@db.example/ops' })).not.toThrow(/pa55/);

    // Nothing listens there: the error names the store, without its password.
    const port = await freePort();
    const failure = await openStore({ engine: 'postgres', url: `postgresql://maint:pa55-w0rd@127.0.0.1:${port}/ops` }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toMatch(new RegExp(`^cannot open the store at postgresql://maint@127\\.0\\.0\\.1:${port}/ops: .*ECONNREFUSED`));
    expect((failure as Error).message).not.toContain('pa55');
  });
});

describe.each(ENGINES)('the store on %s', (engine) => {
  const { fresh } = useEngine(engine);

  it('applies every migration when opened, once: opening again and migrating again change nothing; status says when each was applied', async () => {
    const config = await fresh();
    const before = Date.now();
    const store = await openStore(config);
    let status;
    try {
      status = await store.status();
      expect(status.pending).toEqual([]);
      expect(status.unknown).toEqual([]);
      expect(status.migrations.map((m) => m.name)).toEqual(LATEST);
      for (const m of status.migrations) expect(Date.parse(m.appliedAt!)).toBeGreaterThanOrEqual(before - 1000);
      expect(await store.migrate()).toEqual([]);
      expect(await store.serverVersion()).toMatch(engine === 'postgres' ? /^PostgreSQL 1\d\./ : /^SQLite 3\./);
      expect(await tableNames(store)).toEqual(expect.arrayContaining(['maint_migrations', 'notice_deliveries']));
    } finally {
      await store.close();
    }
    const again = await openStore(config);
    try {
      expect(await again.status()).toEqual(status);
    } finally {
      await again.close();
    }
  });

  it('without migrating, status lists what is pending; migrate applies exactly that', async () => {
    const config = await fresh();
    const store = await openStore(config, { migrate: false });
    try {
      expect(await store.status()).toEqual({ migrations: LATEST.map((name) => ({ name })), pending: LATEST, unknown: [] });
      expect(await store.migrate()).toEqual(LATEST);
      expect((await store.status()).pending).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('a migration that fails leaves the schema as it was, names the migration and the cause, and stays pending', async () => {
    const config = await fresh();
    (await openStore(config).then((s) => s.close()));
    const failure = await openStore(config, { migrations: [...MIGRATIONS, widgets, broken] }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toMatch(new RegExp(
      `^migration 9002-test-broken failed on ${describeStore(config).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*no_such_table.*; nothing was applied, the schema is as before \\(pending: 9001-test-widgets, 9002-test-broken\\)$`,
    ));

    const store = await openStore(config, { migrate: false, migrations: [...MIGRATIONS, widgets, broken] });
    try {
      // Not even the migration before it (they run in one transaction), nor the failed one's first table.
      expect(await tableNames(store)).not.toEqual(expect.arrayContaining(['test_widgets']));
      expect(await tableNames(store)).not.toEqual(expect.arrayContaining(['test_gadgets']));
      expect((await store.status()).pending).toEqual(['9001-test-widgets', '9002-test-broken']);
    } finally {
      await store.close();
    }
    // The fixed release migrates.
    const fixed = await openStore(config, { migrations: [...MIGRATIONS, widgets] });
    try {
      expect((await fixed.status()).pending).toEqual([]);
      expect(await tableNames(fixed)).toEqual(expect.arrayContaining(['test_widgets']));
    } finally {
      await fixed.close();
    }
  });

  it('refuses a store migrated by a newer maint, naming the migration it does not know', async () => {
    const config = await fresh();
    await openStore(config, { migrations: [...MIGRATIONS, widgets] }).then((s) => s.close());
    await expect(openStore(config)).rejects.toThrow(/was migrated by a newer maint \(it has 9001-test-widgets, which this version does not know\): upgrade this maint/);
    const old = await openStore(config, { migrate: false });
    try {
      expect(await old.status()).toMatchObject({ pending: [], unknown: ['9001-test-widgets'] });
    } finally {
      await old.close();
    }
  });

  it('several processes starting at once (workers, `maint db migrate`) migrate once, and all of them start', async () => {
    const config = await fresh();
    const script = `require(${JSON.stringify(join(ROOT, 'dist', 'store'))}).openStore(JSON.parse(process.argv[1])).then((s) => s.close()).catch((e) => { console.error(e.message); process.exit(1); })`;
    const runs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, ['-e', script, JSON.stringify(config)])));
    expect(runs).toEqual(runs.map(() => ({ code: 0, stderr: '' })));
    const store = await openStore(config, { migrate: false });
    try {
      const applied = await store.db.selectFrom('maint_migrations' as never).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow() as { n: number };
      expect(Number(applied.n)).toBe(LATEST.length);
    } finally {
      await store.close();
    }
  });
});
