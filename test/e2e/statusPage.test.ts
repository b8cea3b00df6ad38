import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { formatPercent } from '../../policies/availability/daily';
import { DEFAULT_INCIDENT_RULES } from '../../policies/probes/schema';
import { windowRunId, type WindowPhase, type WindowStatus } from '../../policies/windows/types';
import { openStore, type Store } from '../../store';
import { recordProbeRound } from '../../store/incidents';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';
import type { PublicMaintenance } from '../../web/feeds';
import { freePort } from '../../harness/ports';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

const id = randomUUID().slice(0, 6);
const ORG = `Smith & Daughters ${id}`;
const [SHOP, API, MAIL] = ['webshop', 'api', 'mail'].map((s) => `${s}-${id}`) as [string, string, string];
const ZONE = 'Europe/Amsterdam';
/** In the files and the store, never on the page: the probes' targets and what a failed probe said. */
const LEAKS = ['10.20.30.40', 'db-7.internal', 'ECONNREFUSED', 'health-check', `probe-`];

/**
 * The status page as customers see it, in a real Chromium: `maint serve` against the run's Temporal
 * server with applied windows, window runs (completed, rolled back, in progress) and probe results
 * in the store. A Dutch customer in Amsterdam and an American one in New York, light and dark, and
 * a phone; screenshots in test-results/screenshots/.
 */
