import * as crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { freePort } from '../../harness/ports';
import type { WindowStatus } from '../../policies/windows/types';
import { runMaint, startMaint, type CliResult, type LongRunning } from '../helpers/cli';
import { b64, payloadsIn } from '../helpers/payloads';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

const run = promisify(execFile);
const README = join(__dirname, '..', '..', 'README.md');

/** The README's X-Maint-Signature verification snippet, run as written. */
const verifyMaintSignature = (() => {
  const code = /```js\n(\/\/ Verify X-Maint-Signature[\s\S]*?)```/.exec(readFileSync(README, 'utf8'))?.[1];
  if (code === undefined) throw new Error('README: no X-Maint-Signature verification snippet');
  const load = new Function('require', `${code}\nreturn verifyMaintSignature;`) as (req: (m: string) => unknown) => (header: unknown, body: string, secret: string, now?: number) => boolean;
  return load((m) => (m === 'node:crypto' ? crypto : undefined));
})();

interface Request {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * An HTTP receiver on loopback: `answer` decides each request's status (after the test's checks,
 * e.g. the signature), every request is kept with its raw body.
 */
async function startReceiver(answer: (req: Request, index: number) => number): Promise<{ url: string; requests: Request[]; accepted: Request[]; close(): Promise<void> }> {
  const requests: Request[] = [];
  const accepted: Request[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const r = { url: req.url ?? '', headers: req.headers, body };
      const status = answer(r, requests.length);
      requests.push(r);
      if (status < 300) accepted.push(r);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, accepted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * A Temporal dev server of this file's own: its schedules hold encrypted payloads, which a client
 * without the key cannot list (and this one, with the key, refuses others' plain ones), so they
 * must not share a namespace with the other tests' schedules.
 */
let temporalServer: TestWorkflowEnvironment | undefined;
let temporalAddress = '';

/** The Temporal CLI against this file's server. */
async function temporal(args: string[]): Promise<string> {
  const { stdout } = await run(process.env.MAINT_TEST_TEMPORAL_CLI!, [...args, '--address', temporalAddress], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}


/**
 * One maintenance window with every kind of channel and a rollout on a real sshd host, run by a
 * worker process with MAINT_PAYLOAD_KEY, every secret configured by reference (variables and files
 * inside MAINT_SECRET_DIRS / MAINT_SECRET_ENV_PREFIX): the SMTP password (the server requires AUTH),
 * the webhook's URL (a token in its query) and signing secret, the Slack URL (whose first answer is
 * a 503, so an error about it reaches a history), the SSH key, the payload key and the codec
 * server's token. Afterwards none of those values appears in the histories (raw, nor decoded
 * through the codec server), the schedule, the worker's log, the CLI's output, the mails or the
 * webhook and Slack bodies; the raw histories hold no clear payload at all.
 */
describe('no secret anywhere: a window with e-mail, signed webhook and Slack channels and a rollout, MAINT_PAYLOAD_KEY set', () => {
  const suffix = crypto.randomUUID().slice(0, 6);
  const WINDOW = `secrets-${suffix}`;
  const SERVICE = `vault-${suffix}`;
  const smtpPassword = `smtp-pw-${crypto.randomBytes(12).toString('hex')}`;
  const webhookSecret = `whsec-${crypto.randomBytes(16).toString('hex')}`;
  const webhookToken = `tok${crypto.randomBytes(12).toString('hex')}`;
  const slackPath = `/services/T0${suffix}/B0${suffix}/${crypto.randomBytes(12).toString('hex')}`;
  const payloadKeyValue = crypto.randomBytes(32).toString('base64');
  const codecToken = crypto.randomBytes(24).toString('hex');

  let fx: RolloutFixture;
  let smtp: TestSmtpServer;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let slack: Awaited<ReturnType<typeof startReceiver>>;
  let worker: LongRunning;
  let dir: string;
  let cliEnv: NodeJS.ProcessEnv;
  let webhookUrl: string;
  let slackUrl: string;
  /** The receiver's clock offset: a replay is checked as if it arrived this much later. */
  let receiverSkewMs = 0;
  const cliOutputs: CliResult[] = [];

  const maint = async (args: string[], env: NodeJS.ProcessEnv = cliEnv) => {
    const result = await runMaint(args, env);
    cliOutputs.push(result);
    if (result.code !== 0) throw new Error(`maint ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };

  /** Every secret value the set-up configured; none may appear outside the process that uses it. */
  const secrets = () => {
    const sshKey = readFileSync(fx.fleet.clientKey, 'utf8');
    // The key's base64 lines (each long enough to be unmistakable).
    const keyLines = sshKey.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));
    return {
      'SMTP password': smtpPassword,
      'webhook secret': webhookSecret,
      'webhook URL token': webhookToken,
      'webhook URL': webhookUrl,
      'Slack URL path': slackPath,
      'Slack URL': slackUrl,
      'payload key': payloadKeyValue,
      'payload key (hex)': Buffer.from(payloadKeyValue, 'base64').toString('hex'),
      'codec token': codecToken,
      ...Object.fromEntries(keyLines.map((l, i) => [`SSH key line ${i + 1}`, l])),
    };
  };
  /** The names of the secrets found in `text` (where: for the failure message). */
  const leaked = (where: string, text: string) => ({ where, found: Object.entries(secrets()).filter(([, v]) => text.includes(v)).map(([k]) => k) });
  const none = (where: string) => ({ where, found: [] });

  beforeAll(async () => {
    const port = await freePort();
    temporalServer = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: process.env.MAINT_TEST_TEMPORAL_CLI! }, ip: '127.0.0.1', port, ui: false, extraArgs: ['--log-level', 'error'] },
    });
    temporalAddress = `127.0.0.1:${port}`;
    fx = await startRolloutFixture(1);
    smtp = await startSmtpServer({ auth: { user: 'maint', password: smtpPassword } });
    webhook = await startReceiver((req) => {
      if (!req.url.endsWith(`?token=${webhookToken}`)) return 404;
      return verifyMaintSignature(req.headers['x-maint-signature'], req.body, webhookSecret, Date.now() + receiverSkewMs) ? 200 : 401;
    });
    // Slack's first answer is a 503: the notice is retried, and the error about it is in the history.
    slack = await startReceiver((req, index) => (req.url !== slackPath ? 404 : index === 0 ? 503 : 200));
    webhookUrl = `${webhook.url}/maint/notices?token=${webhookToken}`;
    slackUrl = `${slack.url}${slackPath}`;

    dir = mkdtempSync(join(tmpdir(), 'maint-no-secrets-'));
    const secretDir = join(dir, 'secrets');
    mkdirSync(secretDir, { mode: 0o700 });
    writeFileSync(join(secretDir, 'smtp-password'), `${smtpPassword}\n`, { mode: 0o600 });
    writeFileSync(join(secretDir, 'webhook-secret'), `${webhookSecret}\n`, { mode: 0o600 });
    writeFileSync(join(secretDir, 'slack-url'), `${slackUrl}\n`, { mode: 0o600 });
    writeFileSync(join(secretDir, 'payload-key'), `${payloadKeyValue}\n`, { mode: 0o600 });
    writeFileSync(join(secretDir, 'codec-token'), `${codecToken}\n`, { mode: 0o600 });

    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    writeFileSync(join(dir, 'patch.yaml'), fx.policyYaml(`name: vault-patch-${suffix}\n`));
    const taskQueue = uniqueTaskQueue('no-secrets');
    const common = { TEMPORAL_ADDRESS: temporalAddress, MAINT_TASK_QUEUE: taskQueue, MAINT_SECRET_DIRS: secretDir, MAINT_SECRET_ENV_PREFIX: 'ACME_' };
    // The CLI reads the key from a file, the worker from its environment: both references work.
    cliEnv = { ...common, MAINT_PAYLOAD_KEY: '', MAINT_PAYLOAD_KEY_FILE: join(secretDir, 'payload-key') };
    worker = startMaint(['worker'], {
      ...common, MAINT_PAYLOAD_KEY: payloadKeyValue, MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_DATA_DIR: join(dir, 'data'), ACME_PARTNER_HOOK_URL: webhookUrl,
    });
    await worker.waitFor(/worker: polling task queue/, 60_000);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    if (cliEnv) await runMaint(['windows', 'cancel', WINDOW, '--reason', 'test over'], cliEnv).catch(() => undefined);
    await temporal(['schedule', 'delete', '-s', `window-${WINDOW}`]).catch(() => undefined);
    await Promise.all([smtp?.close(), webhook?.close(), slack?.close()]);
    await fx?.stop();
    await temporalServer?.teardown();
  });

  it('runs the window (notices on every channel, the rollout), and no secret value is in a history, the schedule, the log, the CLI\'s output or a notice', async () => {
    // At least 40 s ahead, on a whole minute; a 10-minute lead time makes `maint apply` start the run at once.
    const start = DateTime.now().setZone('Europe/Amsterdam').plus({ seconds: 40 }).startOf('minute').plus({ minutes: 1 });
    const org = join(dir, 'maint.yaml');
    writeFileSync(org, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Hosting, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtp.port}, user: maint, passwordFile: ${join(dir, 'secrets', 'smtp-password')}}, from: "Acme <maintenance@acme.example>"}
  - {name: partner, kind: webhook, urlEnv: ACME_PARTNER_HOOK_URL, secretFile: ${join(dir, 'secrets', 'webhook-secret')}}
  - {name: chat, kind: slack, urlFile: ${join(dir, 'secrets', 'slack-url')}}
operations:
  alerts: [{channel: chat}]
services:
  - name: ${SERVICE}
    title: Vault
    subscribers:
      - {name: Bakkerij Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
      - {name: Harbour Ltd, channel: partner, language: en, timezone: Europe/London}
      - {name: Our team, channel: chat, language: en, timezone: Europe/Amsterdam}
windows:
  - name: ${WINDOW}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${start.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 10m
    services: [${SERVICE}]
    notices: {leadTimes: [10m]}
    preflight: false
    tasks: [{kind: rollout, policy: patch.yaml}]
`);
    const applied = await maint(['apply', '-f', org]);
    expect(applied).toMatch(new RegExp(`window-${WINDOW} +create +starts now for `));

    // The notices arrive: mail over an authenticated SMTP session, webhooks signed, Slack after one retry.
    await smtp.waitFor((ms) => ms.some((m) => m.to.includes('it@jansen.example') && /afgerond/i.test(m.subject)), 'the "completed" mail', 200_000);
    const kinds = (requests: Request[]) => requests.map((r) => (JSON.parse(r.body) as { kind?: string }).kind);
    await until('the "completed" webhook', async () => (kinds(webhook.accepted).includes('completed') ? true : undefined), 60_000);
    await until('the "completed" Slack message', async () => (slack.accepted.some((r) => /complete/i.test(r.body)) ? true : undefined), 60_000);
    expect(smtp.messages.map((m) => m.user)).toEqual(smtp.messages.map(() => 'maint'));
    expect(kinds(webhook.requests)).toEqual(expect.arrayContaining(['scheduled', 'started', 'completed']));
    expect(webhook.requests.length).toBe(webhook.accepted.length); // every one verified with the README's snippet
    expect(slack.requests[0]).toBeDefined();
    expect(slack.requests.length).toBeGreaterThan(slack.accepted.length); // the 503 was retried

    // A captured request replayed after the tolerance (5 minutes) is refused by the same receiver.
    const captured = webhook.accepted.at(-1)!;
    receiverSkewMs = 5 * 60_000 + 10_000;
    const replay = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-maint-signature': String(captured.headers['x-maint-signature']) }, body: captured.body });
    expect(replay.status).toBe(401);
    receiverSkewMs = 0;
    const fresh = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-maint-signature': String(captured.headers['x-maint-signature']) }, body: captured.body });
    expect(fresh.status).toBe(200); // the same request within the tolerance: the snippet accepts it (de-duplicate by X-Maint-Delivery)

    // The window and its rollout as the CLI shows them.
    const status = await until('the window to complete', async () => {
      const [s] = JSON.parse(await maint(['windows', 'status', WINDOW, '--json'])) as WindowStatus[];
      return s?.phase === 'completed' ? s : undefined;
    }, 60_000);
    const rolloutId = status.tasks[0]!.rolloutId!;
    expect(status.tasks.map((t) => t.state)).toEqual(['completed']);
    expect(fx.version(0)).toBe('2.0.0');
    await maint(['rollout', 'status', rolloutId]);
    await maint(['windows', 'status', WINDOW]);

    // Every workflow of this task queue, read raw: only encrypted payloads, and no secret in the bytes either.
    const listed = await until('the window\'s workflows in the visibility store', async () => {
      const all = (JSON.parse((await temporal(['workflow', 'list', '--query', `TaskQueue="${cliEnv.MAINT_TASK_QUEUE}"`, '-o', 'json'])) || '[]') as Array<{ execution: { workflowId: string }; status: string }>);
      return all.some((w) => w.execution.workflowId.startsWith(`window-${WINDOW}-`)) && all.some((w) => w.execution.workflowId.includes(rolloutId)) ? all : undefined;
    }, 30_000);
    const ids = listed.map((w) => w.execution.workflowId);
    // The finished ones (the window's run, its rollout and batches); the long-running ones (host leases) are read raw only.
    const finished = listed.filter((w) => w.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED').map((w) => w.execution.workflowId);
    expect(finished).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^window-${WINDOW}-`)), expect.stringContaining(rolloutId)]));
    const raws = new Map<string, string>();
    for (const id of ids) raws.set(id, await temporal(['workflow', 'show', '-w', id, '-o', 'json']));
    raws.set(`schedule window-${WINDOW}`, await temporal(['schedule', 'describe', '-s', `window-${WINDOW}`, '-o', 'json']));
    for (const [id, raw] of raws) {
      const payloads = payloadsIn(JSON.parse(raw));
      expect({ id, payloads: payloads.length > 0 }).toEqual({ id, payloads: true });
      expect({ id, clear: payloads.map((p) => b64(p.metadata.encoding)).filter((e) => e !== 'binary/encrypted') }).toEqual({ id, clear: [] });
      expect(leaked(`raw history of ${id}`, raw)).toEqual(none(`raw history of ${id}`));
      for (const name of [SERVICE, 'host-1', 'Bakkerij Jansen', 'jansen.example']) expect({ id, found: raw.includes(name) ? name : undefined }).toEqual({ id, found: undefined });
    }

    // Decoded through `maint codec-server` (as the Web UI reads them): clear, the references named, the values absent.
    const server = startMaint(['codec-server', '--port', '0', '--ui-origin', 'http://127.0.0.1:8233'], { ...cliEnv, MAINT_CODEC_TOKEN_FILE: join(dir, 'secrets', 'codec-token') });
    let decodedText = '';
    try {
      const url = /codec server on (http:\/\/127\.0\.0\.1:\d+)/.exec((await server.waitFor(/codec server on (http:\/\/127\.0\.0\.1:\d+)/), server.output()))![1]!;
      for (const id of finished) {
        const decoded = await temporal(['workflow', 'show', '-w', id, '-o', 'json', '--codec-endpoint', url, '--codec-auth', `Bearer ${codecToken}`]);
        const payloads = payloadsIn(JSON.parse(decoded));
        expect({ id, encrypted: payloads.filter((p) => b64(p.metadata.encoding) === 'binary/encrypted').length }).toEqual({ id, encrypted: 0 });
        const text = payloads.map((p) => b64(p.data)).join('\n');
        expect(leaked(`decoded history of ${id}`, text)).toEqual(none(`decoded history of ${id}`));
        decodedText += text;
      }
    } finally {
      await server.stop();
    }
    cliOutputs.push({ code: 0, stdout: server.output(), stderr: '' });
    expect(decodedText).toContain('ACME_PARTNER_HOOK_URL'); // the channel names its secrets…
    expect(decodedText).toContain('smtp-password');
    expect(decodedText).toContain('Bakkerij Jansen'); // …and the decoded histories are the real ones
    expect(decodedText).toMatch(/answered HTTP 503/); // Slack's 503, as the retried activity's last failure

    // The worker's log, the CLI's output, the mails and the bodies of the webhook and Slack requests.
    expect(worker.output()).toMatch(/notice|window/i);
    expect(leaked('worker log', worker.output())).toEqual(none('worker log'));
    expect(leaked('CLI output', cliOutputs.map((r) => `${r.stdout}\n${r.stderr}`).join('\n'))).toEqual(none('CLI output'));
    expect(leaked('mails', smtp.messages.map((m) => `${m.subject}\n${m.text}\n${m.html}`).join('\n'))).toEqual(none('mails'));
    expect(leaked('webhook bodies', webhook.requests.map((r) => r.body).join('\n'))).toEqual(none('webhook bodies'));
    expect(leaked('Slack bodies', slack.requests.map((r) => r.body).join('\n'))).toEqual(none('Slack bodies'));
  }, 290_000);
});
