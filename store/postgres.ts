import { PostgresDialect } from 'kysely';
import pg from 'pg';

/**
 * `postgresql://user@host:port/database`: where the store is, without the password, for logs and
 * messages. A URL that does not parse is not echoed either (it may hold the password).
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'postgresql://(an unparsable MAINT_DATABASE_URL)';
  }
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  return `postgresql://${user}${host}:${parsed.port || '5432'}${parsed.pathname || '/'}`;
}

/** bigint columns (times in ms, counts) as numbers, as SQLite returns them; never silently rounded. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${text} does not fit a JavaScript number`);
  return n;
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function postgresDialect(url: string, onIdleError: (err: Error) => void): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    types,
    max: 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'maint',
  });
  // A connection the server drops while idle: without a listener the pool's 'error' kills the process.
  pool.on('error', onIdleError);
  return new PostgresDialect({ pool });
}