describe('the public status page in a browser', () => {
  let env: TestWorkflowEnvironment;
  let store: Store;
  let worker: Worker;
  let workerRun: Promise<void>;
  let serve: LongRunning;
  let browser: Browser;
  let base: string;
  let cliEnv: NodeJS.ProcessEnv;
  const runIds: string[] = [];
  const now = DateTime.now().setZone(ZONE);
  const completedStart = now.minus({ days: 10 }).set({ hour: 22, minute: 0, second: 0, millisecond: 0 });
  const rolledBackStart = now.minus({ days: 40 }).set({ hour: 23, minute: 0, second: 0, millisecond: 0 });
  const inProgressStart = now.minus({ minutes: 30 }).startOf('minute');
  const apiOnce = now.plus({ days: 10 }).set({ hour: 1, minute: 0, second: 0, millisecond: 0 });
  const badDay = now.minus({ days: 5 }).startOf('day');
  let badDayRounds = 0;

  const status = (window: string, service: { name: string; title: { nl: string; en: string } }, start: DateTime, hours: number, phase: WindowPhase, finishedAfterMin?: number): WindowStatus => ({
    window, title: service.title, services: [service],
    occurrence: { start: start.toUTC().toISO()!, end: start.plus({ hours }).toUTC().toISO()!, cutoff: start.plus({ hours: hours - 0.5 }).toUTC().toISO()!, localStart: start.toISO()!, localEnd: start.plus({ hours }).toISO()! },
    end: start.plus({ hours }).toUTC().toISO()!, phase, tasks: [{ name: 'health-check', state: phase === 'rolled-back' ? 'rolled-back' : 'completed', message: 'on db-7.internal (10.20.30.40)' }], notices: [],
    ...(finishedAfterMin !== undefined ? { finishedAt: start.plus({ minutes: finishedAfterMin }).toUTC().toISO()! } : {}),
  });

  beforeAll(async () => {
    env = await connectTestEnv();
    const dir = mkdtempSync(join(tmpdir(), 'maint-status-page-'));
    const dataDir = join(dir, 'data');
    store = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') });
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('status-page'), MAINT_DATA_DIR: dataDir };
    const org = join(dir, 'maint.yaml');
    writeFileSync(org, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: "${ORG}", contact: {email: support@smith.example, phone: "+31 20 123 4567"}}
services:
  - name: ${SHOP}
    title: {nl: "Webwinkel & kassa", en: "Web shop & tills"}
    probes: [{name: homepage, kind: http, url: "https://10.20.30.40/health"}]
  - name: ${API}
    title: API
    probes: [{name: database, kind: tcp, host: db-7.internal, port: 5432}]
  - name: ${MAIL}
    title: {nl: E-mail, en: Email}
windows:
  - name: ${SHOP}
    timezone: ${ZONE}
    recurrence: {kind: weekly, days: [sat], at: "22:00"}
    duration: 2h
    services: [${SHOP}]
    impact: {nl: "De kassa's kunnen even traag zijn.", en: "The tills may be slow for a moment."}
    notices: {leadTimes: [1m]}
    preflight: false
  - name: ${MAIL}
    timezone: ${ZONE}
    recurrence: {kind: weekly, days: [tue], at: "23:00"}
    duration: 1h
    services: [${MAIL}]
    notices: {leadTimes: [1m]}
    preflight: false
  - name: ${API}
    timezone: ${ZONE}
    recurrence: {kind: once, at: "${apiOnce.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 3h
    services: [${API}]
    impact: {nl: De API antwoordt af en toe trager., en: The API may answer more slowly at times.}
    notices: {leadTimes: [1m]}
    preflight: false
`);
    // The probe workflows start on a queue no worker polls: they are listed as running, and the results are this test's.
    const applied = await runMaint(['apply', '-f', org], cliEnv);
    if (applied.code !== 0) throw new Error(`maint apply failed: ${applied.stderr}`);

    // Runs as a worker leaves them: one completed ten days ago, one rolled back 40 days ago, one in progress.
    const standIns = uniqueTaskQueue('status-page-runs');
    worker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue: standIns, workflowsPath: require.resolve('../helpers/windowRunStandIn') });
    workerRun = worker.run();
    const shop = { name: SHOP, title: { nl: 'Webwinkel & kassa', en: 'Web shop & tills' } };
    for (const [window, s, start, hours, phase, after] of [
      [SHOP, shop, completedStart, 2, 'completed', 38],
      [MAIL, { name: MAIL, title: { nl: 'E-mail', en: 'Email' } }, rolledBackStart, 1, 'rolled-back', 47],
      [API, { name: API, title: { nl: 'API', en: 'API' } }, inProgressStart, 2, 'in-progress', undefined],
    ] as const) {
      const workflowId = windowRunId(window, start.toUTC().toISO()!);
      runIds.push(workflowId);
      await env.client.workflow.start('maintenanceWindowWorkflow', {
        taskQueue: standIns, workflowId, args: [{ status: status(window, s, start, hours, phase, after), finished: after !== undefined }],
        memo: { window, organisation: ORG },
      });
    }

    // Probe history: the web shop every hour for 90 days, six failed rounds five days ago; the API for 20 days.
    const results: RecordedProbeResult[] = [];
    for (const [service, probe, days] of [[SHOP, 'homepage', 90], [API, 'database', 20]] as const) {
      for (let at = now.minus({ days }).startOf('hour'); at < now.minus({ minutes: 30 }); at = at.plus({ hours: 1 })) {
        const failed = service === SHOP && at.hasSame(badDay, 'day') && at.hour >= 10 && at.hour < 16;
        if (service === SHOP && at.hasSame(badDay, 'day')) badDayRounds++;
        results.push({ service, probe, at: at.toMillis(), ok: !failed, ...(failed ? { error: 'connect ECONNREFUSED 10.20.30.40:443' } : { latencyMs: 40 }), roundId: `${service}/${at.toMillis()}`, location: 'maint-control' });
      }
    }
    await insertProbeResults(store.db, results);
    const last = now.minus({ seconds: 20 }).toMillis();
    for (const [service, probe] of [[SHOP, 'homepage'], [API, 'database']] as const) {
      await recordProbeRound(store, { id: `${service}/${last}`, service, at: last, location: 'maint-control', results: [{ service, probe, at: last, ok: true, latencyMs: 35 }] }, DEFAULT_INCIDENT_RULES);
    }

    const port = await freePort();
    serve = startMaint(['serve', '--port', String(port), '--organisation', ORG, '--cache', '1s'], cliEnv);
    await serve.waitFor(/maintenance feeds of .* on http:\/\/127\.0\.0\.1:\d+\//);
    base = `http://127.0.0.1:${port}`;
    // Schedules, runs and probe workflows show up in Temporal's lists a moment after they are made.
    await until('the runs and the probes on the page', async () => {
      const res = await fetch(`${base}/maintenance.json`);
      if (res.status !== 200) return undefined;
      const statuses = ((await res.json()) as { maintenance: PublicMaintenance[] }).maintenance.map((m) => m.status);
      const html = await (await fetch(`${base}/?lang=en`)).text();
      return ['completed', 'rolled-back', 'in-progress', 'scheduled'].every((s) => statuses.includes(s as PublicMaintenance['status'])) && html.includes('Operational') ? true : undefined;
    }, 90_000, 500);
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop('SIGTERM');
    for (const workflowId of runIds) await env?.client.workflow.getHandle(workflowId).terminate('test over').catch(() => undefined);
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    for (const name of [SHOP, API, MAIL]) await env?.client.schedule.getHandle(`window-${name}`).delete().catch(() => undefined);
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'serviceProbeWorkflow' AND ExecutionStatus = 'Running'` })) {
      if ((w.memo as Record<string, unknown> | undefined)?.organisation === ORG) await env.client.workflow.getHandle(w.workflowId).terminate('test over').catch(() => undefined);
    }
    await store?.close();
  });

  const open = async (path: string, options: Parameters<typeof newContext>[1]): Promise<Page> => {
    const context = await newContext(browser, options);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${base}${path}`);
    expect(res?.status()).toBe(200);
    expect(errors).toEqual([]);
    return page;
  };
  const service = (page: Page, title: string) => page.locator('li.service').filter({ has: page.locator('h3', { hasText: title }) });
  const card = (page: Page, section: string, title: string) => page.locator(`section[aria-labelledby="${section}"] article`).filter({ has: page.locator('h3', { hasText: title }) });
  const nextSaturday = () => {
    let d = now.set({ hour: 22, minute: 0, second: 0, millisecond: 0 });
    while (d.weekday !== 6 || d <= now) d = d.plus({ days: 1 }).set({ hour: 22, minute: 0 });
    return d;
  };
  const plain = (s: string | null) => (s ?? '').replace(/[\u2009\u202f]/g, ' ').replace(/\s+/g, ' ').trim();

  it('a Dutch customer in Amsterdam reads states, uptime and maintenance in Dutch, in their time, without a host name', async () => {
    const page = await open('/?lang=nl', { locale: 'nl-NL', timezoneId: ZONE });
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    expect(await page.title()).toBe(`${ORG} — Status en onderhoud`);
    expect(plain(await page.locator('.banner').innerText())).toBe('⚙ Er wordt nu onderhoud uitgevoerd: API');

    expect(plain(await service(page, 'Webwinkel & kassa').locator('.badge').innerText())).toBe('✓ Werkt normaal');
    expect(plain(await service(page, 'API').locator('.badge').innerText())).toBe('⚙ In onderhoud');
    expect(plain(await service(page, 'E-mail').locator('.badge').innerText())).toBe('– Niet bewaakt');
    expect(await service(page, 'E-mail').locator('ol.bar').count()).toBe(0);

    // 90 days a bar each, every day labelled (title and hidden text), the bad day with its figure.
    const days = service(page, 'Webwinkel & kassa').locator('ol.bar > li');
    expect(await days.count()).toBe(90);
    const badLabel = `${new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${badDay.toISODate()}T00:00:00Z`))}: ${formatPercent((100 * (badDayRounds - 6)) / badDayRounds, 'nl-NL')} beschikbaar (${badDayRounds} metingen)`;
    const bad = days.nth(89 - Math.round(now.startOf('day').diff(badDay, 'days').days));
    expect(await bad.getAttribute('title')).toBe(badLabel);
    expect(await bad.textContent()).toBe(badLabel);
    expect(await bad.getAttribute('class')).toBe('d d-down');
    expect(await service(page, 'Webwinkel & kassa').locator('.bar-legend').textContent()).toMatch(/99,\d+% beschikbaar in de afgelopen 90 dagen/);
    expect(await service(page, 'API').locator('ol.bar > li.d-none').count()).toBeGreaterThanOrEqual(69);
    expect(await service(page, 'API').locator('.bar-legend').textContent()).toMatch(/100% beschikbaar over de 2\d gemeten dagen/);

    // Upcoming: the next Saturday at 22:00 Amsterdam time, in Dutch words, with what changes.
    const saturday = nextSaturday();
    const upcoming = card(page, 'upcoming', 'Webwinkel & kassa').first();
    const when = upcoming.locator('time');
    expect(await when.getAttribute('datetime')).toBe(saturday.toUTC().toISO());
    expect(plain(await when.innerText())).toContain(`${saturday.setLocale('nl').toFormat('cccc d LLLL')}${saturday.year === now.year ? '' : ` ${saturday.year}`} om 22:00 CET`);
    expect(plain(await upcoming.innerText())).toContain("Wat u merkt De kassa's kunnen even traag zijn.");
    expect(await card(page, 'upcoming', 'Webwinkel & kassa').count()).toBeLessThanOrEqual(3);
    expect(plain(await card(page, 'upcoming', 'API').innerText())).toContain(`${apiOnce.setLocale('nl').toFormat('cccc d LLLL')}`);

    // In progress and past, with the real end.
    expect(plain(await card(page, 'now', 'API').innerText())).toContain('Bezig');
    const completed = card(page, 'past', 'Webwinkel & kassa');
    expect(plain(await completed.innerText())).toContain(`Afgerond Wanneer ${completedStart.setLocale('nl').toFormat('cccc d LLLL')}`);
    expect(plain(await completed.innerText())).toContain(`Klaar ${completedStart.setLocale('nl').toFormat('cccc d LLLL')} om 22:38`);
    expect(plain(await card(page, 'past', 'E-mail').innerText())).toContain(`Teruggedraaid Wanneer ${rolledBackStart.setLocale('nl').toFormat('cccc d LLLL')}`);
    expect(plain(await card(page, 'past', 'E-mail').innerText())).toContain('om 23:47');

    // Subscribe and contact.
    expect(await page.getByRole('link', { name: 'Agenda (iCal)' }).getAttribute('href')).toBe('maintenance.ics?lang=nl');
    expect(await page.getByRole('link', { name: 'Berichten per e-mail' }).getAttribute('href')).toMatch(/^mailto:support@smith\.example\?subject=/);
    expect(plain(await page.locator('footer').innerText())).toContain('Vragen? support@smith.example · +31 20 123 4567');
    expect(plain(await page.locator('footer').innerText())).toContain('Tijden in Europe/Amsterdam.');

    const html = await page.content();
    for (const leak of LEAKS) expect(html).not.toContain(leak);
    expect(await page.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(246, 247, 249)');
    await screenshot(page, 'status-page-nl-light');
    await page.context().close();

    const dark = await open('/?lang=nl', { locale: 'nl-NL', timezoneId: ZONE, colorScheme: 'dark' });
    expect(await dark.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    expect(plain(await service(dark, 'Webwinkel & kassa').locator('.badge').innerText())).toBe('✓ Werkt normaal');
    await screenshot(dark, 'status-page-nl-dark');
    await dark.context().close();
  });

  it('an English customer in New York gets the times in New York (from the browser), in their own English', async () => {
    const page = await open('/?lang=en', { locale: 'en-US', timezoneId: 'America/New_York' });
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const saturday = nextSaturday().setZone('America/New_York');
    const when = card(page, 'upcoming', 'Web shop & tills').first().locator('time');
    expect(await when.getAttribute('datetime')).toBe(saturday.toUTC().toISO());
    // 22:00 in Amsterdam is 4:00 PM in New York; en-US writes "Saturday, December 5".
    expect(plain(await when.innerText())).toMatch(new RegExp(`^${saturday.setLocale('en-US').toFormat('cccc, LLLL d')}(, ${saturday.year})?,? (at )?4:00 – 6:00 PM EST$`));
    expect(plain(await page.locator('footer').innerText())).toContain('Times in America/New_York.');
    expect(plain(await service(page, 'Web shop & tills').locator('.badge').innerText())).toBe('✓ Operational');
    expect(plain(await service(page, 'Email').locator('.badge').innerText())).toBe('– Not monitored');
    const bad = service(page, 'Web shop & tills').locator('ol.bar > li.d-down');
    expect(await bad.getAttribute('title')).toMatch(/^\d+ \w+ \d{4}: 75% available \(\d+ checks\)$/);
    expect(plain(await card(page, 'past', 'Email').innerText())).toContain('Rolled back');
    const html = await page.content();
    for (const leak of LEAKS) expect(html).not.toContain(leak);
    await screenshot(page, 'status-page-en-light');
    await page.context().close();

    const dark = await open('/?lang=en', { locale: 'en-US', timezoneId: 'America/New_York', colorScheme: 'dark' });
    expect(await dark.evaluate<string>('getComputedStyle(document.body).backgroundColor')).toBe('rgb(13, 17, 23)');
    await screenshot(dark, 'status-page-en-dark');
    await dark.context().close();

    // ?tz= wins over the browser: the server writes the zone asked for, no script rewrites it.
    const chosen = await open('/?lang=en&tz=Asia/Tokyo', { locale: 'en-US', timezoneId: 'America/New_York' });
    expect(plain(await card(chosen, 'upcoming', 'Web shop & tills').first().locator('time').innerText())).toContain('06:00');
    expect(plain(await chosen.locator('footer').innerText())).toContain('Times in Asia/Tokyo.');
    await chosen.context().close();
  });

  it('fits a phone: nothing wider than the screen', async () => {
    const page = await open('/?lang=nl', { locale: 'nl-NL', timezoneId: ZONE, viewport: { width: 390, height: 844 } });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await service(page, 'Webwinkel & kassa').locator('ol.bar > li').count()).toBe(90);
    await screenshot(page, 'status-page-nl-phone');
    await page.context().close();
  });
});
