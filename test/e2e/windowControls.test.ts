import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { parsePolicyText } from '../../policies/parse';
import { organisationSchema } from '../../policies/organisation';
import { planOrganisation } from '../../policies/organisationPlan';
import { windowRunId, type WindowRunInput, type WindowStatus } from '../../policies/windowTypes';
import { createWorker } from '../../worker';
import { runMaint } from '../helpers/cli';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, testNoticeLedgerDir, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

const org = (smtpPort: number, at: string) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Hosting, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtpPort}}, from: "Acme <maintenance@acme.example>"}
services:
  - name: db
    title: {nl: Database, en: Database}
    subscribers:
      - {name: Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
windows:
  - name: db-weekly
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [tue], at: "22:00"}
    duration: 2h
    cutoff: 30m
    blackouts: [{date: 2026-12-29, reason: between the years}]
    services: [db]
    notices: {leadTimes: [24h]}
  - name: db-soon
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${at}"}
    duration: 1h
    services: [db]
    notices: {leadTimes: [1h]}
    preflight: false
`;

describe('window controls: next, preview, extend and cancel through the CLI', () => {
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let dir: string;
  let file: string;
  let cliEnv: NodeJS.ProcessEnv;
  const start = DateTime.now().setZone('Europe/Amsterdam').plus({ minutes: 30 }).startOf('minute');

  beforeAll(async () => {
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-window-controls-'));
    file = join(dir, 'maint.yaml');
    writeFileSync(file, org(smtp.port, start.toFormat("yyyy-LL-dd'T'HH:mm")));
    const taskQueue = uniqueTaskQueue('window-controls');
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue };
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector(), noticeLedgerDir: testNoticeLedgerDir(), schedules: { client: env.client } },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await smtp?.close();
  });

  it('shows upcoming occurrences in the window\'s time and the viewer\'s, with blackouts marked, from the files alone', async () => {
    const result = await runMaint(['windows', 'next', 'db-weekly', '--count', '6', '-f', file, '--tz', 'America/New_York'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^window +start \(window time\) +end +start \(America\/New_York\) +cutoff +note$/);
    expect(lines).toHaveLength(7);
    // Tuesdays at 22:00 Amsterdam are 16:00 in New York; the end is 00:00, the cutoff 23:30.
    for (const line of lines.slice(1)) expect(line).toMatch(/^db-weekly +Tue \d{4}-\d\d-\d\d 22:00 CES?T +00:00 +Tue \d{4}-\d\d-\d\d 1[67]:00 GMT-[45] +23:30/);
    if (result.stdout.includes('2026-12-29')) expect(result.stdout).toMatch(/Tue 2026-12-29 22:00 CET .*BLACKOUT: between the years/);
  });

  it('previews a notice as the customer would read it', async () => {
    const result = await runMaint(['notices', 'preview', '--window', 'db-soon', '--kind', 'scheduled', '--lang', 'nl', '-f', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Subject: Gepland onderhoud: Database op ${start.setLocale('nl').toFormat('d LLLL yyyy')}`);
    expect(result.stdout).toContain('Beste Jansen,');
    // The end's date is written only when the window runs past midnight.
    const end = start.plus({ hours: 1 }).setLocale('nl');
    expect(result.stdout).toContain(`Wanneer: ${start.setLocale('nl').toFormat('cccc d LLLL yyyy, HH:mm')} – ${end.toFormat(end.hasSame(start, 'day') ? 'HH:mm' : 'cccc d LLLL yyyy, HH:mm')}`);
  });

  it('extends and then cancels an announced occurrence; the customer hears each once, in Dutch', async () => {
    const [plan] = planOrganisation([{ file, content: parsePolicyText(org(smtp.port, start.toFormat("yyyy-LL-dd'T'HH:mm")), file, organisationSchema) }], () => ({ rollouts: [], calendarBlackouts: [] })).filter((p) => p.name === 'db-soon');
    // Its only notice is due already (1 h lead, 30 min ahead): started directly, as `maint apply` does then.
    const occurrenceStart = new Date(start.toMillis()).toISOString();
    const input: WindowRunInput = { plan: { ...plan!, configHash: 'test' }, occurrenceStart };
    const handle = await env.client.workflow.start('maintenanceWindowWorkflow', { taskQueue: cliEnv.MAINT_TASK_QUEUE!, workflowId: windowRunId('db-soon', occurrenceStart), args: [input], memo: { window: 'db-soon' } });
    await smtp.waitFor((m) => m.length >= 1, 'the scheduled notice', 60_000);
    expect(smtp.messages[0]!.subject).toBe(`Gepland onderhoud: Database op ${start.setLocale('nl').toFormat('d LLLL yyyy')}`);

    // Visibility lists the run within a second or two.
    let extended = { code: -1 as number | null, stdout: '', stderr: '' };
    for (let i = 0; i < 20 && extended.code !== 0; i++) {
      extended = await runMaint(['windows', 'extend', 'db-soon', '--by', '30m', '--reason', 'extra database checks'], cliEnv);
      if (extended.code !== 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(extended.stderr).toBe('');
    const newEnd = start.plus({ minutes: 90 });
    expect(extended.stdout).toBe(`extended: db-soon now ends ${newEnd.toUTC().toISO()}; customers get an "extended" notice\n`);
    await smtp.waitFor((m) => m.length >= 2, 'the extended notice', 60_000);
    const endText = newEnd.setLocale('nl').toFormat(newEnd.hasSame(start, 'day') ? 'HH:mm ZZZZ' : 'cccc d LLLL yyyy, HH:mm ZZZZ');
    expect(smtp.messages[1]!.subject).toBe(`Onderhoud verlengd: Database tot ${endText}`);
    expect(smtp.messages[1]!.text).toContain('Reden: extra database checks');

    const earlier = await runMaint(['windows', 'extend', 'db-soon', '--until', start.toUTC().toISO()!, '--reason', 'x'], cliEnv);
    expect(earlier.code).toBe(2);
    expect(earlier.stderr).toContain('the new end must be later than the current end');

    const cancelled = await runMaint(['windows', 'cancel', 'db-soon', '--reason', 'the supplier postponed the upgrade'], cliEnv);
    expect(cancelled.code).toBe(0);
    const status = (await handle.result()) as WindowStatus;
    expect(status).toMatchObject({ phase: 'cancelled', reason: expect.stringContaining('the supplier postponed the upgrade'), end: newEnd.toUTC().toISO() });
    await smtp.waitFor((m) => m.length >= 3, 'the cancelled notice', 60_000);
    expect(smtp.messages.map((m) => m.subject.split(':')[0])).toEqual(['Gepland onderhoud', 'Onderhoud verlengd', 'Onderhoud geannuleerd']);
    expect(smtp.messages[2]!.text).toContain('gaat niet door. Voor u verandert er niets.');

    const again = await runMaint(['windows', 'cancel', 'db-soon', '--reason', 'twice'], cliEnv);
    expect(again.code).toBe(2);
  });
});
