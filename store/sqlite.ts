import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, type DatabaseConnection, type DialectAdapter, type Driver, type SqliteDatabase, type SqliteDialectConfig } from 'kysely';

/**
 * Kysely's SqliteDialect over Node's built-in node:sqlite (no native addon to rebuild per Node ABI).
 * The dialect was written for better-sqlite3, whose statements take their parameters as an array
 * and say whether they return rows (`reader`); node:sqlite's take them spread and say it through
 * `columns()`. That, and two choices for a store several processes open (the worker, `maint db`):
 * transactions take the write lock when they begin (`begin immediate`), and DDL runs inside them.
 */
export class NodeSqliteDialect extends SqliteDialect {
  private readonly config: SqliteDialectConfig;

  constructor(file: string) {
    const config: SqliteDialectConfig = { database: async () => openDatabase(file) };
    super(config);
    this.config = config;
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * A query whose text starts with this comment gets its rows as arrays, in column order
 * (StatementSync.setReturnArrays): node:sqlite's row objects cost twice the time of the read itself
 * for a month of probe results, and are slow to read from (store/probes.ts probeSegmentsBetween).
 */
export const ROWS_AS_ARRAYS = '/* rows as arrays */';

function openDatabase(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // A writer waits up to 10 s for another process's transaction instead of failing at once.
  const db = new DatabaseSync(file, { timeout: 10_000 });
  // WAL: readers do not block the writer; NORMAL: a commit survives the process being killed (only
  // a power loss can take the last transactions). Foreign keys are off by default in SQLite.
  db.exec('pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on');
  const input = (parameters: ReadonlyArray<unknown>): SQLInputValue[] =>
    parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p) as SQLInputValue);
  // Prepared once per SQL text: preparing was the largest part of a probe round's store time
  // (bench/probes/capacity.ts). Kysely's queries have a few hundred distinct texts; the oldest goes first.
  const statements = new Map<string, { statement: StatementSync; reader: boolean }>();
  const prepared = (text: string) => {
    let entry = statements.get(text);
    if (entry === undefined) {
      const statement = db.prepare(text);
      if (text.startsWith(ROWS_AS_ARRAYS)) statement.setReturnArrays(true);
      entry = { statement, reader: statement.columns().length > 0 };
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(text, entry);
    }
    return entry;
  };
  return {
    close: () => db.close(),
    prepare: (text) => {
      const { statement, reader } = prepared(text);
      return {
        reader,
        all: (parameters) => statement.all(...input(parameters)),
        run: (parameters) => statement.run(...input(parameters)),
        // A statement of its own: an iterator left open must not be reset by the next use of the text.
        iterate: (parameters) => db.prepare(text).iterate(...input(parameters)),
      };
    },
  };
}

/** SQLite's DDL is transactional: a failed migration leaves no half-made table behind. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * `begin` defers the write lock to the first write, so two processes that both read first (a
 * migration checking what is applied) deadlock into SQLITE_BUSY; `begin immediate` queues them.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
