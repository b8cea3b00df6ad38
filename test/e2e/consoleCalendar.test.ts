import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { connectClient, type Connected } from '../../control/connection';
import { ConsoleAccess, setConsoleUser } from '../../control/consoleAccess';
import { loadOrganisation } from '../../control/organisation';
import type { Store } from '../../store';
import { auditEvents } from '../../store/audit';
import { startConsole } from '../../web/console/server';
import type { Listening } from '../../web/listen';
import { createWorker, type WorkerGroup } from '../../worker';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { runMaint } from '../helpers/cli';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtpServer';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

// Names of this file only: nothing another test file applies to the shared server can match them.
const id = randomUUID().slice(0, 6);
const LONG = 60_000;

const org = (smtpPort: number, soonAt: string) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Calendar ${id}, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: ${smtpPort}}, from: "Acme <maintenance@acme.example>"}
slaTiers:
  - {name: gold-${id}, availability: "99.9%", allowedWindows: "Sat-Sun 21:00-01:00 Europe/Amsterdam"}
services:
  - {name: web-${id}, title: {nl: Website, en: Website}}
  - {name: shop-${id}, title: {nl: Winkel, en: Shop}, tier: gold-${id}}
  - name: db-${id}
    title: {nl: Database, en: Database}
    subscribers:
      - {name: Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
windows:
  - name: nightly-${id}
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [fri, sat, sun], at: "22:00"}
    duration: 4h
    blackouts: [{date: 2026-10-20, reason: audit day}]
    services: [web-${id}]
    notices: {leadTimes: [12h]}
    preflight: false
  - name: early-${id}
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [sun], at: "01:00"}
    duration: 4h
    services: [db-${id}]
    notices: {leadTimes: [24h]}
  - name: extra-${id}
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [sun], at: "03:00"}
    duration: 1h
    services: [db-${id}]
    allowOverlap: true
    notices: {leadTimes: [24h]}
  - name: fallback-${id}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "2026-10-25T02:30"}
    duration: 1h
    services: [shop-${id}]
  - name: soon-${id}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${soonAt}"}
    duration: 1h
    services: [db-${id}]
    allowOverlap: true
    notices: {leadTimes: [1h]}
    preflight: false
