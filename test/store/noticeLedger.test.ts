import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNoticeActivities, type SendNoticesInput } from '../../activities/notices';
import { AlreadyHandedOverError, importFileLedger, NoticeLedger } from '../../activities/notices/ledger';
import { openStore, type Store, type StoreConfig } from '../../store';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { ENGINES, useEngine } from '../helpers/storeEngines';

describe.each(ENGINES)('the notice ledger on %s', (engine) => {
  const { fresh } = useEngine(engine);
  let smtp: TestSmtpServer;
  const dirs: string[] = [];
  const stores: Store[] = [];

  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await smtp?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function open(config: StoreConfig): Promise<Store> {
    const store = await openStore(config);
    stores.push(store);
    return store;
  }

  it('records a notice as handed over, then sent; forgets one the server refused', async () => {
    const ledger = new NoticeLedger(await open(await fresh()));
    const key = 'web/2026-12-11T21:00:00.000Z/started/mail:it@jansen.example';
    expect(await ledger.entry(key)).toBeUndefined();
    const before = Date.now();
    await ledger.recordHandedOver(key, { channel: 'mail', kind: 'started', messageId: 'abc' });
    const handedOver = await ledger.entry(key);
    expect(handedOver?.state).toBe('handed-over');
    expect(Date.parse(handedOver!.sentAt)).toBeGreaterThanOrEqual(before);
    await ledger.record(key, '2026-12-11T21:00:01.234Z', { channel: 'mail', kind: 'started' });
    expect(await ledger.entry(key)).toEqual({ state: 'sent', sentAt: '2026-12-11T21:00:01.234Z' });
    expect(await ledger.sentAt(key)).toBe('2026-12-11T21:00:01.234Z');
    await ledger.forget(key);
    expect(await ledger.entry(key)).toBeUndefined();
  });

  it('a second hand-over of the same notice (another worker, since this one looked) is refused before its final "."', async () => {
    const config = await fresh();
    const [one, two] = [new NoticeLedger(await open(config)), new NoticeLedger(await open(config))];
    await one.recordHandedOver('k', { channel: 'mail' });
    await expect(two.recordHandedOver('k', { channel: 'mail' })).rejects.toThrow(AlreadyHandedOverError);
    expect((await two.entry('k'))?.state).toBe('handed-over');
  });

  it('imports the ledger files of a worker from before the store once, keeping what the store has', async () => {
    const store = await open(await fresh());
    const ledger = new NoticeLedger(store);
    const dir = mkdtempSync(join(tmpdir(), 'maint-data-'));
    dirs.push(dir);
    const files = join(dir, 'notices');
    mkdirSync(files);
    // As the file ledger wrote them (entries from before states existed have none: they were sent).
    writeFileSync(join(files, 'a.json'), JSON.stringify({ key: 'w/o/started/a', sentAt: '2026-12-01T10:00:00.000Z', channel: 'mail', kind: 'started' }));
    writeFileSync(join(files, 'b.json'), JSON.stringify({ key: 'w/o/started/b', sentAt: '2026-12-01T10:00:01.000Z', state: 'handed-over', channel: 'mail', kind: 'started', messageId: 'x' }));
    writeFileSync(join(files, 'c.json'), JSON.stringify({ key: 'w/o/started/c', sentAt: '2026-12-01T10:00:02.000Z', state: 'sent', channel: 'mail', kind: 'started' }));
    await ledger.record('w/o/started/c', '2026-12-02T08:00:00.000Z', { channel: 'mail', kind: 'started' });

    expect(await importFileLedger(store, files)).toBe(2);
    expect(await ledger.entry('w/o/started/a')).toEqual({ state: 'sent', sentAt: '2026-12-01T10:00:00.000Z' });
    expect(await ledger.entry('w/o/started/b')).toEqual({ state: 'handed-over', sentAt: '2026-12-01T10:00:01.000Z' });
    expect(await ledger.entry('w/o/started/c')).toEqual({ state: 'sent', sentAt: '2026-12-02T08:00:00.000Z' });
    expect(existsSync(files)).toBe(false);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^notices\.imported-\d+$/)]);
    expect(await importFileLedger(store, files)).toBe(0);
  });

  it('two workers sending the same notices at the same moment: each recipient gets one message', async () => {
    const config = await fresh();
    const recipients = Array.from({ length: 20 }, (_v, i) => ({ key: `mail:c${i}@customers.example`, name: `Customer ${i}`, channel: 'mail', to: `c${i}@customers.example`, language: 'en' as const, timezone: 'UTC' }));
    const input: SendNoticesInput = {
      keyPrefix: `web/2026-12-11T21:00:00.000Z/started-${engine}`,
      window: 'web',
      channels: [{ name: 'mail', kind: 'email', smtp: { host: '127.0.0.1', port: smtp.port, secure: false }, from: 'Acme Maintenance <maintenance@acme.example>' }],
      recipients,
      notice: {
        kind: 'started',
        organisation: { name: 'Acme Hosting', contact: { email: 'support@acme.example' } },
        window: { title: { nl: 'Webwinkel', en: 'Web shop' }, services: [{ nl: 'Webwinkel', en: 'Web shop' }], start: '2026-12-11T21:00:00.000Z', end: '2026-12-12T01:00:00.000Z' },
      },
      finalAttempt: 1,
    };
    const before = smtp.messages.length;
    const workers = [createNoticeActivities({ store: await open(config) }), createNoticeActivities({ store: await open(config) })];
    const results = await Promise.all(workers.map((w) => w.sendNotices(input)));
    const received = smtp.messages.slice(before).map((m) => m.to.join());
    expect(received.sort()).toEqual(recipients.map((r) => r.to).sort());
    // Each recipient was delivered by one of the two; the other stopped short of the "." and says why.
    for (const r of recipients) {
      const failedBy = results.filter((res) => res.failed.some((f) => f.recipient === r.name));
      for (const res of failedBy) expect(res.failed.find((f) => f.recipient === r.name)?.error).toMatch(/already handed over or sent by another attempt/);
    }
    expect(results[0]!.delivered + results[1]!.delivered).toBeGreaterThanOrEqual(recipients.length);
    // Their retries find every notice sent.
    const retried = await Promise.all(workers.map((w) => w.sendNotices(input)));
    expect(retried).toEqual([{ delivered: 20, failed: [] }, { delivered: 20, failed: [] }]);
    expect(smtp.messages.length - before).toBe(recipients.length);
  });
});
