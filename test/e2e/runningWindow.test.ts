import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { WindowStatus } from '../../policies/windows/types';
import { runMaint } from '../helpers/cli';
import { stopChild, track } from '../../harness/processes';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const ROOT = join(__dirname, '..', '..');

// Names of this file only: the Temporal server is shared by every test file.
const id = randomUUID().slice(0, 6);
const CANCEL = `cancel-${id}`;
const EXTEND = `extend-${id}`;
const CONTROL = `control-${id}`;

interface RolloutJson {
  status: string;
  message?: string;
  hosts: Array<{ name: string; state: string; error: string | null }>;
}

const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 240_000) => waitUntil(what, probe, timeoutMs, 250);

/**
 * Three windows start at the same minute, each with a rollout in waves of one host on real sshd
 * hosts, run by a worker process; the CLI cancels one and extends another while their rollouts run:
 *   cancel-*:  3 waves of 20 s; `maint windows cancel` during the first → no further wave, "cancelled"
 *   extend-*:  2 waves of 40 s, cutoff 30 s after the start; `maint windows extend` during the first → the second starts
 *   control-*: the same as extend-* without the extension → its second wave is cut off
 */
describe('cancelling and extending a window while its rollout runs', () => {
  let fx: RolloutFixture;
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let worker: ChildProcess;
  let dir: string;
  let cliEnv: NodeJS.ProcessEnv;

  const maint = async (args: string[]) => {
    const r = await runMaint(args, cliEnv);
    if (r.code !== 0) throw new Error(`maint ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const windowStatus = async (name: string) => (JSON.parse(await maint(['windows', 'status', name, '--json'])) as WindowStatus[])[0];
  const finished = (name: string) => until(`window ${name} to end`, async () => {
    const s = await windowStatus(name);
    return s && ['completed', 'rolled-back', 'cancelled'].includes(s.phase) ? s : undefined;
  });
  const rollout = async (rolloutId: string) => {
    const r = await runMaint(['rollout', 'status', rolloutId, '--json'], cliEnv);
    return JSON.parse(r.stdout) as RolloutJson;
  };
  const subjects = (to: string) => smtp.messages.filter((m) => m.to.includes(to)).map((m) => m.subject);

  beforeAll(async () => {
    fx = await startRolloutFixture(7);
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-running-window-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    const policy = (file: string, name: string, hosts: string, seconds: number) => writeFileSync(join(dir, file), fx.policyYaml([
      `name: ${name}`,
      `targets: {inventory: inventory.yaml, selector: "name in (${hosts})"}`,
      'waves: {canary: 0, batches: [1]}',
      'strategy:', '  kind: command', '  target: 2.0.0', `  check: 'cat "$MAINT_HOST_DIR/version"'`,
      `  apply: 'echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && sleep ${seconds} && echo {{target}} > "$MAINT_HOST_DIR/version"'`,
      `  rollback: 'echo {{previous}} > "$MAINT_HOST_DIR/version"'`,
    ].join('\n')));
    policy('cancel.yaml', 'cancel-roll', 'host-1,host-2,host-3', 20);
    policy('extend.yaml', 'extend-roll', 'host-4,host-5', 40);
    policy('control.yaml', 'control-roll', 'host-6,host-7', 40);
    cliEnv = {
      TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-running-window'),
      MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_DATA_DIR: join(dir, 'data'),
    };
    worker = track(spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { env: { ...process.env, ...cliEnv }, stdio: 'ignore' }));
  });
  afterAll(async () => {
    if (worker) await stopChild(worker);
    await smtp?.close();
    await fx?.stop();
    for (const name of [CANCEL, EXTEND, CONTROL]) await env?.client.schedule.getHandle(`window-${name}`).delete().catch(() => undefined);
  });

  it('cancel: no new wave starts, the rollout is cut off, customers hear "cancelled" once; extend: the cutoff moves and the next wave starts, "extended" once', async () => {
    // At least 40 s ahead, on a whole minute (windows start on minutes).
    const start = DateTime.now().setZone('Europe/Amsterdam').plus({ seconds: 40 }).startOf('minute').plus({ minutes: 1 });
    const window = (name: string, service: string, duration: string, cutoff: string, policy: string) => `
  - name: ${name}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${start.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: ${duration}
    cutoff: ${cutoff}
    services: [${service}]
    notices: {leadTimes: [1h]}
    preflight: false
    tasks: [{kind: rollout, policy: ${policy}}]
`;
    const org = join(dir, 'maint.yaml');
    writeFileSync(org, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Running ${id}, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtp.port}}, from: "Acme <maintenance@acme.example>"}
services:
  - {name: shop-${id}, title: {nl: Webwinkel, en: Web shop}, subscribers: [{name: Jansen, channel: mail, to: shop@jansen.example, language: nl, timezone: Europe/Amsterdam}]}
  - {name: api-${id}, title: API, subscribers: [{name: Harbour, channel: mail, to: api@harbour.example, language: en, timezone: Europe/London}]}
  - {name: mail-${id}, title: Email, subscribers: [{name: Harbour, channel: mail, to: mail@harbour.example, language: en, timezone: Europe/London}]}
windows:
${window(CANCEL, `shop-${id}`, '10m', '1m', 'cancel.yaml')}${window(EXTEND, `api-${id}`, '3m', '150s', 'extend.yaml')}${window(CONTROL, `mail-${id}`, '3m', '150s', 'control.yaml')}`);

    // Their notices are due already (1 h lead): `maint apply` starts the three runs at once.
    const applied = await maint(['apply', '-f', org]);
    for (const name of [CANCEL, EXTEND, CONTROL]) expect(applied).toMatch(new RegExp(`window-${name} +create +starts now for `));
    await smtp.waitFor(() => ['shop@jansen.example', 'api@harbour.example', 'mail@harbour.example'].every((to) => subjects(to).length >= 1), 'the scheduled notices');

    // Wave 0 of the cancel window runs on host-1 (its apply has begun on the host): cancel.
    await until('host-1 to be patched', () => (fx.applyCount(0) >= 1 ? true : undefined));
    const cancelled = await maint(['windows', 'cancel', CANCEL, '--reason', 'the supplier found a problem in the update']);
    expect(cancelled).toBe(`cancelled: ${CANCEL} ${start.toISO({ suppressMilliseconds: true })}; customers who were told get a "cancelled" notice\n`);

    // Wave 0 of the extend window runs on host-4, past the cutoff (30 s after the start): extend.
    await until('host-4 to be patched', () => (fx.applyCount(3) >= 1 ? true : undefined));
    const extended = await maint(['windows', 'extend', EXTEND, '--by', '10m', '--reason', 'a slow database migration']);
    const newEnd = start.plus({ minutes: 13 });
    expect(extended).toBe(`extended: ${EXTEND} now ends ${newEnd.toUTC().toISO()}; customers get an "extended" notice\n`);

    // Cancel: host-1 (in flight) finished; no wave started after the cancel; the window ends cancelled.
    const c = await finished(CANCEL);
    expect(c).toMatchObject({ phase: 'cancelled', reason: expect.stringContaining('the supplier found a problem in the update'), tasks: [{ name: 'cancel-roll', state: 'postponed' }] });
    const cr = await rollout(c.tasks[0]!.rolloutId!);
    expect(cr.status).toBe('cut-off');
    expect(cr.hosts.map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-2', 'skipped'], ['host-3', 'skipped']]);
    expect([0, 1, 2].map((i) => [fx.version(i), fx.applyCount(i)])).toEqual([['2.0.0', 1], ['1.0.0', 0], ['1.0.0', 0]]);

    // Extend: the second wave, which the old cutoff would have stopped, ran; the window completed.
    const e = await finished(EXTEND);
    expect(e).toMatchObject({ phase: 'completed', end: newEnd.toUTC().toISO(), tasks: [{ name: 'extend-roll', state: 'completed' }] });
    const er = await rollout(e.tasks[0]!.rolloutId!);
    expect(er.status).toBe('completed');
    expect([3, 4].map((i) => [fx.version(i), fx.applyCount(i)])).toEqual([['2.0.0', 1], ['2.0.0', 1]]);

    // Control: the same window without the extension stops before its second wave.
    const k = await finished(CONTROL);
    expect(k).toMatchObject({ phase: 'completed', tasks: [{ name: 'control-roll', state: 'postponed' }] });
    const kr = await rollout(k.tasks[0]!.rolloutId!);
    expect(kr.status).toBe('cut-off');
    expect(kr.hosts.map((h) => [h.name, h.state])).toEqual([['host-6', 'healthy'], ['host-7', 'skipped']]);
    expect([5, 6].map((i) => [fx.version(i), fx.applyCount(i)])).toEqual([['2.0.0', 1], ['1.0.0', 0]]);

    // What the customers heard, each notice once.
    const day = (zone: string, locale: string) => start.setZone(zone).setLocale(locale).toFormat('d LLLL yyyy');
    await smtp.waitFor(() => subjects('shop@jansen.example').length >= 3 && subjects('api@harbour.example').length >= 4 && subjects('mail@harbour.example').length >= 3, 'the last notices');
    expect(subjects('shop@jansen.example')).toEqual([
      `Gepland onderhoud: Webwinkel op ${day('Europe/Amsterdam', 'nl')}`, 'Onderhoud gestart: Webwinkel', `Onderhoud geannuleerd: Webwinkel op ${day('Europe/Amsterdam', 'nl')}`,
    ]);
    const cancelNotice = smtp.messages.find((m) => m.to.includes('shop@jansen.example') && m.subject.startsWith('Onderhoud geannuleerd'))!;
    expect(cancelNotice.text).toContain('Reden: the supplier found a problem in the update');
    // host-1 was patched before the cancel: the notice says the work stopped early, not that nothing changes.
    expect(cancelNotice.text).toContain('vroegtijdig beëindigd');
    expect(cancelNotice.text).not.toContain('Voor u verandert er niets');
    const london = newEnd.setZone('Europe/London').setLocale('en-GB');
    expect(subjects('api@harbour.example')).toEqual([
      `Scheduled maintenance: API on ${day('Europe/London', 'en-GB')}`, 'Maintenance started: API',
      `Maintenance extended: API until ${london.toFormat(london.hasSame(start.setZone('Europe/London'), 'day') ? 'HH:mm ZZZZ' : 'cccc d LLLL yyyy, HH:mm ZZZZ')}`,
      'Maintenance completed: API',
    ]);
    const apiDone = smtp.messages.find((m) => m.to.includes('api@harbour.example') && m.subject === 'Maintenance completed: API')!;
    expect(apiDone.text).not.toContain('could not start before the end of the maintenance window');
    expect(subjects('mail@harbour.example')).toEqual([`Scheduled maintenance: Email on ${day('Europe/London', 'en-GB')}`, 'Maintenance started: Email', 'Maintenance completed: Email']);
    const controlDone = smtp.messages.find((m) => m.to.includes('mail@harbour.example') && m.subject === 'Maintenance completed: Email')!;
    expect(controlDone.text).toContain('Part of the work (control-roll) could not start before the end of the maintenance window');

    // Both control actions are in the audit trail, with who and why.
    const audit = JSON.parse(await maint(['audit', '--json'])) as Array<{ actor: string; action: string; subject: string; reason?: string }>;
    expect(audit.map((a) => [a.action, a.subject, a.reason])).toEqual(expect.arrayContaining([
      ['cancel', `window ${CANCEL}`, 'the supplier found a problem in the update'], ['extend', `window ${EXTEND}`, 'a slow database migration'],
    ]));

    // Once over, it cannot be changed again.
    const again = await runMaint(['windows', 'extend', CANCEL, '--by', '5m', '--reason', 'x'], cliEnv);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`window ${CANCEL} has no run in progress or announced`);
  }, 480_000);
});