`;

describe('the console calendar and window controls in Chromium', () => {
  let smtp: TestSmtpServer;
  let env: TestWorkflowEnvironment;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let store: Store;
  let temporal: Connected;
  let server: Listening;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const soon = DateTime.now().setZone('Europe/Amsterdam').plus({ minutes: 30 }).startOf('minute');

  beforeAll(async () => {
    smtp = await startSmtpServer();
    env = await connectTestEnv();
    store = await testStore();
    const taskQueue = uniqueTaskQueue('console-calendar');
    const cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue };
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector(), store, schedules: { client: env.client } },
    });
    running = worker.run();
    const dir = mkdtempSync(join(tmpdir(), 'maint-console-calendar-'));
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, org(smtp.port, soon.toFormat("yyyy-LL-dd'T'HH:mm")));
    const applied = await runMaint(['apply', '-f', file], cliEnv);
    // The overlap is allowed, and said (the calendar flags it too).
    expect(applied.stderr).toMatch(/^maint: warning: .*window "extra-\w+" overlaps window "early-\w+"/);
    expect(applied.code).toBe(0);
    temporal = await connectClient(cliEnv);
    const users = join(dir, 'console-users.yaml');
    await setConsoleUser(users, { name: 'olivia', role: 'operator', password: 'olivia-operates' });
    await setConsoleUser(users, { name: 'victor', role: 'viewer', password: 'victor-views-only' });
    server = await startConsole({ context: { temporal, store, organisation: await loadOrganisation([file]) }, access: new ConsoleAccess(users) });
    browser = await launchBrowser();
    // The soon window's only notice was due at once: its run has started and told Jansen.
    await smtp.waitFor((m) => m.length >= 1, 'the scheduled notice', LONG);
  }, 180_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    for (const w of ['nightly', 'early', 'extra', 'fallback', 'soon']) await env?.client.schedule.getHandle(`window-${w}-${id}`).delete().catch(() => undefined);
    await browser?.close();
    await server?.close();
    worker?.shutdown();
    await running?.catch(() => undefined);
    await temporal?.close();
    await store?.close();
    await smtp?.close();
  });

  async function signIn(name: string, password: string, timezoneId = 'Europe/Amsterdam'): Promise<Page> {
    const context = await newContext(browser, { timezoneId });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    return page;
  }
  const entries = (page: Page) => page.locator('td[data-date]').evaluateAll((tds) => tds.flatMap((td) => [...td.querySelectorAll('li.occ')].map((li) => [
    td.getAttribute('data-date'), li.getAttribute('data-window')!.replace(/-[0-9a-f]{6}$/, ''), li.querySelector('.t')!.textContent, li.getAttribute('data-conflicts') ?? '',
  ])));

  it('shows the DST week in the browser\'s timezone and in New York, shaded blackouts, the window\'s zone on hover, and conflicts', async () => {
    const page = await signIn('victor', 'victor-views-only');
    // No ?tz=: the page asks the browser for its zone.
    await page.goto(`${server.url}/calendar?view=week&date=2026-10-21`);
    await page.waitForURL(/tz=Europe%2FAmsterdam/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Week of 19 Oct 2026');
    await expect(page.locator('#tz-note').textContent()).resolves.toContain('Times in Europe/Amsterdam');
    expect(await entries(page)).toEqual([
      ['2026-10-23', 'nightly', '22:00–02:00 (+1)', ''],
      ['2026-10-24', 'nightly', '22:00–02:00 (+1)', ''],
      // The clocks go back at 03:00: four hours from 01:00 end at 04:00; 02:30 is its first (CEST) time, and an hour later it is 02:30 again.
      ['2026-10-25', 'early', '01:00–04:00', 'overlap'],
      ['2026-10-25', 'fallback', '02:30–02:30', 'sla-tier'],
      ['2026-10-25', 'extra', '03:00–04:00', 'overlap'],
      ['2026-10-25', 'nightly', '22:00–02:00 (+1)', ''],
    ]);
    await expect(page.locator('td[data-date="2026-10-25"] .tzchange').textContent()).resolves.toBe('Clocks change: UTC+2 → UTC+1');
    await expect(page.locator('td[data-date="2026-10-20"].shaded .blackout').textContent()).resolves.toBe(`⊘ No maintenance: audit day (nightly-${id})`);
    const fallback = page.locator(`li.occ[data-window="fallback-${id}"] a`);
    await expect(fallback.getAttribute('title')).resolves.toMatch(new RegExp(`^Sun 25 Oct 02:30 CEST – 02:30 CET \\(Europe/Amsterdam\\)\\nservices: shop-${id}\\nrun: past`));
    await expect(fallback.getAttribute('title')).resolves.toContain(`conflict: outside the allowed hours of SLA tier "gold-${id}" of shop-${id} (Sat-Sun 21:00-01:00 Europe/Amsterdam)`);
    await expect(page.locator('#h-conflicts + ul').textContent()).resolves.toContain(`overlaps extra-${id} (Sun 25 Oct 03:00–Sun 25 Oct 04:00) on db-${id}`);
    await screenshot(page, 'console-calendar-dst-week-amsterdam');

    // The same week in New York (still on summer time until 1 November): the same instants.
    await page.getByLabel('Timezone').fill('America/New_York');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/tz=America%2FNew_York/);
    expect(await entries(page)).toEqual([
      ['2026-10-23', 'nightly', '16:00–20:00', ''],
      ['2026-10-24', 'nightly', '16:00–20:00', ''],
      ['2026-10-24', 'early', '19:00–23:00', 'overlap'],
      ['2026-10-24', 'fallback', '20:30–21:30', 'sla-tier'],
      ['2026-10-24', 'extra', '22:00–23:00', 'overlap'],
      ['2026-10-25', 'nightly', '17:00–21:00', ''],
    ]);
    expect(await page.locator('.tzchange').count()).toBe(0);
    await expect(fallback.getAttribute('title')).resolves.toMatch(/^Sun 25 Oct 02:30 CEST – 02:30 CET \(Europe\/Amsterdam\)/);
    await screenshot(page, 'console-calendar-dst-week-new-york');

    // A bad zone names the parameter.
    const bad = await page.goto(`${server.url}/calendar?tz=Mars%2FOlympus`);
    expect(bad?.status()).toBe(400);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('tz: unknown timezone "Mars/Olympus"');
  }, 120_000);

  it('links an occurrence to its notices and run; an operator cancels it behind a confirmation, audited; a viewer may not (403)', async () => {
    const startIso = soon.toUTC().toISO()!;
    const viewer = await signIn('victor', 'victor-views-only');
    await viewer.goto(`${server.url}/calendar`);
    await viewer.waitForURL(/tz=Europe%2FAmsterdam/);
    const link = viewer.locator(`li.occ[data-window="soon-${id}"] a`);
    await expect(link.locator('..').getAttribute('data-state')).resolves.toBe('scheduled');
    await screenshot(viewer, 'console-calendar-month');
    await link.click();
    await expect(viewer.locator('h1').textContent()).resolves.toBe(`Window soon-${id}`);
    const notices = () => viewer.locator('#h-notices + table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
    expect(await notices()).toEqual([['scheduled', 'Jansen <it@jansen.example>', 'mail', 'sent']]);
    // A viewer gets no controls, and neither the confirmation nor the API lets it cancel.
    expect(await viewer.getByRole('link', { name: /Cancel run|Extend|Override/ }).count()).toBe(0);
    const occurrence = `/windows/soon-${id}/occurrences/${encodeURIComponent(startIso)}`;
    expect((await viewer.goto(`${server.url}${occurrence}/confirm/cancel`))?.status()).toBe(403);
    const csrf = await viewer.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
    const refused = await viewer.evaluate(async ([path, token]) => {
      const r = await fetch(path!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token! }, body: '{"reason": "x"}' });
      return { status: r.status, body: await r.text() };
    }, [`/api${occurrence}/cancel`, csrf] as const);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toMatch(/victor \(viewer\) may not do this: it needs the role operator/);

    const operator = await signIn('olivia', 'olivia-operates');
    await operator.goto(`${server.url}${occurrence}`);
    // An operator may cancel and extend; overriding an error budget is an admin's (and this window has none).
    expect(await operator.locator('.controls[aria-label="Controls of this run"] a').allTextContents()).toEqual(['Cancel run…', 'Extend…']);
    const operatorCsrf = await operator.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
    const override = await operator.evaluate(async ([path, token]) => {
      const r = await fetch(path!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token! }, body: '{"reason": "x"}' });
      return { status: r.status, body: await r.text() };
    }, [`/api${occurrence}/override`, operatorCsrf] as const);
    expect(override.status).toBe(403);
    expect(JSON.parse(override.body).error).toMatch(/olivia \(operator\) may not do this: it needs the role admin/);
    await operator.getByRole('link', { name: 'Cancel run…' }).click();
    await expect(operator.locator('#consequence').textContent()).resolves.toBe('Cancel calls the occurrence off before it begins: no task runs, and the customers who were told get a "cancelled" notice.');
    await operator.getByLabel(/Reason/).fill('supplier postponed the upgrade');
    await screenshot(operator, 'console-confirm-window-cancel');
    await operator.getByRole('button', { name: 'Yes, cancel' }).click();
    await expect(operator.getByRole('status').first().textContent()).resolves.toContain('Cancelled');
    await smtp.waitFor((m) => m.length >= 2, 'the cancelled notice', LONG);
    expect(smtp.messages[1]!.subject).toMatch(/^Onderhoud geannuleerd/);
    // The ledger records a notice when the mail server has answered: the page shows it on a reload soon after.
    const shown = async () => `${await operator.locator('[data-phase]').getAttribute('data-phase')} ${await operator.locator('#h-notices + table tbody tr').count()}`;
    for (let i = 0; i < 40 && (await shown()) !== 'cancelled 2'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await operator.reload();
    }
    await expect(operator.locator('[data-phase]').getAttribute('data-phase')).resolves.toBe('cancelled');
    expect(await operator.locator('#h-notices + table tbody tr td:nth-child(2)').allTextContents()).toEqual(['scheduled', 'cancelled']);
    expect(await operator.getByRole('link', { name: /Cancel run|Extend/ }).count()).toBe(0);
    await screenshot(operator, 'console-window-cancelled');
    const audit = (await auditEvents(store, { subject: `soon-${id}` })).map((e) => [e.actor, e.action, e.subject, e.reason]);
    expect(audit).toEqual([['olivia', 'cancel', `window soon-${id}`, 'supplier postponed the upgrade']]);
  }, 150_000);
});
