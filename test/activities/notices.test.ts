import * as crypto from 'node:crypto';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNoticeActivities, type SendNoticesInput } from '../../activities/notices';
import type { Channel } from '../../policies/organisation/schema';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { testStore } from '../helpers/temporal';

/** The README's verification snippet, run as written (README "Channel secrets and signatures"). */
const verifyMaintSignature = (() => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const code = /```js\n(\/\/ Verify X-Maint-Signature[\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('README: no X-Maint-Signature verification snippet');
  const load = new Function('require', `${code}\nreturn verifyMaintSignature;`) as (req: (m: string) => unknown) => (header: unknown, body: string, secret: string, now?: number) => boolean;
  return load((m) => (m === 'node:crypto' ? crypto : undefined));
})();

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A webhook receiver on loopback that answers with the status the test sets. */
async function startReceiver() {
  const received: Received[] = [];
  let status = 200;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, received, answer: (s: number) => void (status = s), close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * A minimal SMTP server on a raw socket that answers everything up to the end of the data, and then
 * does what the test says: `drop` closes the connection without an answer (as when the worker dies,
 * or the link breaks, between the server's commit and its 250), `refuse` answers 554.
 */
async function startEndOfDataServer(afterData: 'drop' | 'refuse') {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let inData = false;
    let buffer = '';
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          received.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          inData = false;
          if (afterData === 'drop') socket.destroy();
          else socket.write('554 5.7.1 message refused\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO') || line.startsWith('HELO')) socket.write('250 test\r\n');
        else if (line === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (line === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('notice delivery (real SMTP server, real webhook receiver)', () => {
  let smtp: TestSmtpServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let channels: Channel[];
  const secret = 's3cret-for-hmac';

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startReceiver();
    process.env.TEST_PARTNER_SECRET = secret;
    channels = [
      { name: 'mail', kind: 'email', smtp: { host: '127.0.0.1', port: smtp.port, secure: false }, from: 'Acme Maintenance <maintenance@acme.example>' },
      { name: 'hook', kind: 'webhook', url: receiver.url, secretEnv: 'TEST_PARTNER_SECRET' },
    ];
  });
  afterAll(async () => {
    await smtp.close();
    await receiver.close();
  });

  const input = (kind: 'scheduled' | 'started', finalAttempt = 1): SendNoticesInput => ({
    keyPrefix: `web/2026-12-11T21:00:00.000Z/${kind}`,
    window: 'web',
    channels,
    recipients: [
      { key: 'mail:it@jansen.example', name: 'Bakkerij Jansen', channel: 'mail', to: 'it@jansen.example', language: 'nl', timezone: 'Europe/Amsterdam' },
      { key: 'mail:ops@harbour.example', name: 'Harbour Ltd', channel: 'mail', to: 'ops@harbour.example', language: 'en', timezone: 'Europe/London' },
      { key: 'hook:Partner', name: 'Partner', channel: 'hook', language: 'en', timezone: 'UTC' },
    ],
    notice: {
      kind,
      organisation: { name: 'Acme Hosting', contact: { email: 'support@acme.example' } },
      window: { title: { nl: 'Webwinkel', en: 'Web shop' }, services: [{ nl: 'Webwinkel', en: 'Web shop' }], start: '2026-12-11T21:00:00.000Z', end: '2026-12-12T01:00:00.000Z' },
    },
    finalAttempt,
  });

  it('sends each recipient one notice in their language, signs webhooks, and never sends twice for the same key', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    expect(await notices.sendNotices(input('scheduled'))).toEqual({ delivered: 3, failed: [] });
    // A retry after a crash (same keys): nothing goes out again.
    expect(await notices.sendNotices(input('scheduled'))).toEqual({ delivered: 3, failed: [] });

    expect(smtp.messages.map((m) => [m.to.join(), m.subject, m.language])).toEqual([
      ['it@jansen.example', 'Gepland onderhoud: Webwinkel op 11 december 2026', 'nl'],
      ['ops@harbour.example', 'Scheduled maintenance: Web shop on 11 December 2026', 'en'],
    ]);
    expect(smtp.messages[0]!.text).toContain('Wanneer: vrijdag 11 december 2026, 22:00 – zaterdag 12 december 2026, 02:00 CET');
    expect(smtp.messages[1]!.text).toContain('When: Friday 11 December 2026, 21:00 – Saturday 12 December 2026, 01:00 GMT');
    expect(smtp.messages[0]!.messageId).toMatch(/^<[0-9a-f]{32}@maint>$/);

    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    // The old signature, kept for one release under its new name (README "Channel secrets and signatures").
    expect(hook.headers['x-maint-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`);
    expect(verifyMaintSignature(hook.headers['x-maint-signature'], hook.body, secret)).toBe(true);
    expect(hook.headers['x-maint-delivery']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(hook.body)).toMatchObject({ kind: 'scheduled', window: 'web', title: 'Web shop', start: '2026-12-11T21:00:00.000Z', language: 'en', subject: 'Scheduled maintenance: Web shop on 11 December 2026' });
  });

  it('posts to a Slack-compatible webhook as a message with the subject in bold', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const before = receiver.received.length;
    const slack: Channel = { name: 'chat', kind: 'slack', url: receiver.url };
    const result = await notices.sendNotices({ ...input('started'), channels: [slack], recipients: [{ key: 'chat:Ops', name: 'Ops', channel: 'chat', language: 'en', timezone: 'UTC' }] });
    expect(result).toEqual({ delivered: 1, failed: [] });
    const message = JSON.parse(receiver.received[before]!.body) as { text: string };
    expect(message.text).toMatch(/^\*Maintenance started: Web shop\*\nDear Ops,\n\nThe maintenance on Web shop has started\. We expect to finish by Saturday 12 December 2026, 01:00 UTC\./);
  });

  it('reads a Slack or webhook URL named by urlEnv / urlFile when it sends: the input carries only the reference', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const dir = mkdtempSync(join(tmpdir(), 'maint-url-'));
    writeFileSync(join(dir, 'hook-url'), `${receiver.url}/from-file\n`);
    process.env.TEST_CHAT_URL = `${receiver.url}/from-env`;
    const before = receiver.received.length;
    const refs: Channel[] = [
      { name: 'chat', kind: 'slack', urlEnv: 'TEST_CHAT_URL' },
      { name: 'hook', kind: 'webhook', urlFile: join(dir, 'hook-url'), secretEnv: 'TEST_PARTNER_SECRET' },
    ];
    const recipients = [{ key: 'chat:Ops', name: 'Ops', channel: 'chat', language: 'en' as const, timezone: 'UTC' }, { key: 'hook:Partner', name: 'Partner', channel: 'hook', language: 'en' as const, timezone: 'UTC' }];
    expect(await notices.sendNotices({ ...input('started'), keyPrefix: 'refs/started', channels: refs, recipients })).toEqual({ delivered: 2, failed: [] });
    expect(receiver.received.slice(before).map((r) => r.path)).toEqual(['/hook/from-env', '/hook/from-file']);
    delete process.env.TEST_CHAT_URL;
    const missing: Awaited<ReturnType<typeof notices.sendNotices>> = await new MockActivityEnvironment({ attempt: 6 }).run(notices.sendNotices, { ...input('started', 6), keyPrefix: 'refs/missing', channels: refs.slice(0, 1), recipients: recipients.slice(0, 1) });
    expect(missing.failed).toEqual([{ recipient: 'Ops', error: expect.stringContaining('channel chat: environment variable TEST_CHAT_URL is not set on the worker') }]);
  });

  it('refuses a secret outside MAINT_SECRET_DIRS (symlinks resolved) or without MAINT_SECRET_ENV_PREFIX, naming the channel and the setting, and sends nothing', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const allowed = mkdtempSync(join(tmpdir(), 'maint-allowed-'));
    const outside = mkdtempSync(join(tmpdir(), 'maint-outside-'));
    writeFileSync(join(outside, 'id_ed25519'), 'PRIVATE KEY');
    symlinkSync(join(outside, 'id_ed25519'), join(allowed, 'looks-allowed'));
    writeFileSync(join(allowed, 'password'), 'ok');
    process.env.MAINT_SECRET_DIRS = allowed;
    process.env.MAINT_SECRET_ENV_PREFIX = 'TEST_ALLOWED_';
    const before = { mails: smtp.messages.length, hooks: receiver.received.length };
    try {
      const mail = (smtp: Record<string, string>): Channel => ({ name: 'mail', kind: 'email', smtp: { host: '127.0.0.1', port: 2, secure: false, user: 'maint', ...smtp }, from: 'Acme <m@acme.example>' });
      const one = (channel: Channel, key: string) => ({ ...input('started', 6), keyPrefix: `refused/${key}`, channels: [channel], recipients: input('started').recipients.slice(channel.kind === 'email' ? 0 : 2, channel.kind === 'email' ? 1 : 3) });
      type Result = Awaited<ReturnType<typeof notices.sendNotices>>;
      const run = async (channel: Channel, key: string): Promise<Result> => new MockActivityEnvironment({ attempt: 1 }).run(notices.sendNotices, one(channel, key));
      expect((await run(mail({ passwordFile: join(outside, 'id_ed25519') }), 'file')).failed[0]!.error).toBe(`channel mail: smtp.passwordFile: refused: ${join(outside, 'id_ed25519')} is not in MAINT_SECRET_DIRS (${allowed})`);
      expect((await run(mail({ passwordFile: join(allowed, 'looks-allowed') }), 'link')).failed[0]!.error).toBe(`channel mail: smtp.passwordFile: refused: ${join(allowed, 'looks-allowed')} (${join(outside, 'id_ed25519')}) is not in MAINT_SECRET_DIRS (${allowed})`);
      expect((await run({ name: 'hook', kind: 'webhook', url: receiver.url, secretEnv: 'TEST_PARTNER_SECRET' }, 'env')).failed[0]!.error).toBe('channel hook: secretEnv: refused: TEST_PARTNER_SECRET does not start with TEST_ALLOWED_ (MAINT_SECRET_ENV_PREFIX)');
      expect((await run({ name: 'hook', kind: 'webhook', url: receiver.url, secretEnv: 'MAINT_PAYLOAD_KEY' }, 'own')).failed[0]!.error).toBe('channel hook: secretEnv: refused: MAINT_PAYLOAD_KEY is the worker\'s own configuration, not a channel secret');
      expect((await run({ name: 'hook', kind: 'webhook', urlFile: join(outside, 'id_ed25519'), unsigned: true }, 'url')).failed[0]!.error).toMatch(/^channel hook: urlFile: refused: .* is not in MAINT_SECRET_DIRS/);
      expect([smtp.messages.length - before.mails, receiver.received.length - before.hooks]).toEqual([0, 0]);
    } finally {
      delete process.env.MAINT_SECRET_DIRS;
      delete process.env.MAINT_SECRET_ENV_PREFIX;
    }
  });

  it('signs webhooks so that a receiver running the README snippet accepts them and refuses a replay older than 5 minutes; never follows a redirect; refuses an unsigned channel unless it says unsigned: true', async () => {
    let skewMs = 0;
    const accepted: string[] = [];
    const verifying = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/moved') return void res.writeHead(302, { location: `http://127.0.0.1:${(verifying.address() as { port: number }).port}/elsewhere` }).end();
        if (req.url === '/elsewhere') accepted.push('followed a redirect');
        const ok = verifyMaintSignature(req.headers['x-maint-signature'], body, secret, Date.now() + skewMs);
        if (ok) accepted.push(body);
        res.writeHead(ok ? 200 : 401).end();
      });
    });
    await new Promise<void>((r) => verifying.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(verifying.address() as { port: number }).port}`;
    try {
      const notices = createNoticeActivities({ store: await testStore() });
      const recipients = input('started').recipients.slice(2);
      const hook = (fields: Partial<Extract<Channel, { kind: 'webhook' }>>): Channel[] => [{ name: 'hook', kind: 'webhook', url: `${base}/hook`, secretEnv: 'TEST_PARTNER_SECRET', ...fields }];
      type Result = Awaited<ReturnType<typeof notices.sendNotices>>;
      const send = async (key: string, channels: Channel[]): Promise<Result> => new MockActivityEnvironment({ attempt: 6 }).run(notices.sendNotices, { ...input('started', 6), keyPrefix: `signed/${key}`, channels, recipients });

      const before = receiver.received.length;
      expect(await send('first', hook({ url: receiver.url }))).toEqual({ delivered: 1, failed: [] });
      const captured = receiver.received[before]!;
      expect(captured.headers['x-maint-signature']).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
      expect(await send('verified', hook({}))).toEqual({ delivered: 1, failed: [] });
      expect(accepted).toHaveLength(1);

      // The captured request, replayed: accepted within the tolerance, refused after it, and a changed body never.
      const replay = async (body: string) => (await fetch(`${base}/hook`, { method: 'POST', headers: { 'x-maint-signature': String(captured.headers['x-maint-signature']) }, body })).status;
      expect(await replay(captured.body)).toBe(200);
      expect(await replay(captured.body.replace('started', 'cancelled'))).toBe(401);
      skewMs = 5 * 60_000 + 5_000;
      expect(await replay(captured.body)).toBe(401);
      skewMs = 0;

      const moved = await send('moved', hook({ url: `${base}/moved` }));
      expect(moved.failed).toEqual([{ recipient: 'Partner', error: expect.stringContaining('answered with a redirect (HTTP 302), which is not followed') }]);
      expect(accepted).not.toContain('followed a redirect');

      const { secretEnv: _, ...withoutSecret } = hook({})[0] as Extract<Channel, { kind: 'webhook' }>;
      expect((await send('unsigned', [withoutSecret])).failed).toEqual([{ recipient: 'Partner', error: expect.stringContaining('names no secretEnv or secretFile (set unsigned: true to send unsigned)') }]);
      const open = await send('open', [{ ...withoutSecret, url: receiver.url, unsigned: true }]);
      expect(open).toEqual({ delivered: 1, failed: [] });
      expect(receiver.received.at(-1)!.headers['x-maint-signature']).toBeUndefined();
    } finally {
      await new Promise<void>((r) => verifying.close(() => r()));
    }
  });

  it('fails the send with a clear error when smtp.tls is required and the server (a real smtp-server) offers no STARTTLS; tls: none sends in plain text', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const before = smtp.messages.length;
    const mail = (tls: 'required' | 'none'): Channel[] => [{ name: 'mail', kind: 'email', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, tls }, from: 'Acme <maintenance@acme.example>' }];
    const one = (tls: 'required' | 'none') => ({ ...input('started', 6), keyPrefix: `tls/${tls}`, channels: mail(tls), recipients: input('started').recipients.slice(0, 1) });
    const required: Awaited<ReturnType<typeof notices.sendNotices>> = await new MockActivityEnvironment({ attempt: 6 }).run(notices.sendNotices, one('required'));
    expect(required.failed).toEqual([{ recipient: 'Bakkerij Jansen', error: expect.stringContaining(`channel mail: 127.0.0.1:${smtp.port} offers no STARTTLS (or it failed) and smtp.tls is required: nothing was sent`) }]);
    expect(smtp.messages.length).toBe(before);
    expect(await notices.sendNotices(one('none'))).toEqual({ delivered: 1, failed: [] });
    expect(smtp.messages.length).toBe(before + 1);
  });

  it('retries what failed (mail server busy, receiver 503) and reports failures only on the final attempt', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const before = { mails: smtp.messages.length, hooks: receiver.received.length };
    smtp.refuse(true);
    receiver.answer(503);
    // Attempt 1 of 6: the activity fails so Temporal retries it with backoff.
    await expect(new MockActivityEnvironment({ attempt: 1 }).run(notices.sendNotices, input('started', 6))).rejects.toThrow(/3 of 3 notice\(s\) not delivered yet/);
    smtp.refuse(false);
    receiver.answer(200);
    expect(await new MockActivityEnvironment({ attempt: 2 }).run(notices.sendNotices, input('started', 6))).toEqual({ delivered: 3, failed: [] });
    expect(smtp.messages.length - before.mails).toBe(2);
    // The 503 was received once and not counted as delivered; the retry delivered it once more.
    expect(receiver.received.slice(before.hooks).map((r) => JSON.parse(r.body).kind)).toEqual(['started', 'started']);

    // A receiver that refuses for good (4xx) is reported at once, without retries.
    const refusing = createNoticeActivities({ store: await testStore() });
    receiver.answer(410);
    const result = await new MockActivityEnvironment({ attempt: 1 }).run(refusing.sendNotices, { ...input('started', 6), recipients: input('started').recipients.slice(2) });
    expect(result).toEqual({ delivered: 0, failed: [{ recipient: 'Partner', error: expect.stringContaining('answered HTTP 410') }] });
    receiver.answer(200);
  });

  it('never puts a webhook URL (its secret is in the path) into an error: refused and unreachable say scheme and host only', async () => {
    const notices = createNoticeActivities({ store: await testStore() });
    const secretPath = '/services/T0001/B0001/s3cr3t-token';
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const recipients = [{ key: 'chat:Ops', name: 'Ops', channel: 'chat', language: 'en' as const, timezone: 'UTC' }];
    type Result = Awaited<ReturnType<typeof notices.sendNotices>>;
    receiver.answer(410);
    try {
      const refused: Result = await new MockActivityEnvironment({ attempt: 6 }).run(notices.sendNotices, { ...input('started', 6), channels: [{ name: 'chat', kind: 'slack' as const, url: `${receiver.url}${secretPath}?token=also-secret` }], recipients });
      const host = new URL(receiver.url).host;
      expect(refused.failed).toEqual([{ recipient: 'Ops', error: expect.stringContaining(`http://${host}/… answered HTTP 410`) }]);
      const unreachable: Result = await new MockActivityEnvironment({ attempt: 6 }).run(notices.sendNotices, { ...input('started', 6), channels: [{ name: 'chat', kind: 'slack' as const, url: `http://127.0.0.1:${deadPort}${secretPath}` }], recipients });
      expect(unreachable.failed).toEqual([{ recipient: 'Ops', error: expect.stringContaining(`http://127.0.0.1:${deadPort}/… did not answer`) }]);
      for (const text of [JSON.stringify(refused), JSON.stringify(unreachable)]) {
        expect(text).not.toContain('s3cr3t-token');
        expect(text).not.toContain('also-secret');
      }
    } finally {
      receiver.answer(200);
    }
  });

  it('never sends a message twice once it was handed over: no answer → unconfirmed, not resent; refused → resent', async () => {
    for (const afterData of ['drop', 'refuse'] as const) {
      const server = await startEndOfDataServer(afterData);
      try {
        const notices = createNoticeActivities({ store: await testStore() });
        const mail: Channel = { name: 'mail', kind: 'email', smtp: { host: '127.0.0.1', port: server.port, secure: false }, from: 'Acme Maintenance <maintenance@acme.example>' };
        const one = { ...input('started', 6), channels: [mail], recipients: input('started').recipients.slice(0, 1) };
        if (afterData === 'drop') {
          // The server has the whole message; only its answer is missing. Retries must not send it again.
          expect(await new MockActivityEnvironment({ attempt: 1 }).run(notices.sendNotices, one)).toEqual({ delivered: 1, failed: [], unconfirmed: ['Bakkerij Jansen'] });
          expect(await new MockActivityEnvironment({ attempt: 2 }).run(notices.sendNotices, one)).toEqual({ delivered: 1, failed: [], unconfirmed: ['Bakkerij Jansen'] });
          expect(server.received).toHaveLength(1);
          expect(server.received[0]).toMatch(/Message-ID: <[0-9a-f]{32}@maint>/i);
        } else {
          // A refusal after the data means the server does not have it: the retry sends it again.
          await expect(new MockActivityEnvironment({ attempt: 1 }).run(notices.sendNotices, one)).rejects.toThrow(/1 of 1 notice\(s\) not delivered yet: Bakkerij Jansen: .*554/);
          await expect(new MockActivityEnvironment({ attempt: 2 }).run(notices.sendNotices, one)).rejects.toThrow(/554/);
          expect(server.received).toHaveLength(2);
        }
      } finally {
        await server.close();
      }
    }
  });
});
