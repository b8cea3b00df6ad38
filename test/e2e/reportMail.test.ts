import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { describeManaged } from '../../control/schedules';
import { reportDeliveryKey } from '../../policies/report/schedule';
import type { Store } from '../../store';
import { NoticeLedger } from '../../activities/notices/ledger';
import type { MonthlyReportInput } from '../../workflows/monthlyReport';
import { createWorker, type WorkerGroup } from '../../worker';
import { runMaint } from '../helpers/cli';
import { REPORT_TZ, reportCustomerYaml, seedReportMonth } from '../helpers/reportCustomer';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/until';


/**
 * The monthly report e-mail end to end: `maint apply` creates the customer's schedule,
 * the schedule is triggered as on the 2nd at 08:00, a real worker gathers the previous month from
 * the store, prints the PDF with Chromium and sends it to a real SMTP server; triggered again, the
 * notice ledger sends nothing more.
 */
describe('the monthly report e-mail', () => {
  const id = randomUUID().slice(0, 6);
  const CUSTOMER = `Bakkerij Jansen ${id}`;
  const SHOP = `webshop-${id}`;
  let env: TestWorkflowEnvironment;
  let store: Store;
  let smtp: TestSmtpServer;
  let worker: WorkerGroup;
  let workerRun: Promise<void>;
  let file: string;
  const taskQueue = uniqueTaskQueue('reportmail');
  // The month the schedule reports when it fires now, and its availability by hand (one hour down).
  let month: string;
  let figure: string;
  const writeFile = (reports: string) => writeFileSync(file, reportCustomerYaml({ id, smtpPort: smtp.port, customer: CUSTOMER, shop: SHOP, to: 'it@jansen.example' }, reports));

  beforeAll(async () => {
    env = await connectTestEnv();
    store = await testStore();
    smtp = await startSmtpServer();
    file = join(mkdtempSync(join(tmpdir(), 'maint-reportmail-')), 'maint.yaml');
    writeFile('reports: {dayOfMonth: 2, at: "08:00"}');
    ({ month, figureNl: figure } = await seedReportMonth(store, SHOP));
    worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store, schedules: { client: env.client } }, workflowBundle: await workflowBundle() });
    workerRun = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await smtp?.close();
    await store?.close();
  });

  test('apply creates the schedule, a run e-mails the PDF once, a second run sends nothing, removing the section deletes it', async () => {
    const cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: mkdtempSync(join(tmpdir(), 'maint-reportmail-cli-')) };
    const scheduleId = `report-bakkerij-jansen-${id}`;
    const line = (action: string) => `monthly report: ${CUSTOMER} ${action}: day 2 at 08:00 ${REPORT_TZ} to it@jansen.example (${scheduleId})`;
    const dry = await runMaint(['apply', '-f', file, '--dry-run'], cliEnv);
    expect(dry.stdout).toContain(line('create'));
    expect(dry.stdout).toContain('(dry run: nothing applied)');
    expect(await describeManaged(env.client, scheduleId)).toBeUndefined();
    const applied = await runMaint(['apply', '-f', file], cliEnv);
    expect([applied.code, applied.stderr]).toEqual([0, '']);
    expect(applied.stdout).toContain(line('create'));
    const handle = env.client.schedule.getHandle(scheduleId);
    const schedule = await handle.describe();
    expect(schedule.spec.calendars).toEqual([expect.objectContaining({ dayOfMonth: [{ start: 2, end: 2, step: 1 }], hour: [{ start: 8, end: 8, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] })]);
    expect(schedule.spec.timezone).toBe(REPORT_TZ);
    expect((schedule.action.args?.[0] as MonthlyReportInput).report.customer).toBe(CUSTOMER);
    // Applied again: nothing to do.
    expect((await runMaint(['apply', '-f', file, '--dry-run'], cliEnv)).stdout).toContain(line('unchanged'));

    // As on the 2nd at 08:00.
    await handle.trigger();
    const [mail] = await smtp.waitFor((m) => m.length >= 1, 'the report e-mail', 180_000);
    expect(mail!.to).toEqual(['it@jansen.example']);
    expect(mail!.subject).toBe(`Maandelijks operationeel overzicht ${month} — Acme ${id}`);
    expect(mail!.attachments).toHaveLength(1);
    expect(mail!.attachments[0]!.contentType).toBe('application/pdf');
    expect(mail!.attachments[0]!.content.subarray(0, 4).toString('latin1')).toBe('%PDF');
    // The availability of the month, worked out by hand: one hour down of the month's minutes, in Dutch.
    expect(mail!.html).toContain(figure);
    expect(mail!.html).toContain(CUSTOMER);
    expect(mail!.text).toContain(figure);
    expect(await new NoticeLedger(store).sentAt(reportDeliveryKey(CUSTOMER, month))).toBeDefined();
    const run = async (n: number) => {
      const action = await until(`run ${n + 1} of the schedule`, async () => (await handle.describe()).info.recentActions[n]?.action, 60_000);
      return env.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result() as Promise<{ alreadySent: boolean; month: string }>;
    };
    expect(await run(0)).toMatchObject({ alreadySent: false, month });

    // Fired again (a catch-up, a manual trigger): the run finds the ledger entry and sends nothing.
    await handle.trigger();
    expect(await run(1)).toMatchObject({ alreadySent: true, month });
    expect(smtp.messages).toHaveLength(1);

    // Another time: the same schedule is updated in place.
    writeFile('reports: {dayOfMonth: 3, at: "09:30"}');
    const updated = await runMaint(['apply', '-f', file], cliEnv);
    expect(updated.stdout).toContain(`monthly report: ${CUSTOMER} update: day 3 at 09:30 ${REPORT_TZ} to it@jansen.example (${scheduleId})`);
    expect((await handle.describe()).spec.calendars).toEqual([expect.objectContaining({ dayOfMonth: [{ start: 3, end: 3, step: 1 }], hour: [{ start: 9, end: 9, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] })]);

    // Without a reports section, apply deletes the schedule.
    writeFile('');
    const removed = await runMaint(['apply', '-f', file], cliEnv);
    expect(removed.stdout).toContain(`monthly report: ${CUSTOMER} delete (${scheduleId})`);
    await expect(handle.describe()).rejects.toThrow();
  }, 300_000);
});
