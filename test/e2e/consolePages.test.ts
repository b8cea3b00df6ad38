import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { connectClient, type Connected } from '../../control/connection';
import { ConsoleAccess, setConsoleUser } from '../../control/consoleAccess';
import { loadOrganisation } from '../../control/organisation';
import type { PendingUpdate } from '../../policies/compliance/types';
import type { Store } from '../../store';
import { recordHostScan } from '../../store/compliance';
import { recordProbeRound } from '../../store/incidents';
import { startConsole } from '../../web/console/server';
import type { Listening } from '../../web/listen';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { connectTestEnv, testStore, uniqueTaskQueue } from '../helpers/temporal';

const id = randomUUID().slice(0, 6);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const org = `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Pages ${id}, contact: {email: support@acme.example}}
slaTiers:
  - {name: gold, availability: "99.9%", timezone: UTC}
services:
  - name: shop-${id}
    title: {nl: Winkel, en: Shop}
    tier: gold
    probes: [{name: home, kind: http, url: "https://shop.example.com/"}]
    probeInterval: 1h
  - name: api-${id}
    title: {nl: API, en: API}
    probes: [{name: ping, kind: http, url: "https://api.example.com/"}]
    probeInterval: 1h
dependencies:
  github: { baseUrl: "http://127.0.0.1:9", auth: { kind: token, tokenEnv: MAINT_CONSOLE_PAGES_GITHUB_TOKEN } }
  repositories:
    - { repo: acme/shop-${id}, managers: [npm] }
  policies:
    - minimumReleaseAge: 3d
`;

const update = (pkg: string, classification: PendingUpdate['classification']): PendingUpdate =>
  ({ package: pkg, installed: '1.0', candidate: '1.1', source: 'bookworm-security', classification, severity: 'unspecified', cves: [], held: false });

