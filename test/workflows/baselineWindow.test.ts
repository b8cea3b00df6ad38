// A maintenance window whose rollout task installs a patch baseline, on a hermetic Debian host
// (real apt and dpkg behind real sshd, helpers/aptSandbox.ts), through the real Temporal dev
// server, with notices and operations alerts delivered to a real local webhook receiver.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { loadOrganisation } from '../../control/organisation';
import { windowRunId, type WindowPlan, type WindowStatus } from '../../policies/windows/types';
import { createWorker } from '../../worker';
import { installOnSandbox, startAptSandbox, type AptSandbox } from '../helpers/aptSandbox';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

const DAY = 86_400_000;

describe('a window whose rollout task installs a patch baseline', () => {
  let env: TestWorkflowEnvironment;
  let host: AptSandbox;
  let dir: string;
  let receiver: Server;
  let port: number;
  const received: Array<{ path: string; subject: string; text: string }> = [];

  beforeAll(async () => {
    env = await connectTestEnv();
    host = await startAptSandbox('blw');
    dir = mkdtempSync(join(tmpdir(), 'maint-baseline-window-'));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const json = JSON.parse(body) as { subject: string; text: string };
        received.push({ path: req.url ?? '', subject: json.subject, text: json.text });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  }, 120_000);
  afterAll(async () => {
    await host?.stop();
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    await env?.teardown();
  });

  /** The window starts at the next-but-one minute: its "scheduled" notice and pre-flight run at once. */
  async function plan(afterDays: number): Promise<WindowPlan> {
    const { name, address, port: sshPort, user, hostKey, identityFile } = host.host;
    writeFileSync(join(dir, 'inventory.yaml'), `apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - ${JSON.stringify({ name, address, port: sshPort, user, hostKey, ...(identityFile !== undefined ? { identityFile } : {}) })}\n`);
    mkdirSync(join(dir, 'baselines'), { recursive: true });
    writeFileSync(join(dir, 'baselines', 'web-default.yaml'), `apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {classification: [security], afterDays: ${afterDays}}\n`);
    writeFileSync(join(dir, 'web.yaml'), 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: web-baseline\ntargets: {inventory: inventory.yaml}\nstrategy: {kind: apt, packages: {baseline: web-default}}\n');
    const start = DateTime.utc().plus({ minutes: 2 }).startOf('minute').toFormat("yyyy-LL-dd'T'HH:mm");
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: support@acme.example}}
channels:
  - {name: customer, kind: webhook, url: "http://127.0.0.1:${port}/customer", unsigned: true}
  - {name: ops, kind: webhook, url: "http://127.0.0.1:${port}/ops", unsigned: true}
operations: {alerts: [{channel: ops}]}
services:
  - {name: web, subscribers: [{name: Customer, channel: customer, language: en}]}
windows:
  - name: web-${afterDays}
    timezone: UTC
    recurrence: {kind: once, at: "${start}"}
    duration: 30m
    cutoff: 20m
    services: [web]
    notices: {leadTimes: [1h], describeUpdates: true}
    preflight: {before: 1h}
    tasks: [{kind: rollout, policy: web.yaml, urgency: security}]
`);
    return (await loadOrganisation([file])).windows[0]!;
  }

  async function runWindow(p: WindowPlan): Promise<WindowStatus> {
    const taskQueue = uniqueTaskQueue('baseline-window');
    const store = await testStore();
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    try {
      return await worker.runUntil(async () => {
        const occurrenceStart = new Date(Date.parse(`${p.timing.recurrence.kind === 'once' ? p.timing.recurrence.at : ''}:00Z`)).toISOString();
        const handle = await env.client.workflow.start('maintenanceWindowWorkflow', { taskQueue, workflowId: `${windowRunId(p.name, occurrenceStart)}-${taskQueue}`, args: [{ plan: p, occurrenceStart }], memo: { window: p.name } });
        return (await handle.result()) as WindowStatus;
      });
    } finally {
      await store.close();
    }
  }

  async function freshHost(): Promise<void> {
    const now = Date.now();
    await host.reset(['old-security', 'new-security']);
    host.publish('old-security', [{ name: 'maint-sec', version: '1:1.0.0' }, { name: 'maint-sec', version: '1:1.0.1' }], new Date(now - 10 * DAY));
    host.publish('new-security', [{ name: 'maint-fresh', version: '1.0' }, { name: 'maint-fresh', version: '1.1' }], new Date(now - 2 * DAY));
    await installOnSandbox(host, ['maint-sec=1:1.0.0', 'maint-fresh=1.0']);
  }

  it('the scheduled notice names the approved security update, the pre-flight lists it per host, and the window installs it', async () => {
    await freshHost();
    received.length = 0;
    const status = await runWindow(await plan(7));
    const scheduled = received.find((r) => r.path === '/customer' && r.subject.startsWith('Scheduled maintenance'));
    expect(scheduled?.text).toContain('We will install security updates for maint-sec.');
    expect(scheduled?.text).not.toContain('maint-fresh');
    expect(status.preflight?.installs).toEqual([`task 1 (web-baseline) ${host.host.name}: maint-sec 1:1.0.0 → 1:1.0.1 (security) (1 pending not approved yet or held)`]);
    expect(status.tasks.map((t) => t.state)).toEqual(['completed']);
    expect(await host.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.1' });
    expect(received.filter((r) => r.path === '/ops')).toEqual([]);
  }, 400_000);

  it('nothing approved: operations are told at the pre-flight and on the night; no host is touched', async () => {
    await freshHost();
    received.length = 0;
    const status = await runWindow(await plan(30));
    const ops = received.filter((r) => r.path === '/ops').map((r) => r.subject);
    expect(ops).toEqual([
      expect.stringMatching(/^\[maint\] window web-30 \(.*\): task 1 \(web-baseline\) has nothing approved to install$/),
      expect.stringMatching(/^\[maint\] window web-30: rollout web-30-.* had nothing approved to install$/),
    ]);
    expect(status.preflight?.installs).toEqual([`task 1 (web-baseline) ${host.host.name}: nothing approved (2 pending not approved yet or held)`]);
    expect(status.tasks[0]).toMatchObject({ state: 'completed', message: expect.stringContaining('baseline web-default approves nothing to install on the host') });
    // Nothing approved, nothing named: the scheduled notice is the plain one.
    expect(received.find((r) => r.path === '/customer' && r.subject.startsWith('Scheduled'))?.text).not.toContain('We will install');
    expect(await host.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.0' });
  }, 400_000);
});
