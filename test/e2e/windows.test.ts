import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { appliedPlans, windowRuns } from '../../control/windowRuns';
import { startFeedServer, type FeedServer } from '../../web/server';
import type { PublicMaintenance } from '../../web/feeds';
import { runMaint } from '../helpers/cli';
import { track } from '../../harness/processes';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';

const ROOT = join(__dirname, '..', '..');

// Names of this file only (the Temporal server is shared by every test file): nothing another file
// applies can show up in this file's feeds or be pruned by its `maint apply`, and the reverse.
const id = randomUUID().slice(0, 6);
const ORG = `Acme Hosting ${id}`;
const [WEB, API, MAIL] = ['web-now', 'api-now', 'mail-now'].map((w) => `${w}-${id}`) as [string, string, string];
const [WEBSHOP, API_SERVICE, MAIL_SERVICE] = ['webshop', 'api', 'mail'].map((s) => `${s}-${id}`) as [string, string, string];

/**
 * Three maintenance windows two minutes ahead, applied with `maint apply` to real Temporal
 * Schedules, run by a worker process against real sshd hosts, with notices to a real SMTP server
 * and the public feeds served from Temporal:
 *   web-now:  one rollout that succeeds → scheduled, started, completed (nl and en)
 *   api-now:  a slow rollout, then a second one that would start after the cutoff → postponed, and the notice says so
 *   mail-now: a rollout whose health check fails → rolled back, and a "rolled back" notice, not "completed"
 */
describe('maintenance windows end to end', () => {
  let fx: RolloutFixture;
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let feeds: FeedServer;
  let worker: ChildProcess;
  let dir: string;
  let cliEnv: NodeJS.ProcessEnv;
  let start: DateTime;

  const orgYaml = (windows: string[]) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: ${ORG}, contact: {email: support@acme.example, phone: "+31 20 123 4567"}}
channels:
  - {name: customer-mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtp.port}}, from: "Acme Maintenance <maintenance@acme.example>"}
operations:
  alerts: [{channel: customer-mail, to: ops@acme.example}]
