import { createHash } from 'node:crypto';
import { openStore, type Store } from '../../store';
import { csrfMatches, IDLE_MS, MAX_AGE_MS, SessionBook } from '../../web/console/session';
import { ENGINES, useEngine } from '../helpers/storeEngines';

describe.each(ENGINES)('console sessions in the store on %s', (engine) => {
  let store: Store;
  // Before useEngine's: the store closes before its PostgreSQL stops.
  afterAll(async () => {
    await store?.close();
  });
  const { fresh } = useEngine(engine);
  let config: Awaited<ReturnType<typeof fresh>>;
  beforeAll(async () => {
    config = await fresh();
    store = await openStore(config);
  });
  const t0 = Date.parse('2026-12-02T08:00:00Z');

  it('keeps a session by the SHA-256 of its id only, finds it from another process\'s store, and deletes it on sign-out', async () => {
    const book = new SessionBook(store);
    const session = await book.open({ name: 'oscar@ops.example', role: 'operator', via: 'oidc', subject: 'u-42@idp.example' }, t0);
    const rows = await store.db.selectFrom('console_sessions').selectAll().execute();
    expect(rows.map((r) => r.id_sha256)).toEqual([createHash('sha256').update(session.id).digest('hex')]);
    expect(JSON.stringify(rows)).not.toContain(session.id);
    expect(JSON.stringify(rows)).not.toContain(session.csrf);

    // A restart: another connection, another book.
    const other = await openStore(config);
    try {
      const found = await new SessionBook(other).find(session.id, t0 + 1000);
      expect(found).toMatchObject({ id: session.id, identity: { name: 'oscar@ops.example', role: 'operator', via: 'oidc', subject: 'u-42@idp.example' }, createdAt: t0 });
      expect(csrfMatches(found!, session.csrf)).toBe(true);
      expect(csrfMatches(found!, `${session.csrf.slice(0, -1)}${session.csrf.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    } finally {
      await other.close();
    }
    expect(await book.find(`${session.id.slice(0, -1)}${session.id.endsWith('A') ? 'B' : 'A'}`, t0)).toBeUndefined();
    expect(await book.find('not-a-session-id', t0)).toBeUndefined();
    await book.close(session.id);
    expect(await book.find(session.id, t0 + 2000)).toBeUndefined();
    expect(await store.db.selectFrom('console_sessions').selectAll().execute()).toEqual([]);
  });

  it('ends a session idle for 8 hours, and any session after 24 hours however busy', async () => {
    const book = new SessionBook(store);
    const idle = await book.open({ name: 'olivia', role: 'operator', via: 'password' }, t0);
    expect(await book.find(idle.id, t0 + IDLE_MS - 1000)).toBeDefined();
    // Seen just now: the idle time starts again.
    expect(await book.find(idle.id, t0 + 2 * IDLE_MS - 2000)).toBeDefined();
    expect(await book.find(idle.id, t0 + 3 * IDLE_MS)).toBeUndefined();

    const busy = await book.open({ name: 'victor', role: 'viewer', via: 'password' }, t0);
    for (let at = t0; at < t0 + MAX_AGE_MS; at += IDLE_MS / 2) expect(await book.find(busy.id, at)).toBeDefined();
    expect(await book.find(busy.id, t0 + MAX_AGE_MS + 1)).toBeUndefined();
    expect(await store.db.selectFrom('console_sessions').selectAll().execute()).toEqual([]);
  });

  it('sweeps expired sessions of browsers that never came back', async () => {
    const book = new SessionBook(store);
    await book.open({ name: 'gone', role: 'viewer', via: 'password' }, t0);
    const later = await new SessionBook(store).open({ name: 'new', role: 'viewer', via: 'password' }, t0 + MAX_AGE_MS + 1);
    expect((await store.db.selectFrom('console_sessions').select('name').execute()).map((r) => r.name)).toEqual(['new']);
    await book.close(later.id);
  });
});
