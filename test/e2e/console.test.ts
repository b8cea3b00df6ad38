import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { connectClient, type Connected } from '../../control/connection';
import { addConsoleToken, ConsoleAccess, setConsoleUser } from '../../control/consoleAccess';
import { controlRollout, startRollout } from '../../control/rollouts';
import type { Store } from '../../store';
import { startConsole } from '../../web/console/server';
import type { Listening } from '../../web/listen';
import { createWorker, type WorkerGroup } from '../../worker';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

// Hang guards for a loaded machine, not timings: a wait that passes them fails the test.
const LONG = 120_000;

describe('the operations console in Chromium, on a real rollout over 6 sshd hosts', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;
  let store: Store;
  let temporal: Connected;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let server: Listening;
  let browser: Browser;
  let taskQueue: string;
  const tokens: Record<string, string> = {};
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    env = await connectTestEnv();
    fx = await startRolloutFixture(6);
    store = await testStore();
    taskQueue = uniqueTaskQueue('console');
    worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    running = worker.run();
    temporal = await connectClient({ TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue });
    const users = join(mkdtempSync(join(tmpdir(), 'maint-console-')), 'console-users.yaml');
    await setConsoleUser(users, { name: 'olivia', role: 'operator', password: 'olivia-operates' });
    await setConsoleUser(users, { name: 'victor', role: 'viewer', password: 'victor-views-only' });
    tokens.viewer = addConsoleToken(users, { name: 'dashboard-script', role: 'viewer' });
    tokens.operator = addConsoleToken(users, { name: 'deploy-bot', role: 'operator' });
    server = await startConsole({ context: { temporal, store }, access: new ConsoleAccess(users) });
    browser = await launchBrowser();
  });
  beforeEach(() => fx.reset());
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    worker?.shutdown();
    await running?.catch(() => undefined);
    await temporal?.close();
    await store?.close();
    await fx?.stop();
    await env?.teardown();
  });

  const ctx = () => ({ client: temporal.client, taskQueue });
  async function start(rolloutId: string, overrides: string): Promise<string> {
    await startRollout(ctx(), { rolloutId, policy: fx.policy(overrides), targets: { kind: 'inline', hosts: fx.hosts } });
    return rolloutId;
  }
  const uniqueId = (label: string) => `${label}-${taskQueue.slice(-8)}-${Math.random().toString(36).slice(2, 6)}`;

  async function signIn(name: string, password: string): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/`);
    return page;
  }

  const card = (page: Page, id: string) => page.locator(`article[data-rollout="${id}"]`);
  const waveStates = (page: Page, id: string) => card(page, id).locator('ol.waves > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-state')));
  const hostStates = (page: Page, id: string) => card(page, id).locator('ul.hosts > li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-host'), li.getAttribute('data-state')]));

  it('operator watches a rollout wave by wave, approves its gates, aborts another and sees its batch rolled back; the audit page lists both with the identity', async () => {
    const gated = await start(uniqueId('gated'), 'waves: {canary: 1, batches: [2, "100%"]}\nmaxUnavailable: 2\napproval: {after: every-wave}\n');
    const page = await signIn('olivia', 'olivia-operates');

    // The Now page, live: the canary wave done, the rollout waiting at its gate, the later waves pending.
    await card(page, gated).and(page.locator('[data-status="awaiting-approval"]')).waitFor({ timeout: LONG });
    expect(await waveStates(page, gated)).toEqual(['done', 'pending', 'pending']);
    await expect(card(page, gated).locator('li[data-host="host-1"]').textContent()).resolves.toMatch(/✓ host-1 healthy\s*1\.0\.0 → 2\.0\.0/);
    expect(await card(page, gated).locator('li[data-host="host-2"]').textContent()).toContain('pending');
    await screenshot(page, 'console-now-awaiting-approval');

    // Approve behind a confirmation that says what it does.
    await card(page, gated).getByRole('link', { name: 'Approve…' }).click();
    await expect(page.locator('#consequence').textContent()).resolves.toBe('Approve lets the rollout go on after wave 0 (canary): 5 hosts still to patch.');
    await screenshot(page, 'console-confirm-approve');
    await page.getByRole('button', { name: 'Yes, approve' }).click();
    await expect(page.getByRole('status').first().textContent()).resolves.toContain('Approved: the rollout goes on after wave 0.');

    // The rollout page follows it to the next gate, after wave 1.
    await card(page, gated).and(page.locator('[data-status="awaiting-approval"]')).locator('li[data-wave="1"][data-state="done"]').waitFor({ timeout: LONG });
    expect(await waveStates(page, gated)).toEqual(['done', 'done', 'pending']);
    await card(page, gated).getByRole('link', { name: 'Approve…' }).click();
    await expect(page.locator('#consequence').textContent()).resolves.toBe('Approve lets the rollout go on after wave 1: 3 hosts still to patch.');
    await page.getByRole('button', { name: 'Yes, approve' }).click();
    await card(page, gated).and(page.locator('[data-status="completed"]')).waitFor({ timeout: LONG });
    expect(await waveStates(page, gated)).toEqual(['done', 'done', 'done']);
    expect(await hostStates(page, gated)).toEqual(fx.hosts.map((h) => [h.name, 'healthy']));
    expect(await card(page, gated).getByRole('link', { name: /Approve|Abort|Pause/ }).count()).toBe(0);
    await screenshot(page, 'console-rollout-completed');
    expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(Array(6).fill('2.0.0'));

    // A second rollout whose wave 1 can only end by an abort: 2.0.0 is unhealthy on its three hosts.
    fx.reset();
    for (const i of [1, 2, 3]) fx.makeUnhealthy(i, '2.0.0');
    const doomed = await start(uniqueId('doomed'), 'waves: {canary: 1, batches: [3, "100%"]}\nmaxUnavailable: 3\nhealth: {checks: [{kind: http, url: "http://127.0.0.1:{{host.tags.healthPort}}/health"}], interval: 300ms, consecutiveSuccesses: 2, deadline: 15m}\n');
    await page.goto(`${server.url}/`);
    await card(page, doomed).locator('ul.hosts > li[data-state="verifying"]').nth(2).waitFor({ timeout: LONG });
    expect(await card(page, doomed).locator('ul.hosts > li[data-state="verifying"]').count()).toBe(3);
    await screenshot(page, 'console-now-wave-in-flight');
    await card(page, doomed).getByRole('link', { name: 'Abort…' }).click();
    await expect(page.locator('#consequence').textContent()).resolves.toBe('Abort rolls back 3 hosts in wave 1 and skips the 2 hosts not yet started; hosts of earlier waves keep their new version.');
    await page.getByLabel(/Reason/).fill('customer escalation');
    await screenshot(page, 'console-confirm-abort');
    await page.getByRole('button', { name: 'Yes, abort' }).click();
    await card(page, doomed).and(page.locator('[data-status="aborted"]')).waitFor({ timeout: LONG });
    expect(await hostStates(page, doomed)).toEqual([['host-1', 'healthy'], ['host-2', 'rolled-back'], ['host-3', 'rolled-back'], ['host-4', 'rolled-back'], ['host-5', 'skipped'], ['host-6', 'skipped']]);
    await expect(card(page, doomed).locator('.notice').textContent()).resolves.toBe('aborted by olivia: customer escalation');
    await expect(card(page, doomed).locator('li[data-host="host-3"]').getAttribute('title')).resolves.toMatch(/host-3: rolled-back\n1\.0\.0 \(back from 2\.0\.0\)/);
    await screenshot(page, 'console-rollout-aborted');
    expect([1, 2, 3].map((i) => fx.version(i))).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect([4, 5].map((i) => fx.applyCount(i))).toEqual([0, 0]);

    // The audit trail: who did what to which rollout, filterable.
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Actor').fill('olivia');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = async () => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1, 5).map((td) => td.textContent)));
    const ours = (await rows()).filter(([, , subject]) => subject === `rollout ${gated}` || subject === `rollout ${doomed}`);
    expect(ours).toEqual([
      ['olivia', 'abort', `rollout ${doomed}`, 'customer escalation'],
      ['olivia', 'approve', `rollout ${gated}`, ''],
      ['olivia', 'approve', `rollout ${gated}`, ''],
    ]);
    await screenshot(page, 'console-audit');
    await page.getByLabel('Action').selectOption('abort');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect((await rows()).every(([, action]) => action === 'abort')).toBe(true);
    expect(page.url()).toContain('action=abort');

    await page.getByRole('link', { name: 'Hosts' }).click();
    await expect(page.locator('tbody tr').first().textContent()).resolves.toContain('host-1');
    await screenshot(page, 'console-hosts');
    await page.getByRole('link', { name: 'Services' }).click();
    await screenshot(page, 'console-services');
  }, 360_000);

  it('a viewer sees no controls and the API refuses them (403); a POST without the CSRF token, or from another origin, is refused; scripts use tokens', async () => {
    const gated = await start(uniqueId('viewer'), 'waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\napproval: {after: canary}\n');
    try {
      const viewer = await signIn('victor', 'victor-views-only');
      await card(viewer, gated).and(viewer.locator('[data-status="awaiting-approval"]')).waitFor({ timeout: LONG });
      expect(await card(viewer, gated).locator('.controls').count()).toBe(0);
      expect(await viewer.getByRole('link', { name: /Approve|Abort|Pause|Resume/ }).count()).toBe(0);
      await expect(viewer.locator('header.top .who').textContent()).resolves.toContain('victor (viewer)');
      await screenshot(viewer, 'console-now-viewer');
      const csrfOf = (page: Page) => page.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
      const post = (page: Page, path: string, headers: Record<string, string>) => page.evaluate(async ([p, h]) => {
        const r = await fetch(p!, { method: 'POST', headers: { 'content-type': 'application/json', ...(h as Record<string, string>) }, body: '{}' });
        return { status: r.status, body: await r.text() };
      }, [path, headers] as const);
      // With its own session's CSRF token, from the console's origin: refused by role.
      const refused = await post(viewer, `/api/rollouts/${gated}/approve`, { 'x-csrf-token': await csrfOf(viewer) });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error).toMatch(/victor \(viewer\) may not do this: it needs the role operator/);
      const page = await viewer.goto(`${server.url}/rollouts/${gated}/confirm/approve`);
      expect(page?.status()).toBe(403);

      const operator = await signIn('olivia', 'olivia-operates');
      await card(operator, gated).getByRole('link', { name: 'Approve…' }).waitFor({ timeout: LONG });
      // The operator's browser, without the token: refused, and the rollout still waits.
      const noToken = await post(operator, `/api/rollouts/${gated}/pause`, {});
      expect(noToken.status).toBe(403);
      expect(JSON.parse(noToken.body).error).toMatch(/no valid CSRF token/);
      // A form of another site (the browser sends the cookie? SameSite=Strict says no; were it sent, the origin is refused).
      const cookie = (await operator.context().cookies()).find((c) => c.name === 'maint-session')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      const crossSite = await fetch(`${server.url}/rollouts/${gated}/approve`, {
        method: 'POST', redirect: 'manual',
        headers: { cookie: `maint-session=${cookie.value}`, origin: 'http://attacker.example', 'content-type': 'application/x-www-form-urlencoded' },
        body: `_csrf=${encodeURIComponent(await csrfOf(operator))}`,
      });
      expect(crossSite.status).toBe(403);
      expect((await temporal.client.workflow.getHandle(`rollout-${gated}`).describe()).status.name).toBe('RUNNING');
      const progress = await (await fetch(`${server.url}/api/rollouts/${gated}`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).json() as { status: string; controls: Array<{ action: string }> };
      expect(progress.status).toBe('awaiting-approval');

      // Scripts: no credentials 401, a viewer token reads but may not control, an operator token controls (audited as its name).
      expect((await fetch(`${server.url}/api/now`)).status).toBe(401);
      expect((await fetch(`${server.url}/api/now`, { headers: { authorization: 'Bearer mct_not-a-token' } })).status).toBe(401);
      const now = await (await fetch(`${server.url}/api/now`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).json() as { rollouts: Array<{ rolloutId: string }> };
      expect(now.rollouts.map((r) => r.rolloutId)).toContain(gated);
      expect((await fetch(`${server.url}/api/rollouts/${gated}/approve`, { method: 'POST', headers: { authorization: `Bearer ${tokens.viewer}` } })).status).toBe(403);
      const bad = await fetch(`${server.url}/api/rollouts/${gated}/approve`, { method: 'POST', headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json' }, body: '{"reason": 42}' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^body: reason: /);
      const approved = await fetch(`${server.url}/api/rollouts/${gated}/approve`, { method: 'POST', headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/json' }, body: '{"reason": "canary looks fine"}' });
      expect(approved.status).toBe(200);
      expect(await approved.json()).toEqual({ rolloutId: gated, action: 'approve', approvedWave: 0 });
      const audit = await (await fetch(`${server.url}/api/audit?subject=${gated}`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).json() as { events: Array<{ actor: string; action: string; reason?: string }> };
      expect(audit.events.map((e) => [e.actor, e.action, e.reason])).toEqual([['deploy-bot', 'approve', 'canary looks fine']]);
      expect((await fetch(`${server.url}/api/audit?since=yesterday`, { headers: { authorization: `Bearer ${tokens.viewer}` } })).status).toBe(400);
    } finally {
      await controlRollout(ctx(), gated, 'abort', { by: 'test cleanup' }).catch(() => undefined);
      await temporal.client.workflow.getHandle(`rollout-${gated}`).result().catch(() => undefined);
    }
  }, 240_000);
});
