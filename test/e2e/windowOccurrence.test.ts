import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { loadOrganisation } from '../../control/organisation';
import type { WindowLaunchOutcome } from '../../policies/windows/types';
import { runMaint } from '../helpers/cli';
import { track } from '../../harness/processes';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const ROOT = join(__dirname, '..', '..');

const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 240_000) => waitUntil(what, probe, timeoutMs, 500);

/**
 * One run per window occurrence, whoever starts it: the window's schedule (at its launch time) or
 * `maint apply` (when the occurrence's notices are already due). A real worker process, real
 * Temporal Schedules, notices to a real SMTP server.
 */
describe('one run per window occurrence', () => {
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let worker: ChildProcess;
  let dir: string;
  let cliEnv: NodeJS.ProcessEnv;
  const suffix = randomUUID().slice(0, 6);
  const organisation = `Occurrence Hosting ${suffix}`;
  const created: string[] = [];

  const orgFile = (name: string, at: DateTime, leadTime: string) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: ${organisation}, contact: {email: support@occ.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtp.port}}, from: "Maintenance <maintenance@occ.example>"}
services:
  - name: shop-${suffix}
    title: Shop
    subscribers:
      - {name: Customer, channel: mail, to: ${name}@customer.example, language: en, timezone: Europe/Amsterdam}