services:
  - name: ${WEBSHOP}
    title: {nl: Webwinkel, en: Web shop}
    subscribers:
      - {name: Bakkerij Jansen, channel: customer-mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
      - {name: Harbour Ltd, channel: customer-mail, to: ops@harbour.example, language: en, timezone: America/New_York}
  - name: ${API_SERVICE}
    title: API
    subscribers: [{name: Harbour Ltd, channel: customer-mail, to: api@harbour.example, language: en, timezone: Europe/London}]
  - name: ${MAIL_SERVICE}
    title: {nl: E-mail, en: Email}
    subscribers: [{name: Bakkerij Jansen, channel: customer-mail, to: mail@jansen.example, language: nl, timezone: Europe/Amsterdam}]
windows:
${windows.join('')}`;
  const window = (name: string, service: string, duration: string, cutoff: string, policies: string[]) => `
  - name: ${name}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${start.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: ${duration}
    cutoff: ${cutoff}
    services: [${service}]
    notices: {leadTimes: [1m]}
    preflight: {before: 30s}
    tasks: [${policies.map((p) => `{kind: rollout, policy: ${p}}`).join(', ')}]
`;
  const allWindows = () => [
    window(WEB, WEBSHOP, '10m', '2m', ['web.yaml']),
    window(API, API_SERVICE, '3m', '150s', ['api-slow.yaml', 'api-second.yaml']),
    window(MAIL, MAIL_SERVICE, '10m', '2m', ['mail.yaml']),
  ];

  const mailsTo = (to: string) => smtp.messages.filter((m) => m.to.includes(to));
  const subjects = (to: string) => mailsTo(to).map((m) => m.subject);
  // As a calendar client does: a 503 (Temporal slower than the page's 5 s on a loaded machine) is asked again after its Retry-After.
  const feed = async (path = '/maintenance.json'): Promise<PublicMaintenance[]> => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${feeds.url}${path}`);
      if (res.status === 503 && attempt < 10) {
        expect(res.headers.get('cache-control')).toBe('no-store');
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after')) * 1000));
        continue;
      }
      expect(res.status).toBe(200);
      return ((await res.json()) as { maintenance: PublicMaintenance[] }).maintenance;
    }
  };
  const feedStatus = async (w: string) => (await feed()).find((m) => m.window === w)?.status;

  beforeAll(async () => {
    fx = await startRolloutFixture(4);
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-windows-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    const policy = (name: string, host: string, extra = '') => fx.policyYaml(`name: ${name}\ntargets: {inventory: inventory.yaml, selector: "name=${host}"}\n${extra}`);
    writeFileSync(join(dir, 'web.yaml'), fx.policyYaml('name: web-patch\ntargets: {inventory: inventory.yaml, selector: "name in (host-1,host-2)"}\n'));
    // 40 s of work on host-3: the window's cutoff (30 s after the start) passes while it runs.
    writeFileSync(join(dir, 'api-slow.yaml'), policy('api-slow', 'host-3', [
      'strategy:', '  kind: command', '  target: 2.0.0', `  check: 'cat "$MAINT_HOST_DIR/version"'`,
      `  apply: 'sleep 40 && echo {{target}} > "$MAINT_HOST_DIR/version"'`, `  rollback: 'echo {{previous}} > "$MAINT_HOST_DIR/version"'`,
    ].join('\n')));
    writeFileSync(join(dir, 'api-second.yaml'), policy('api-second', 'host-3'));
    writeFileSync(join(dir, 'mail.yaml'), policy('mail-patch', 'host-4'));
    fx.makeUnhealthy(3, '2.0.0');
    const taskQueue = uniqueTaskQueue('e2e-windows');
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue, MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_DATA_DIR: join(dir, 'data') };
    worker = track(spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { env: { ...process.env, ...cliEnv }, stdio: 'ignore' }));
    feeds = await startFeedServer(
      { load: async () => ({ plans: await appliedPlans(env.client), runs: (await windowRuns(env.client, { sinceDays: 1 })).map((r) => r.status) }) },
      { port: 0, publicUrl: 'https://status.acme.example' },
    );
    // Two to three minutes ahead, on a whole minute (windows start on minutes).
    start = DateTime.now().setZone('Europe/Amsterdam').plus({ minutes: 3 }).startOf('minute');
  });
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await feeds?.close();
    await smtp?.close();
    await fx?.stop();
    // Clean up the schedules this test made (the dev server is shared by the run).
    for (const name of [WEB, API, MAIL]) await env?.client.schedule.getHandle(`window-${name}`).delete().catch(() => undefined);
  });

  it('applies the windows as schedules, runs them at their time, notifies in nl and en, and the feeds follow', async () => {
    const org = join(dir, 'maint.yaml');
    writeFileSync(org, orgYaml(allWindows()));

    const dry = await runMaint(['apply', '-f', org, '--dry-run'], cliEnv);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`\\+ +window-${WEB} +create +next run .* for the window of `));
    expect(dry.stdout).toContain('Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.\n(dry run: nothing applied)');
    await expect(env.client.schedule.getHandle(`window-${WEB}`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);

    const applied = await runMaint(['apply', '-f', org], cliEnv);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.');
    const again = await runMaint(['apply', '-f', org], cliEnv);
    expect(again.stdout).toContain('Plan: 0 to create, 0 to update, 0 to delete, 3 unchanged.');
    const described = await env.client.schedule.getHandle(`window-${WEB}`).describe();
    // Launches only claim their occurrence: they may overlap (a second one for an occurrence starts nothing).
    expect(described.policies.overlap).toBe('ALLOW_ALL');
    expect(described.action).toMatchObject({ workflowType: 'windowLaunchWorkflow' });
    expect(described.policies.catchupWindow).toBe(60_000);

    // Before anything runs the feeds already show all three as scheduled, without a single host name.
    const before = (await feed()).filter((m) => [WEB, API, MAIL].includes(m.window));
    expect(before.map((m) => [m.window, m.status, Date.parse(m.start)]).sort()).toEqual([
      [API, 'scheduled', start.toMillis()], [MAIL, 'scheduled', start.toMillis()], [WEB, 'scheduled', start.toMillis()],
    ]);

    // One minute ahead: the "scheduled" notice, in each customer's language and timezone.
    await smtp.waitFor(() => mailsTo('it@jansen.example').length >= 1 && mailsTo('ops@harbour.example').length >= 1, 'the scheduled notices');
    const nl = mailsTo('it@jansen.example')[0]!;
    const en = mailsTo('ops@harbour.example')[0]!;
    const amsterdam = start.setLocale('nl');
    const newYork = start.setZone('America/New_York').setLocale('en-GB');
    expect(nl.subject).toBe(`Gepland onderhoud: Webwinkel op ${amsterdam.toFormat('d LLLL yyyy')}`);
    expect(nl.text).toContain('Beste Bakkerij Jansen,');
    expect(nl.text).toContain(`Wanneer: ${amsterdam.toFormat('cccc d LLLL yyyy, HH:mm')} – ${amsterdam.plus({ minutes: 10 }).toFormat('HH:mm')} ${amsterdam.toFormat('ZZZZ')}`);
    expect(nl.text).toContain('Vragen? Neem contact met ons op via support@acme.example of +31 20 123 4567.');
    expect(nl.language).toBe('nl');
    expect(en.subject).toBe(`Scheduled maintenance: Web shop on ${newYork.toFormat('d LLLL yyyy')}`);
    expect(en.text).toContain(`When: ${newYork.toFormat('cccc d LLLL yyyy, HH:mm')}`);
    expect(en.text).toContain('Expected impact:');
    expect(en.html).toContain('<th align="left">When</th>');

    // The start: "started", the rollout runs on the real hosts, and the feed says "in progress" meanwhile.
    let sawInProgress = false;
    await smtp.waitFor(() => {
      // A poll may get the feeds' 503 on a loaded machine (Temporal slower than the page's 5 s): the next poll asks again.
      void feedStatus(WEB).then((s) => (sawInProgress ||= s === 'in-progress'), () => undefined);
      return subjects('it@jansen.example').includes('Onderhoud afgerond: Webwinkel') && subjects('ops@harbour.example').includes('Maintenance completed: Web shop');
    }, 'the completed notices of web-now');
    expect(sawInProgress).toBe(true);
    expect(subjects('it@jansen.example')).toEqual([`Gepland onderhoud: Webwinkel op ${amsterdam.toFormat('d LLLL yyyy')}`, 'Onderhoud gestart: Webwinkel', 'Onderhoud afgerond: Webwinkel']);
    expect(subjects('ops@harbour.example')).toEqual([`Scheduled maintenance: Web shop on ${newYork.toFormat('d LLLL yyyy')}`, 'Maintenance started: Web shop', 'Maintenance completed: Web shop']);
    expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '2.0.0']);

    // The failing health check on host-4: rolled back, and customers hear "rolled back", not "completed".
    await smtp.waitFor(() => subjects('mail@jansen.example').includes('Onderhoud teruggedraaid: E-mail'), 'the rolled-back notice of mail-now');
    expect(subjects('mail@jansen.example')).not.toContain('Onderhoud afgerond: E-mail');
    expect(mailsTo('mail@jansen.example').at(-1)!.text).toContain('Daarom hebben wij automatisch de vorige versie teruggezet');
    expect(fx.version(3)).toBe('1.0.0');
    await smtp.waitFor(() => subjects('ops@acme.example').some((s) => new RegExp(`\\[maint\\] window ${MAIL}: rollout ${MAIL}-.* rolled_back`).test(s)), 'the operations alert');

    // The slow task ran past the cutoff; the second one was not started, and the notice says so.
    await smtp.waitFor(() => subjects('api@harbour.example').includes('Maintenance completed: API'), 'the completed notice of api-now');
    const apiDone = mailsTo('api@harbour.example').at(-1)!;
    expect(apiDone.text).toContain('Part of the work (api-second) could not start before the end of the maintenance window');
    expect(fx.version(2)).toBe('2.0.0');
    expect(fx.applyCount(2)).toBe(0); // api-slow's apply does not log; api-second (which would) never ran

    // Every notice went out exactly once per (occurrence, kind, recipient).
    const perRecipient = new Map<string, number>();
    for (const m of smtp.messages) for (const to of m.to) perRecipient.set(`${to} ${m.subject}`, (perRecipient.get(`${to} ${m.subject}`) ?? 0) + 1);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);

    // The feeds: completed, rolled back; iCal and Atom for customers; no host names or addresses anywhere.
    const after = new Map((await feed()).map((m) => [m.window, m.status]));
    expect([after.get(WEB), after.get(API), after.get(MAIL)]).toEqual(['completed', 'completed', 'rolled-back']);
    const webOnly = await feed(`/services/${WEBSHOP}/maintenance.json`);
    expect(webOnly.map((m) => m.window)).toEqual([WEB]);
    const ics = await (await fetch(`${feeds.url}/maintenance.ics?lang=nl`)).text();
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics).toContain('SUMMARY:Afgerond: Webwinkel');
    expect(ics).toContain('SUMMARY:Teruggedraaid: E-mail');
    expect(ics).toContain(`DTSTART:${start.toUTC().toFormat("yyyyLLdd'T'HHmmss'Z'")}`);
    const atom = await (await fetch(`${feeds.url}/maintenance.atom`)).text();
    expect(atom).toContain('<title type="html"><![CDATA[Rolled back: Email]]></title>');
    expect(atom).toContain('<link rel="alternate" href="https://status.acme.example/"/>');
    // The status page says the same, in words, and leaks nothing either.
    const page = await (await fetch(`${feeds.url}/?lang=nl`)).text();
    expect(page).toContain('<span aria-hidden="true">↺</span> Teruggedraaid');
    expect(page).toContain('<span aria-hidden="true">✓</span> Afgerond');
    for (const body of [JSON.stringify(await feed()), ics, atom, page]) {
      for (const leak of ['host-1', 'host-4', '127.0.0.1', 'mail-patch', 'web-patch']) expect(body).not.toContain(leak);
    }

    // Operations see the run in the CLI.
    const status = await runMaint(['windows', 'status', WEB, '--json'], cliEnv);
    const [run] = JSON.parse(status.stdout) as Array<{ phase: string; preflight?: { ok: boolean }; tasks: Array<{ state: string }> }>;
    expect(run).toMatchObject({ phase: 'completed', preflight: { ok: true }, tasks: [{ state: 'completed' }] });

    // Removing windows from the file deletes their schedules; the rest is unchanged.
    writeFileSync(org, orgYaml([window(WEB, WEBSHOP, '10m', '2m', ['web.yaml'])]));
    const pruned = await runMaint(['apply', '-f', org], cliEnv);
    expect(pruned.stdout).toContain('Plan: 0 to create, 0 to update, 2 to delete, 1 unchanged.');
    await expect(env.client.schedule.getHandle(`window-${API}`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await expect(env.client.schedule.getHandle(`window-${MAIL}`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await env.client.schedule.getHandle(`window-${WEB}`).describe()).memo).toMatchObject({ managedBy: 'maint', organisation: ORG });
  }, 480_000);

  it('rejects invalid windows with the file, the path and what was expected, and applies nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, orgYaml([
      `\n  - name: bad-tz\n    timezone: Europe/Amsterdm\n    recurrence: {kind: weekly, days: [tue], at: "22:00"}\n    duration: 1h\n    services: [${WEBSHOP}]\n`,
      `\n  - name: bad-duration\n    timezone: Europe/Amsterdam\n    recurrence: {kind: weekly, days: [tue], at: "22:00"}\n    duration: 0s\n    services: [${WEBSHOP}]\n`,
      '\n  - name: bad-cutoff\n    timezone: Europe/Amsterdam\n    recurrence: {kind: monthly, week: 2, day: tue, at: "22:00", offsetDays: 3}\n    duration: 1h\n    cutoff: 1h\n    services: [nope]\n',
    ]));
    const result = await runMaint(['apply', '-f', bad], { ...cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+: windows\\[0\\]\\.timezone: unknown timezone "Europe/Amsterdm" \\(expected an IANA name like Europe/Amsterdam\\)`));
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+: windows\\[1\\]\\.duration: expected a duration greater than 0`));
    expect(result.stderr).toMatch(new RegExp(`${bad}:\\d+:\\d+: windows\\[2\\]\\.cutoff: expected a cutoff shorter than the duration \\(60 min\\)`));
  });
});
