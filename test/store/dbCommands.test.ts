import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseSince } from '../../cli/audit';
import { freePort } from '../../harness/ports';
import { openStore, type StoreConfig } from '../../store';
import { recordAuditEvent } from '../../store/audit';
import { MIGRATIONS } from '../../store/migrations';
import { runMaint } from '../helpers/cli';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const LATEST = MIGRATIONS.map((m) => m.name);

it('--since takes a duration back from now or an ISO date or time', () => {
  const now = Date.parse('2026-12-08T12:00:00Z');
  expect(parseSince('7d', now)).toBe('2026-12-01T12:00:00.000Z');
  expect(parseSince('1h30m', now)).toBe('2026-12-08T10:30:00.000Z');
  expect(parseSince('2026-12-01T08:00:00Z', now)).toBe('2026-12-01T08:00:00.000Z');
  expect(() => parseSince('last week', now)).toThrow(/expected a duration \(7d, 12h\) or an ISO date or time/);
});

it('a worker whose PostgreSQL cannot be reached does not start, and says which without the password', async () => {
  const port = await freePort();
  const result = await runMaint(['worker'], { MAINT_DATABASE_URL: `postgresql://maint:pa55-w0rd@127.0.0.1:${port}/ops`, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`maint: cannot open the store at postgresql://maint@127.0.0.1:${port}/ops: connect ECONNREFUSED`);
  expect(result.stdout + result.stderr).not.toContain('pa55');
});

describe.each(ENGINES)('`maint db` and `maint audit` on %s (the built CLI)', (engine) => {
  const fixture = useEngine(engine);

  it('status shows what is pending, migrate applies it once, audit lists control actions; the password never shows', async () => {
    // Trust authentication accepts any password: this one must appear nowhere.
    const fresh = await fixture.fresh();
    const config: StoreConfig = fresh.engine === 'postgres' ? { engine: 'postgres', url: fresh.url.replace('maint@', 'maint:pa55-w0rd@') } : fresh;
    // With PostgreSQL the data directory is not needed (nor created).
    const dataDir = fresh.engine === 'sqlite' ? dirname(fresh.file) : join(tmpdir(), `maint-data-unused-${process.pid}`);
    const env = { MAINT_DATA_DIR: dataDir, ...(config.engine === 'postgres' ? { MAINT_DATABASE_URL: config.url } : {}) };
    const target = config.engine === 'postgres' ? `postgresql://maint@127.0.0.1:${fixture.postgres().port}${new URL(config.url).pathname}` : `sqlite:${config.file}`;
    const outputs: string[] = [];
    const maint = async (...args: string[]) => {
      const result = await runMaint(args, env);
      outputs.push(result.stdout, result.stderr);
      return result;
    };

    const pending = await maint('db', 'status');
    expect(pending.code).toBe(1);
    expect(pending.stdout).toContain(`store: ${target} (${engine === 'postgres' ? 'PostgreSQL 1' : 'SQLite 3.'}`);
    for (const name of LATEST) expect(pending.stdout).toMatch(new RegExp(`${name}\\s+pending`));
    expect(pending.stdout).toContain(`${LATEST.length} pending: run \`maint db migrate\``);

    const notYet = await maint('audit');
    expect(notYet).toMatchObject({ code: 1, stderr: expect.stringContaining(`maint: the store at ${target} is not migrated yet (pending: ${LATEST.join(', ')}): run \`maint db migrate\``) });

    expect(await maint('db', 'migrate')).toMatchObject({ code: 0, stdout: `${target}: applied ${LATEST.join(', ')}\n` });
    expect(await maint('db', 'migrate')).toMatchObject({ code: 0, stdout: `${target}: up to date, nothing to apply\n` });
    const status = await maint('db', 'status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ store: target, engine, pending: [], unknown: [], migrations: LATEST.map((name) => ({ name, appliedAt: expect.any(String) })) });

    expect((await maint('audit')).stdout).toBe('No control actions recorded.\n');
    const store = await openStore(config);
    try {
      await recordAuditEvent(store, { at: '2026-11-30T09:00:00.000Z', actor: 'alice@ops-1', action: 'approve', subject: 'rollout web-42', reason: 'canary looks fine' });
      await recordAuditEvent(store, { at: '2026-12-01T22:05:00.000Z', actor: 'bob@ops-2', action: 'extend', subject: 'window shop-now', reason: 'database migration slow', detail: { by: '30m' } });
      await recordAuditEvent(store, { at: '2026-12-01T22:05:00.000Z', actor: 'api:deploy-bot', action: 'abort', subject: 'rollout web-43' });
    } finally {
      await store.close();
    }
    const all = await maint('audit');
    expect(all.code).toBe(0);
    expect(all.stdout.split('\n').map((l) => l.trimEnd())).toEqual([
      'WHEN                      WHO             ACTION   WHAT             WHY',
      '2026-11-30T09:00:00.000Z  alice@ops-1     approve  rollout web-42   canary looks fine',
      '2026-12-01T22:05:00.000Z  bob@ops-2       extend   window shop-now  database migration slow',
      '2026-12-01T22:05:00.000Z  api:deploy-bot  abort    rollout web-43',
      '',
    ]);
    const since = await maint('audit', '--since', '2026-12-01', '--json');
    expect(JSON.parse(since.stdout)).toEqual([
      { at: '2026-12-01T22:05:00.000Z', actor: 'bob@ops-2', action: 'extend', subject: 'window shop-now', reason: 'database migration slow', detail: { by: '30m' } },
      { at: '2026-12-01T22:05:00.000Z', actor: 'api:deploy-bot', action: 'abort', subject: 'rollout web-43' },
    ]);
    expect(JSON.parse((await maint('audit', '--limit', '1', '--json')).stdout)).toEqual([expect.objectContaining({ subject: 'rollout web-43' })]);
    expect(outputs.join('\n')).not.toContain('pa55');
    if (config.engine === 'postgres') expect(existsSync(dataDir)).toBe(false);
  });
});
