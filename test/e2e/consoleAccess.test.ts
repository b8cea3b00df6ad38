import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { connectClient, type Connected } from '../../control/connection';
import { setConsoleUser } from '../../control/consoleAccess';
import { controlRollout, startRollout } from '../../control/rollouts';
import { freePort } from '../../harness/ports';
import type { Store } from '../../store';
import { createWorker, type WorkerGroup } from '../../worker';
import { launchBrowser, newContext, screenshot } from '../helpers/browser';
import { startMaint, type LongRunning } from '../helpers/cli';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidcProvider';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

// Hang guards for a loaded machine, not timings: a wait that passes them fails the test.
const LONG = 120_000;

describe('console sign-in: OpenID Connect against a real provider, local users beside it (`maint console` in Chromium)', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;
  let store: Store;
  let temporal: Connected;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let idp: TestOidcProvider;
  let consoleProcess: LongRunning | undefined;
  let browser: Browser;
  let taskQueue: string;
  let url: string;
  let port: number;
  let consoleEnv: NodeJS.ProcessEnv;
  const contexts: BrowserContext[] = [];

  async function startConsoleProcess(): Promise<void> {
    consoleProcess = startMaint(['console', '--port', String(port)], consoleEnv);
    await consoleProcess.waitFor(/Operations console\s+http/, LONG);
  }
  async function stopConsoleProcess(): Promise<void> {
    await consoleProcess?.stop('SIGTERM');
    consoleProcess = undefined;
  }

  beforeAll(async () => {
    env = await connectTestEnv();
    fx = await startRolloutFixture(2);
    store = await testStore();
    taskQueue = uniqueTaskQueue('console-access');
    worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    running = worker.run();
    temporal = await connectClient({ TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue });
    const dir = mkdtempSync(join(tmpdir(), 'maint-console-access-'));
    const users = join(dir, 'console-users.yaml');
    await setConsoleUser(users, { name: 'olivia', role: 'operator', password: 'olivia-operates' });
    await setConsoleUser(users, { name: 'admin', role: 'admin', password: 'the-first-admin' });
    await setConsoleUser(users, { name: 'rita', role: 'viewer', password: 'rita-reads-a-lot' });
    port = await freePort();
    url = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      client: { clientId: 'maint-console', clientSecret: 'a-client-secret-of-the-console', redirectUri: `${url}/login/oidc/callback` },
      accounts: {
        oscar: { email: 'oscar@ops.example', groups: ['staff', 'maint-operators'] },
        nina: { email: 'nina@finance.example', groups: ['staff-finance'] },
      },
    });
    const secretFile = join(dir, 'oidc-client-secret');
    writeFileSync(secretFile, 'a-client-secret-of-the-console\n', { mode: 0o600 });
    consoleEnv = {
      TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: taskQueue,
      MAINT_DATA_DIR: join(dir, 'data'), MAINT_CONSOLE_USERS: users,
      MAINT_CONSOLE_OIDC_ISSUER: idp.issuer, MAINT_CONSOLE_OIDC_CLIENT_ID: 'maint-console',
      MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: secretFile, MAINT_CONSOLE_OIDC_SCOPES: 'openid email groups',
      MAINT_CONSOLE_OIDC_ROLES_CLAIM: 'groups', MAINT_CONSOLE_OIDC_ROLES: 'maint-admins=admin,maint-operators=operator,maint-viewers=viewer',
    };
    await startConsoleProcess();
    browser = await launchBrowser();
  }, 240_000);
  beforeEach(() => fx.reset());
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await stopConsoleProcess();
    await idp?.stop();
    worker?.shutdown();
    await running?.catch(() => undefined);
    await temporal?.close();
    await store?.close();
    await fx?.stop();
    await env?.teardown();
  });

  async function freshPage(): Promise<Page> {
    const context = await newContext(browser);
    contexts.push(context);
    return context.newPage();
  }
  const whoami = (page: Page) => page.evaluate(async () => {
    const r = await fetch('/api/whoami');
    return { status: r.status, body: await r.json() as Record<string, unknown> };
  });
  async function signInLocally(page: Page, name: string, password: string): Promise<number | undefined> {
    await page.goto(`${url}/login`);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel('Password').fill(password);
    const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === `${url}/login` && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await page.waitForLoadState();
    return answer.status();
  }

  /** Through the console's sign-in page to the provider's login and consent pages. */
  async function throughProvider(page: Page, login: string): Promise<void> {
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: `Sign in with ${new URL(idp.issuer).host}` }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('an operator signs in through the provider\'s login and consent pages, gets the role of their group, and a control is audited with the OIDC identity', async () => {
    const rolloutId = `oidc-${taskQueue.slice(-8)}`;
    await startRollout({ client: temporal.client, taskQueue }, { rolloutId, policy: fx.policy('waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\napproval: {after: canary}\n'), targets: { kind: 'inline', hosts: fx.hosts } });
    try {
      const page = await freshPage();
      await page.goto(`${url}/`);
      await screenshot(page, 'console-sign-in-oidc');
      await throughProvider(page, 'oscar');
      await page.waitForURL(`${url}/`);
      await expect(page.locator('header.top .who').textContent()).resolves.toContain('oscar@ops.example (operator)');
      expect(await whoami(page)).toEqual({ status: 200, body: { name: 'oscar@ops.example', role: 'operator', via: 'oidc' } });
      const cookie = (await page.context().cookies()).find((c) => c.name === 'maint-session')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

      // An operator's control, recorded with who the provider vouched for.
      await page.locator(`article[data-rollout="${rolloutId}"][data-status="awaiting-approval"]`).waitFor({ timeout: LONG });
      await page.goto(`${url}/rollouts/${rolloutId}/confirm/approve`);
      await page.getByRole('button', { name: 'Yes, approve' }).click();
      await expect(page.getByRole('status').first().textContent()).resolves.toContain('Approved');
      const audit = await page.evaluate(async (subject) => (await (await fetch(`/api/audit?subject=${subject}`)).json()) as { events: Array<{ actor: string; action: string; detail: Record<string, unknown> }> }, rolloutId);
      expect(audit.events.map((e) => [e.actor, e.action, e.detail])).toEqual([['oscar@ops.example', 'approve', { via: 'console (oidc)', subject: `oscar@${new URL(idp.issuer).host}`, approvedWave: 0 }]]);
      await page.goto(`${url}/audit`);
      await expect(page.locator('tbody tr').first().textContent()).resolves.toContain('oscar@ops.example');
      await screenshot(page, 'console-audit-oidc');

      // Local users keep working beside it.
      const local = await freshPage();
      await local.goto(`${url}/`);
      await local.getByLabel('User name').fill('olivia');
      await local.getByLabel('Password').fill('olivia-operates');
      await local.getByRole('button', { name: 'Sign in', exact: true }).click();
      await local.waitForURL(`${url}/`);
      expect((await whoami(local)).body).toEqual({ name: 'olivia', role: 'operator', via: 'password' });
    } finally {
      await controlRollout({ client: temporal.client, taskQueue }, rolloutId, 'abort', { by: 'test cleanup' }).catch(() => undefined);
      await temporal.client.workflow.getHandle(`rollout-${rolloutId}`).result().catch(() => undefined);
    }
  }, 360_000);

  it('someone whose groups map to no role is refused with a page that says so; a tampered state is refused', async () => {
    const nina = await freshPage();
    await throughProvider(nina, 'nina');
    await nina.waitForURL(`${url}/login/oidc/callback**`);
    await expect(nina.getByRole('alert').textContent()).resolves.toBe(`nina@finance.example signed in at ${new URL(idp.issuer).host}, but no role in this console is given to any of groups staff-finance. Ask an administrator to add you to a group that has one.`);
    await screenshot(nina, 'console-oidc-refused');
    expect((await whoami(nina)).status).toBe(401);

    // The provider sends the browser back; the state in the URL is not the one this browser's sign-in began with.
    // (Playwright does not intercept redirects, so the consent form's answer is followed here, up to the console.)
    const tampered = await freshPage();
    let callback: string | undefined;
    const reached = new Promise<void>((resolve) => void tampered.route(`${idp.issuer}/interaction/**`, async (route) => {
      if (callback !== undefined || route.request().method() !== 'POST' || !route.request().postData()?.includes('prompt=consent')) return route.continue();
      let response = await route.fetch({ maxRedirects: 0 });
      let location = response.headers().location;
      while (location !== undefined && !location.startsWith(url)) {
        response = await tampered.context().request.get(new URL(location, idp.issuer).href, { maxRedirects: 0 });
        location = response.headers().location;
      }
      callback = location;
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>held back</p>' });
      resolve();
    }));
    await throughProvider(tampered, 'oscar');
    await reached;
    await tampered.getByText('held back').waitFor();
    expect(callback).toMatch(new RegExp(`^${url}/login/oidc/callback\\?`));
    const forged = new URL(callback!);
    expect(forged.searchParams.get('state')).toBeTruthy();
    forged.searchParams.set('state', `${forged.searchParams.get('state')}x`);
    const answer = await tampered.goto(forged.href);
    expect(answer?.status()).toBe(403);
    await expect(tampered.getByRole('alert').textContent()).resolves.toMatch(/^Sign-in refused: .*state/);
    expect((await whoami(tampered)).status).toBe(401);
    // Nor can the genuine answer be replayed afterwards: a begun sign-in is used once.
    const replay = await tampered.goto(callback!);
    expect(replay?.status()).toBe(400);
    expect((await whoami(tampered)).status).toBe(401);
  }, 240_000);

  it('password sign-in: after 5 failures an account waits, with a message that says how long, even for the right password; other accounts from the same address do not', async () => {
    const page = await freshPage();
    for (let i = 1; i <= 5; i++) {
      expect(await signInLocally(page, 'rita', `wrong-guess-${i}`)).toBe(401);
      await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong user name or password.');
    }
    expect(await signInLocally(page, 'rita', 'rita-reads-a-lot')).toBe(429);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^Too many failed sign-ins for rita: try again in \d+ s \(after \d\d:\d\d:\d\d UTC\)\. Each further failure doubles the wait\.$/);
    await screenshot(page, 'console-sign-in-rate-limited');
    expect((await whoami(page)).status).toBe(401);
    // Where a sign-in goes next is a path of the console's, never another site (`//host`, `/\\host`).
    for (const next of ['//evil.example/', '/%5Cevil.example/', '/%5C%5Cevil.example/']) {
      await page.goto(`${url}/login?next=${next}`);
      expect(await page.locator('input[name="next"]').inputValue()).toBe('/');
    }
    await page.goto(`${url}/login?next=%2Faudit%3Factor%3Dolivia`);
    expect(await page.locator('input[name="next"]').inputValue()).toBe('/audit?actor=olivia');
    const other = await freshPage();
    expect(await signInLocally(other, 'olivia', 'olivia-operates')).toBe(303);
    expect((await whoami(other)).body).toMatchObject({ name: 'olivia' });
  }, 120_000);

  it('sessions survive a restart of `maint console`; after sign-out, the old cookie signs nobody in, before or after a restart', async () => {
    const page = await freshPage();
    expect(await signInLocally(page, 'admin', 'the-first-admin')).toBe(303);
    expect((await whoami(page)).body).toMatchObject({ name: 'admin', role: 'admin' });
    const cookie = (await page.context().cookies()).find((c) => c.name === 'maint-session')!;

    await stopConsoleProcess();
    await startConsoleProcess();
    await page.goto(`${url}/`);
    expect(page.url()).toBe(`${url}/`);
    await expect(page.locator('header.top .who').textContent()).resolves.toContain('admin (admin)');
    // The CSRF token of the forms still belongs to the session: signing out works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/login`);
    expect((await whoami(page)).status).toBe(401);

    // The browser forgot the cookie; one that kept it (a copy) gets nowhere, now or after a restart.
    await page.context().addCookies([cookie]);
    expect((await whoami(page)).status).toBe(401);
    await stopConsoleProcess();
    await startConsoleProcess();
    await page.goto(`${url}/`);
    await page.waitForURL(`${url}/login?next=%2F`);
    expect((await whoami(page)).status).toBe(401);
  }, 240_000);
});