windows:
  - name: ${name}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${at.setZone('Europe/Amsterdam').toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 10m
    services: [shop-${suffix}]
    notices: {leadTimes: [${leadTime}]}
    preflight: false
`);
    created.push(name);
    return file;
  };
  /** Every workflow that runs this window's occurrences (not the launches of its schedule). */
  const runsOf = async (window: string) => {
    const ids: string[] = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'maintenanceWindowWorkflow' AND WorkflowId STARTS_WITH 'window-${window}-'` })) ids.push(w.workflowId);
    return ids;
  };
  /**
   * MAINT_RECORD_HISTORIES=1 saves the finished run's and the launch's real histories to
   * test/workflows/replay/, where the replay test checks that today's workflow code replays them.
   */
  const recordHistories = async (label: string, ids: string[]) => {
    for (const id of ids) await env.client.workflow.getHandle(id).result().catch(() => undefined);
    if (!process.env.MAINT_RECORD_HISTORIES) return;
    for (const [i, id] of ids.entries()) {
      const json = execFileSync(process.env.MAINT_TEST_TEMPORAL_CLI!, ['workflow', 'show', '--workflow-id', id, '--address', process.env.MAINT_TEST_TEMPORAL_ADDRESS!, '--output', 'json'], { encoding: 'utf8' });
      writeFileSync(join(__dirname, '..', 'workflows', 'replay', `window-${label}-${i === 0 ? 'run' : 'launch'}.json`), json);
    }
  };
  const scheduledNotices = (to: string) => smtp.messages.filter((m) => m.to.includes(to) && /scheduled/i.test(m.subject));

  beforeAll(async () => {
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-occurrence-e2e-'));
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-occurrence'), MAINT_DATA_DIR: join(dir, 'data') };
    worker = track(spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { env: { ...process.env, ...cliEnv }, stdio: 'ignore' }));
  });
  afterAll(async () => {
    for (const name of created) {
      await env?.client.schedule.getHandle(`window-${name}`).delete().catch(() => undefined);
      for (const id of await runsOf(name).catch(() => [])) await env.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
    }
    worker?.kill('SIGTERM');
    await smtp?.close();
    await env?.teardown();
  });

  it('the schedule starts the run, and a second maint apply of the same file starts none', async () => {
    const name = `later-${suffix}`;
    // Whole minutes; the first lead time of 3 minutes puts the schedule's launch 20-80 s from now.
    const start = DateTime.now().plus({ minutes: 4, seconds: 20 }).startOf('minute');
    const file = orgFile(name, start, '3m');
    const first = await runMaint(['apply', '-f', file], cliEnv);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(new RegExp(`\\+ +window-${name} +create +next run `));

    const runId = `window-${name}-${start.toUTC().toFormat("yyyyLLdd'T'HHmmss'Z'")}`;
    await until('the schedule to start the occurrence\'s run', async () => ((await runsOf(name)).length > 0 ? true : undefined));
    expect(await runsOf(name)).toEqual([runId]);
    // What the schedule itself started: a launch that claimed the occurrence under the run's id.
    const launches = (await env.client.schedule.getHandle(`window-${name}`).describe()).info.recentActions;
    expect(launches).toHaveLength(1);
    const launch = (await env.client.workflow.getHandle(launches[0]!.action.workflow.workflowId).result()) as WindowLaunchOutcome;
    expect(launch).toMatchObject({ window: name, workflowId: runId, outcome: 'started' });

    const second = await runMaint(['apply', '-f', file], cliEnv);
    expect(second.stderr).toBe('');
    expect(second.stdout).toMatch(new RegExp(`= +window-${name} +unchanged +running: ${runId}`));
    expect(second.stdout).not.toContain('starts now');
    expect(await runsOf(name)).toEqual([runId]);

    const status = await runMaint(['windows', 'status', name, '--json'], cliEnv);
    expect((JSON.parse(status.stdout) as unknown[]).length).toBe(1);
    await until('the "scheduled" notice', async () => (scheduledNotices(`${name}@customer.example`).length > 0 ? true : undefined), 60_000);
    // Give a second run time to send its own notice, if there were one.
    await new Promise((r) => setTimeout(r, 3000));
    expect(scheduledNotices(`${name}@customer.example`)).toHaveLength(1);

    expect((await runMaint(['windows', 'cancel', name, '--reason', 'test over'], cliEnv)).code).toBe(0);
    await recordHistories('scheduled-then-cancelled', [runId, launches[0]!.action.workflow.workflowId]);
  }, 360_000);

  it('a run an older version\'s schedule started (under Temporal\'s id for schedule actions) counts as the occurrence\'s run', async () => {
    const name = `legacy-${suffix}`;
    const start = DateTime.now().plus({ minutes: 3 }).startOf('minute');
    const file = orgFile(name, start, '10m');
    const [plan] = (await loadOrganisation([file])).windows;
    // What a schedule made before windowLaunchWorkflow started at the launch time (10 minutes before the start).
    const legacyId = `window-${name}-${start.minus({ minutes: 10 }).toUTC().toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'")}`;
    await env.client.workflow.start('maintenanceWindowWorkflow', { taskQueue: cliEnv.MAINT_TASK_QUEUE!, workflowId: legacyId, args: [{ plan: plan! }], memo: { window: name } });
    const applied = await runMaint(['apply', '-f', file], cliEnv);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(new RegExp(`\\+ +window-${name} +create +running: ${legacyId}`));
    expect(await runsOf(name)).toEqual([legacyId]);
    const cancelled = await runMaint(['windows', 'cancel', name, '--reason', 'test over'], cliEnv);
    expect(cancelled.code).toBe(0);
    expect(await runsOf(name)).toEqual([legacyId]);
  }, 360_000);

  it('maint apply starts the run of an occurrence whose notices are due, and the schedule firing for it starts none', async () => {
    const name = `due-${suffix}`;
    // Within its lead time already: apply starts the run itself.
    const start = DateTime.now().plus({ minutes: 3 }).startOf('minute');
    const file = orgFile(name, start, '10m');
    const applied = await runMaint(['apply', '-f', file], cliEnv);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(new RegExp(`\\+ +window-${name} +create +starts now for `));
    const runId = `window-${name}-${start.toUTC().toFormat("yyyyLLdd'T'HHmmss'Z'")}`;
    expect(await runsOf(name)).toEqual([runId]);

    // The schedule fires now (as it would at a launch time for this occurrence): its launch finds the run.
    const schedule = env.client.schedule.getHandle(`window-${name}`);
    await schedule.trigger();
    const launchId = await until('the schedule\'s launch', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
    const launch = (await env.client.workflow.getHandle(launchId).result()) as WindowLaunchOutcome;
    expect(launch).toMatchObject({ window: name, workflowId: runId, outcome: 'already-started' });
    expect(await runsOf(name)).toEqual([runId]);

    const cancelled = await runMaint(['windows', 'cancel', name, '--reason', 'test'], cliEnv);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    await until('the "scheduled" notice', async () => (scheduledNotices(`${name}@customer.example`).length > 0 ? true : undefined), 60_000);
    await until('the "cancelled" notice', async () => (smtp.messages.some((m) => m.to.includes(`${name}@customer.example`) && /cancel/i.test(m.subject)) ? true : undefined), 60_000);
    expect(scheduledNotices(`${name}@customer.example`)).toHaveLength(1);
    expect(smtp.messages.filter((m) => m.to.includes(`${name}@customer.example`) && /cancel/i.test(m.subject))).toHaveLength(1);
    await recordHistories('applied-launch-duplicate', [runId, launchId]);
  }, 360_000);
});