describe('the console\'s Hosts and Services pages in Chromium, from the store', () => {
  let env: TestWorkflowEnvironment;
  let store: Store;
  let temporal: Connected;
  let server: Listening;
  let browser: Browser;
  let page: Page;
  const now = Date.now();
  const today = Math.floor(now / DAY) * DAY;

  beforeAll(async () => {
    env = await connectTestEnv();
    store = await testStore();
    temporal = await connectClient({ TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('console-pages') });
    const dir = mkdtempSync(join(tmpdir(), 'maint-console-pages-'));
    writeFileSync(join(dir, 'maint.yaml'), org);
    const users = join(dir, 'console-users.yaml');
    await setConsoleUser(users, { name: 'victor', role: 'viewer', password: 'victor-views-only' });

    // Three hosts: one patched between its two scans, one with security updates and a reboot pending, one whose scan failed.
    const [web1, web2, db1] = [`web-1-${id}`, `web-2-${id}`, `db-1-${id}`];
    await recordHostScan(store, 'scan-a', { host: web1, at: now - 3 * DAY, ok: true, manager: 'apt', updates: [update('openssl', 'security'), update('curl', 'other')], rebootRequired: false });
    await recordHostScan(store, 'scan-b', { host: web1, at: now - 2 * DAY, ok: true, manager: 'apt', updates: [], rebootRequired: false });
    await recordHostScan(store, 'scan-b', { host: web2, at: now - 2 * DAY, ok: true, manager: 'apt', updates: [update('openssl', 'security'), update('libc6', 'security'), update('vim', 'other')], rebootRequired: true });
    await recordHostScan(store, 'scan-b', { host: db1, at: now - 2 * DAY, ok: false, error: 'sudo: a password is required' });

    // Hourly rounds of the shop over the last 5 days (UTC): 2 days ago 6 of 24 down; the last 3 rounds down (an incident opens).
    const shop = `shop-${id}`;
    for (let at = today - 4 * DAY; at < now; at += HOUR) {
      const down = (at >= today - 2 * DAY && at < today - 2 * DAY + 6 * HOUR) || at > now - 3 * HOUR;
      await recordProbeRound(store, { id: `${shop}/${at}`, service: shop, at, location: 'test', results: [{ service: shop, probe: 'home', at, ok: !down, latencyMs: 20, ...(down ? { error: 'HTTP 503' } : {}) }] }, { after: 3, resolveAfter: 1 });
    }
    server = await startConsole({ context: { temporal, store, organisation: await loadOrganisation([join(dir, 'maint.yaml')]) }, access: new ConsoleAccess(users) });
    browser = await launchBrowser();
    page = await (await newContext(browser)).newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('User name').fill('victor');
    await page.getByLabel('Password').fill('victor-views-only');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await temporal?.close();
    await store?.close();
    void env;
  });

  it('lists each host\'s compliance from its latest scans: status, pending security updates, reboot pending, last patched', async () => {
    await page.goto(`${server.url}/hosts`);
    const rows = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 5).map((c) => (c as unknown as { innerText: string }).innerText.replace(/\s+/g, ' ').trim())));
    const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
    expect(rows).toEqual([
      [`db-1-${id}`, `scan failed scanned ${iso(now - 2 * DAY)}`, '—', '—', '—'],
      [`web-1-${id}`, `up to date scanned ${iso(now - 2 * DAY)}`, '0 of 0', 'no', `by ${iso(now - 2 * DAY)}`],
      [`web-2-${id}`, `security updates pending scanned ${iso(now - 2 * DAY)}`, '2 of 3', 'yes', '—'],
    ]);
    await expect(page.locator(`tr[data-host="db-1-${id}"] .pill`).getAttribute('title')).resolves.toBe('sudo: a password is required');
    await screenshot(page, 'console-hosts-compliance');
  });

  it('shows each service\'s 90-day uptime bar, availability this month against its target, budget left and its open incident', async () => {
    await page.goto(`${server.url}/services`);
    const shop = page.locator(`tr[data-service="shop-${id}"]`);
    const bar = shop.locator('+ tr.uptime-row ol.uptime > li');
    expect(await bar.count()).toBe(90);
    const days = await bar.evaluateAll((lis) => lis.slice(-5).map((li) => [li.getAttribute('data-day'), li.getAttribute('data-level')]));
    const day = (n: number) => DateTime.fromMillis(today - n * DAY, { zone: 'UTC' }).toISODate();
    // The last three rounds are down: today, or partly yesterday in the first hours of a UTC day.
    expect(days).toEqual([[day(4), 'up'], [day(3), 'up'], [day(2), 'down'], [day(1), now - today >= 3 * HOUR ? 'up' : 'down'], [day(0), 'down']]);
    await expect(bar.nth(87).getAttribute('title')).resolves.toBe(`${day(2)}: 75% up (24 rounds, 6 down)`);
    await expect(bar.first().getAttribute('title')).resolves.toMatch(/: no data$/);
    const cells = (await shop.locator('td').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(cells[0]).toBe('down');
    expect(cells[1]).toBe('gold');
    expect(cells[2]).toMatch(/^\d+\.\d{3}% of 99.9% target below target$/);
    expect(cells[3]).toMatch(/^-?\d+\.\d min of \d+\.\d min/);
    expect(cells[4]).toMatch(/^open .* \(since \d{4}-\d\d-\d\d/);
    // A service without a tier has bars but no figures; without rounds, it says so.
    const api = page.locator(`tr[data-service="api-${id}"]`);
    expect((await api.locator('td').allTextContents()).slice(0, 4)).toEqual(['unknown', '—', '—', '—']);
    await expect(api.locator('+ tr.uptime-row .uptime-legend').textContent()).resolves.toContain('No uptime measured yet');
    await screenshot(page, 'console-services-uptime');
  });

  it('lists the repositories of the dependencies section, each with its latest run, open PRs and what waits', async () => {
    await page.getByRole('link', { name: 'Dependencies' }).click();
    const repo = page.locator(`section[data-repo="acme/shop-${id}"]`);
    await expect(repo.locator('h2').textContent()).resolves.toBe(`acme/shop-${id}`);
    await expect(repo.locator('.status').textContent()).resolves.toBe('never run');
    await expect(repo.locator('header .muted').textContent()).resolves.toContain('no merge window: PRs are merged by people');
    expect(await repo.locator('h3').allTextContents()).toEqual(['Open upgrade PRs (0)', 'What waits, and why (0)']);
    await screenshot(page, 'console-dependencies');
    // The same, for scripts.
    const api = await page.evaluate(async () => (await fetch('/api/dependencies')).json()) as { repositories: Array<{ repo: string; state: string }> };
    expect(api.repositories.map((r) => [r.repo, r.state])).toEqual([[`acme/shop-${id}`, 'never run']]);
  });
});
