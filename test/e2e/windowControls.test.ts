import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import type { WindowStatus } from '../../policies/windows/types';
import { createWorker, type WorkerGroup } from '../../worker';
import { runMaint, type CliResult } from '../helpers/cli';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

// Names of this file only: nothing another test file applies to the shared server can match them.
const id = randomUUID().slice(0, 6);
const weekly = `db-weekly-${id}`;
const soon = `db-soon-${id}`;

/** The Tuesday of next week or the one after (Amsterdam): always among the next six weekly occurrences. */
const blackoutDay = (() => {
  const today = DateTime.now().setZone('Europe/Amsterdam').startOf('day');
  const nextTuesday = today.plus({ days: ((2 - today.weekday + 7) % 7) || 7 });
  return nextTuesday.plus({ weeks: 1 });
})();

const org = (smtpPort: number, windows: Array<'weekly' | 'soon'>, at: string) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Controls ${id}, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtpPort}}, from: "Acme <maintenance@acme.example>"}
services:
  - name: db-${id}
    title: {nl: Database, en: Database}
    subscribers:
      - {name: Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
windows:
${windows.includes('weekly') ? `
  - name: ${weekly}
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [tue], at: "22:00"}
    duration: 2h
    cutoff: 30m
    blackouts: [{date: ${blackoutDay.toISODate()}, reason: between the years}]
    services: [db-${id}]
    notices: {leadTimes: [24h]}
` : ''}${windows.includes('soon') ? `
  - name: ${soon}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${at}"}
    duration: 1h
    services: [db-${id}]
    allowOverlap: true
    notices: {leadTimes: [1h]}
    preflight: false
` : ''}`;

describe('window controls: next, preview, extend and cancel through the CLI', () => {
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let dir: string;
  let file: string;
  let cliEnv: NodeJS.ProcessEnv;
  const start = DateTime.now().setZone('Europe/Amsterdam').plus({ minutes: 30 }).startOf('minute');
  const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-window-controls-'));
    file = join(dir, 'maint.yaml');
    writeFileSync(file, org(smtp.port, ['weekly', 'soon'], start.toFormat("yyyy-LL-dd'T'HH:mm")));
    const taskQueue = uniqueTaskQueue('window-controls');
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue };
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector(), store: await testStore(), schedules: { client: env.client } },
    });
    running = worker.run();
  });
  afterAll(async () => {
    await env?.client.schedule.getHandle(`window-${soon}`).delete().catch(() => undefined);
    worker?.shutdown();
    await running;
    await smtp?.close();
  });

  it('shows upcoming occurrences in the window\'s time and the viewer\'s, with blackouts marked, from the files alone', async () => {
    const result = await runMaint(['windows', 'next', weekly, '--count', '6', '-f', file, '--tz', 'America/New_York'], offline);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^window +start \(window time\) +end +start \(America\/New_York\) +cutoff +note$/);
    expect(lines).toHaveLength(7);
    // Tuesdays at 22:00 Amsterdam are 16:00 in New York; the end is 00:00, the cutoff 23:30.
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`^${weekly} +Tue \\d{4}-\\d\\d-\\d\\d 22:00 CES?T +00:00 +Tue \\d{4}-\\d\\d-\\d\\d 1[67]:00 GMT-[45] +23:30`));
    const marked = lines.filter((l) => l.includes('BLACKOUT'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(new RegExp(`Tue ${blackoutDay.toISODate()} 22:00 CES?T .*BLACKOUT: between the years$`));
  });

  it('lists the occurrences from a given date with --from, read in --tz unless it has an offset', async () => {
    const fromDay = await runMaint(['windows', 'next', weekly, '--count', '2', '--from', blackoutDay.toISODate()!, '-f', file, '--json'], offline);
    expect(fromDay.stderr).toBe('');
    const days = JSON.parse(fromDay.stdout) as Array<{ window: string; localStart: string; blackout?: { reason: string } }>;
    expect(days.map((o) => [o.window, o.localStart.slice(0, 16), o.blackout?.reason])).toEqual([
      [weekly, `${blackoutDay.toISODate()}T22:00`, 'between the years'],
      [weekly, `${blackoutDay.plus({ weeks: 1 }).toISODate()}T22:00`, undefined],
    ]);
    // 22:00 in Amsterdam is 16:00 (or 17:00) in New York: from then, in New York time, that occurrence is included; a minute later it is not.
    const at = (time: string, tz: string) => runMaint(['windows', 'next', weekly, '--count', '1', '--from', time, '--tz', tz, '-f', file, '--json'], offline);
    const firstStart = async (r: Promise<CliResult>) => (JSON.parse((await r).stdout) as Array<{ localStart: string }>)[0]!.localStart.slice(0, 10);
    const newYork = blackoutDay.set({ hour: 22 }).setZone('America/New_York');
    const local = (t: DateTime) => t.toFormat("yyyy-LL-dd'T'HH:mm");
    expect(await firstStart(at(local(newYork), 'America/New_York'))).toBe(blackoutDay.toISODate());
    expect(await firstStart(at(local(newYork.plus({ minutes: 1 })), 'America/New_York'))).toBe(blackoutDay.plus({ weeks: 1 }).toISODate());
    // An instant with an offset is that instant, whatever --tz says.
    expect(await firstStart(at(newYork.toUTC().toISO()!, 'Asia/Tokyo'))).toBe(blackoutDay.toISODate());
    expect(await firstStart(at(newYork.plus({ minutes: 1 }).toUTC().toISO()!, 'Asia/Tokyo'))).toBe(blackoutDay.plus({ weeks: 1 }).toISODate());

    const bad = await runMaint(['windows', 'next', weekly, '--from', 'next tuesday', '-f', file], offline);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from: expected an ISO date or time like 2026-12-20');
    expect(bad.stderr).toContain('got "next tuesday"');
  });

  it('previews a notice as the customer would read it', async () => {
    const result = await runMaint(['notices', 'preview', '--window', soon, '--kind', 'scheduled', '--lang', 'nl', '-f', file], offline);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Subject: Gepland onderhoud: Database op ${start.setLocale('nl').toFormat('d LLLL yyyy')}`);
    expect(result.stdout).toContain('Beste Jansen,');
    // The end's date is written only when the window runs past midnight.
    const end = start.plus({ hours: 1 }).setLocale('nl');
    expect(result.stdout).toContain(`Wanneer: ${start.setLocale('nl').toFormat('cccc d LLLL yyyy, HH:mm')} – ${end.toFormat(end.hasSame(start, 'day') ? 'HH:mm' : 'cccc d LLLL yyyy, HH:mm')}`);
  });

  it('extends and then cancels an announced occurrence; the customer hears each once, in Dutch', async () => {
    // Its only notice is due already (1 h lead, 30 min ahead): `maint apply` starts its run at once.
    const soonFile = join(dir, 'soon.yaml');
    writeFileSync(soonFile, org(smtp.port, ['soon'], start.toFormat("yyyy-LL-dd'T'HH:mm")));
    const applied = await runMaint(['apply', '-f', soonFile], cliEnv);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(new RegExp(`window-${soon} +create +starts now for `));
    await smtp.waitFor((m) => m.length >= 1, 'the scheduled notice', 60_000);
    expect(smtp.messages[0]!.subject).toBe(`Gepland onderhoud: Database op ${start.setLocale('nl').toFormat('d LLLL yyyy')}`);

    // Visibility lists the run within a second or two.
    let extended = { code: -1 as number | null, stdout: '', stderr: '' };
    for (let i = 0; i < 20 && extended.code !== 0; i++) {
      extended = await runMaint(['windows', 'extend', soon, '--by', '30m', '--reason', 'extra database checks'], cliEnv);
      if (extended.code !== 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(extended.stderr).toBe('');
    const newEnd = start.plus({ minutes: 90 });
    expect(extended.stdout).toBe(`extended: ${soon} now ends ${newEnd.toUTC().toISO()}; customers get an "extended" notice\n`);
    await smtp.waitFor((m) => m.length >= 2, 'the extended notice', 60_000);
    const endText = newEnd.setLocale('nl').toFormat(newEnd.hasSame(start, 'day') ? 'HH:mm ZZZZ' : 'cccc d LLLL yyyy, HH:mm ZZZZ');
    expect(smtp.messages[1]!.subject).toBe(`Onderhoud verlengd: Database tot ${endText}`);
    expect(smtp.messages[1]!.text).toContain('Reden: extra database checks');

    const earlier = await runMaint(['windows', 'extend', soon, '--until', start.toUTC().toISO()!, '--reason', 'x'], cliEnv);
    expect(earlier.code).toBe(2);
    expect(earlier.stderr).toContain('the new end must be later than the current end');

    const cancelled = await runMaint(['windows', 'cancel', soon, '--reason', 'the supplier postponed the upgrade'], cliEnv);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    await smtp.waitFor((m) => m.length >= 3, 'the cancelled notice', 60_000);
    let status: WindowStatus | undefined;
    for (let i = 0; i < 40 && status?.phase !== 'cancelled'; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      status = (JSON.parse((await runMaint(['windows', 'status', soon, '--json'], cliEnv)).stdout) as WindowStatus[])[0];
    }
    expect(status).toMatchObject({ phase: 'cancelled', reason: expect.stringContaining('the supplier postponed the upgrade'), end: newEnd.toUTC().toISO() });
    expect(smtp.messages.map((m) => m.subject.split(':')[0])).toEqual(['Gepland onderhoud', 'Onderhoud verlengd', 'Onderhoud geannuleerd']);
    expect(smtp.messages[2]!.text).toContain('gaat niet door. Voor u verandert er niets.');

    const again = await runMaint(['windows', 'cancel', soon, '--reason', 'twice'], cliEnv);
    expect(again.code).toBe(2);
  });
});
