import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NoticeLedger } from '../../activities/notices/ledger';
import { stopChild } from '../../harness/processes';
import { reportDeliveryKey } from '../../policies/report/schedule';
import { openStore } from '../../store';
import { runMaint, startWorkerProcess } from '../helpers/cli';
import { recordHistories } from '../helpers/replayHistories';
import { reportCustomerYaml, seedReportMonth } from '../helpers/reportCustomer';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

/** Processes whose parent is `pid` (from /proc), with their command names. */
function childrenOf(pid: number): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis.
      const close = stat.lastIndexOf(')');
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Where the worker is SIGKILLed while it sends the report. */
type KillMoment = 'printing' | 'server-holds-answer';

/**
 * The scheduled report e-mail arrives once per customer even when the worker sending it is SIGKILLed
 * mid-run: while Chromium prints the PDF (nothing sent yet: the restarted worker gathers, prints and
 * sends it), and at the worst moment, when the SMTP server has stored the message and holds its answer
 * until the worker is dead (the ledger has it as handed over: the retry sends nothing more). Real worker
 * processes on one data directory (SQLite), a real SMTP server, Chromium, Temporal's retry after the
 * activity's heartbeat timeout.
 */
describe('the monthly report e-mail survives SIGKILL of the worker mid-run', () => {
  let env: TestWorkflowEnvironment;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    env = await connectTestEnv();
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp?.close();
    await env?.teardown();
  });

  async function killMidRun(moment: KillMoment): Promise<void> {
    const id = randomUUID().slice(0, 6);
    const customer = `Bakkerij ${id}`;
    const shop = `webshop-${id}`;
    const to = `it-${id}@jansen.example`;
    const dir = mkdtempSync(join(tmpdir(), 'maint-reportcrash-'));
    const workers: Array<ReturnType<typeof startWorkerProcess>> = [];
    const orphans = new Set<number>();
    try {
      const file = join(dir, 'maint.yaml');
      writeFileSync(file, reportCustomerYaml({ id, smtpPort: smtp.port, customer, shop, to }, 'reports: {dayOfMonth: 2, at: "08:00"}'));
      const dataDir = join(dir, 'data');
      const store = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') });
      // The month the schedule reports when it fires now, probed every 10 minutes, with one hour down.
      const { month, figureNl } = await seedReportMonth(store, shop);
      await store.close();

      const taskQueue = uniqueTaskQueue('reportcrash');
      const workerEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: dataDir, MAINT_LOG_LEVEL: 'warn' };
      const applied = await runMaint(['apply', '-f', file], workerEnv);
      expect([applied.code, applied.stderr]).toEqual([0, '']);
      const scheduleId = `report-bakkerij-${id}`;
      expect(applied.stdout).toContain(`(${scheduleId})`);
      const victim = startWorkerProcess(workerEnv);
      workers.push(victim);
      const exited = new Promise((r) => victim.once('exit', r));

      let killedAt = -1;
      const kill = () => {
        for (const c of childrenOf(victim.pid!)) orphans.add(c.pid);
        killedAt = smtp.messages.length;
        victim.kill('SIGKILL');
      };
      if (moment === 'server-holds-answer') {
        smtp.beforeAnswer(async (count) => {
          if (!smtp.messages[count - 1]!.to.includes(to)) return;
          kill();
          await exited;
        });
      }
      const handle = env.client.schedule.getHandle(scheduleId);
      await handle.trigger(); // as on the 2nd at 08:00
      if (moment === 'printing') {
        // Chromium runs as the worker's child only while the PDF is printed, before anything is sent.
        await until('the worker printing the PDF', () => (childrenOf(victim.pid!).some((c) => /chrom/i.test(c.comm)) ? true : undefined), 120_000, 10);
        kill();
      }
      await until('the worker killed', () => (killedAt >= 0 ? true : undefined), 180_000, 50);
      await exited;
      smtp.beforeAnswer(undefined);
      const mine = () => smtp.messages.filter((m) => m.to.includes(to));
      expect({ moment, receivedAtKill: mine().length }).toEqual({ moment, receivedAtKill: moment === 'printing' ? 0 : 1 });

      // Another worker on the same data directory takes the retried activity (after its heartbeat timeout).
      workers.push(startWorkerProcess(workerEnv));
      const action = await until('the schedule run', async () => (await handle.describe()).info.recentActions[0]?.action, 60_000);
      const result = (await env.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result()) as { alreadySent: boolean; unconfirmed?: boolean; month: string };
      // Killed before sending: the retry sends it; killed while the server held its answer: it was stored, the retry sends nothing.
      expect(result).toMatchObject(moment === 'printing' ? { alreadySent: false, month } : { alreadySent: true, unconfirmed: true, month });
      // The run whose activity was retried on another worker, for the replay test.
      if (moment === 'printing') recordHistories([{ workflowId: action.workflow.workflowId, runId: action.workflow.firstExecutionRunId, file: 'monthly-report-retried-after-worker-killed' }]);

      const received = mine();
      expect(received).toHaveLength(1);
      expect(received[0]!.subject).toBe(`Maandelijks operationeel overzicht ${month} — Acme ${id}`);
      expect(received[0]!.attachments.map((a) => [a.contentType, a.content.subarray(0, 4).toString('latin1')])).toEqual([['application/pdf', '%PDF']]);
      expect(received[0]!.html).toContain(figureNl);
      const reopened = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') }, { migrate: false });
      expect((await new NoticeLedger(reopened).entry(reportDeliveryKey(customer, month)))?.state).toBe(moment === 'printing' ? 'sent' : 'handed-over');
      await reopened.close();
      // Fired again: still one e-mail.
      await handle.trigger();
      const again = await until('the second schedule run', async () => (await handle.describe()).info.recentActions[1]?.action, 60_000);
      expect(await env.client.workflow.getHandle(again.workflow.workflowId, again.workflow.firstExecutionRunId).result()).toMatchObject({ alreadySent: true });
      expect(mine()).toHaveLength(1);
      await handle.delete();
    } finally {
      smtp.beforeAnswer(undefined);
      await Promise.all(workers.map((w) => stopChild(w)));
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Chromium ended with its parent
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('killed while Chromium prints the PDF: the restarted worker sends the report, once', async () => {
    await killMidRun('printing');
  }, 300_000);

  it('killed while the SMTP server holds its answer to the stored report: the retry sends nothing more; the ledger says handed over', async () => {
    await killMidRun('server-holds-answer');
  }, 300_000);
});
