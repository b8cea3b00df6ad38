import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './ports';
import { track } from './processes';

/** Debian's `postgresql` package (15 on bookworm; a newer major if that is what is installed). */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = execFileSync('ls', [root], { encoding: 'utf8' }).split('\n').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return majors.map((m) => join(root, m, 'bin')).find((dir) => existsSync(join(dir, 'postgres')));
}

export interface TestPostgres {
  /** `postgresql://maint@127.0.0.1:PORT/maint` (trust authentication: any password is accepted). */
  url: string;
  port: number;
  /** A fresh, empty database of this cluster; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** The server's log so far (for failure messages). */
  log(): string;
  /** Stops the server (fast shutdown, then SIGKILL) and removes its files. */
  stop(): Promise<void>;
}

let databases = 0;

/**
 * Starts a real PostgreSQL cluster for a test file: `initdb` in a temporary directory, the
 * `postgres` server on a free loopback port (and a Unix socket in that directory only), run as the
 * `postgres` user when this process is root (initdb refuses root). The server is a child of this
 * process, tracked (harness/processes.ts) so that it dies with a crashed test file; `stop()`
 * removes everything. It runs in the foreground rather than under `pg_ctl start`, which would
 * detach it from us. fsync is off unless `durable` (benchmarks): the tests kill clients, never the server.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed: scripts/test.sh installs Debian\'s postgresql package; or `apt-get install postgresql`');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : undefined;
  const root = mkdtempSync(join(tmpdir(), 'maint-postgres-'));
  const data = join(root, 'data');
  const logFile = join(root, 'server.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '');
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const child = server;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGINT'); // fast shutdown: open connections are closed, not waited for
      });
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    mkdirSync(data, { mode: 0o700 });
    if (owner) {
      chownSync(root, owner.uid, owner.gid);
      chownSync(data, owner.uid, owner.gid);
    }
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
    execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'maint', '-E', 'UTF8', '--no-sync', '--no-instructions'], { env, stdio: ['ignore', 'ignore', 'pipe'], ...owner });
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const out = openSync(logFile, 'a');
      server = track(spawn(join(bin, 'postgres'), [
        '-D', data, '-p', String(port), '-k', root,
        '-c', 'listen_addresses=127.0.0.1', ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']), '-c', 'shared_buffers=32MB', '-c', 'max_connections=100',
      ], { env, stdio: ['ignore', out, out], ...owner }));
      closeSync(out);
      const url = `postgresql://maint@127.0.0.1:${port}/maint`;
      // initdb made the database `postgres` only.
      if (await ready(`postgresql://maint@127.0.0.1:${port}/postgres`, server)) {
        await query(`postgresql://maint@127.0.0.1:${port}/postgres`, 'create database maint');
        return {
          url,
          port,
          log,
          stop,
          createDatabase: async (name) => {
            const database = name ?? `test_${process.pid}_${++databases}`;
            await query(url, `create database ${database}`);
            return `postgresql://maint@127.0.0.1:${port}/${database}`;
          },
        };
      }
      // Most likely the port was taken between freePort() and the server's bind: try another.
      if (attempt === 3 || server.exitCode === null) throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}:\n${log()}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls until the server answers (true) or exits (false); 30 s at most. */
async function ready(url: string, server: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) return false;
    try {
      await query(url, 'select 1');
      return true;
    } catch {
      await sleep(100);
    }
  }
  return false;
}

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
