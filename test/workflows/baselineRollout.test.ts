// Rollouts with `packages: {baseline}` on two hermetic Debian hosts (this machine's REAL apt and
// dpkg behind real sshd, see helpers/aptSandbox.ts), through the real Temporal dev server: the
// wave preflight scans, the baseline approves by age, versions are fixed for the rollout and
// installed pinned, and a failing host is rolled back.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { withBaseline } from '../../control/baselines';
import { parsePolicyText } from '../../policies/common/parse';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import { rolloutPolicySchema, type RolloutPolicy } from '../../policies/rollout/policy';
import { rolloutWorkflowId, type RolloutReport } from '../../policies/rollout/types';
import { latestHostScans } from '../../store/compliance';
import type { Store } from '../../store';
import { approveUpdate, progressQuery } from '../../workflows/messages';
import { previewRolloutWorkflow } from '../../workflows/previewRollout';
import { createWorker } from '../../worker';
import { installOnSandbox, startAptSandbox, type AptSandbox, type SandboxPackage } from '../helpers/aptSandbox';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { until } from '../helpers/until';

const DAY = 86_400_000;
const SEC: SandboxPackage[] = [{ name: 'maint-sec', version: '1:1.0.0' }, { name: 'maint-sec', version: '1:1.0.1' }];
const FRESH: SandboxPackage[] = [{ name: 'maint-fresh', version: '1.0' }, { name: 'maint-fresh', version: '1.1' }];

describe('rollouts with a patch baseline on real apt hosts', () => {
  let env: TestWorkflowEnvironment;
  let a: AptSandbox;
  let b: AptSandbox;
  let dir: string;

  beforeAll(async () => {
    env = await connectTestEnv();
    a = await startAptSandbox('bla');
    b = await startAptSandbox('blb');
    dir = mkdtempSync(join(tmpdir(), 'maint-baseline-policy-'));
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await env?.teardown();
  });

  const asHost = (s: AptSandbox): ResolvedHost => {
    const { name, address, port, user, hostKey, identityFile } = s.host;
    return { name, address, port, user, hostKey, ...(identityFile !== undefined ? { identityFile } : {}), tags: {} };
  };

  /** Both hosts: maint-sec's fix 10 days old (old-security), maint-fresh's 2 days old (new-security), both installed at the old version. */
  async function freshHosts(): Promise<void> {
    const now = Date.now();
    for (const s of [a, b]) {
      await s.reset(['old-security', 'new-security']);
      s.publish('old-security', SEC, new Date(now - 10 * DAY));
      s.publish('new-security', FRESH, new Date(now - 2 * DAY));
      await installOnSandbox(s, ['maint-sec=1:1.0.0', 'maint-fresh=1.0']);
    }
  }

  /** The policy as `maint` reads it: the baseline from baselines/web-default.yaml beside the policy file. */
  function policy(afterDays: number, extra = ''): RolloutPolicy {
    const file = join(dir, `policy-${afterDays}.yaml`);
    mkdirSync(join(dir, 'baselines'), { recursive: true });
    writeFileSync(join(dir, 'baselines', 'web-default.yaml'), `apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {classification: [security], afterDays: ${afterDays}}\n`);
    const text = `apiVersion: maint/v1\nkind: RolloutPolicy\nname: web-baseline\ntargets: {inventory: hosts.yaml}\nstrategy: {kind: apt, packages: {baseline: web-default}}\nmaxUnavailable: 1\n${extra}`;
    writeFileSync(file, text);
    return withBaseline(parsePolicyText(text, file, rolloutPolicySchema), file);
  }

  async function withWorker<T>(label: string, work: (taskQueue: string, store: Store) => Promise<T>): Promise<T> {
    const taskQueue = uniqueTaskQueue(label);
    const store = await testStore();
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    try {
      return await worker.runUntil(work(taskQueue, store));
    } finally {
      await store.close();
    }
  }

  it('dry run: per host what the baseline installs (the 10-day-old security update with afterDays 7, not the 2-day-old one); nothing changes', async () => {
    await freshHosts();
    const before = [await a.installed(), await b.installed()];
    const previews = await withWorker('baseline-preview', (taskQueue) =>
      env.client.workflow.execute(previewRolloutWorkflow, { taskQueue, workflowId: `preview-${taskQueue}`, args: [{ rolloutId: taskQueue, strategy: policy(7).strategy, hosts: [asHost(a), asHost(b)] }] }));
    for (const p of previews) {
      expect(p.error).toBeUndefined();
      expect(p.baseline).toEqual({ approved: [{ package: 'maint-sec', from: '1:1.0.0', to: '1:1.0.1', classification: 'security' }], withheld: 1 });
      expect(p.changes).toEqual([{ package: 'maint-sec', from: '1:1.0.0', to: '1:1.0.1' }]);
    }
    expect([await a.installed(), await b.installed()]).toEqual(before);
  }, 240_000);

  it('installs exactly the approved versions, pinned: a newer release published mid-rollout is not picked up by the next wave', async () => {
    await freshHosts();
    const report = await withWorker('baseline-pinned', async (taskQueue, store) => {
      const rolloutId = `t-${taskQueue}`;
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId),
        args: [{ rolloutId, policy: policy(7, 'waves: {canary: 1, batches: [1]}\napproval: {after: canary}\n'), targets: { kind: 'inline' as const, hosts: [asHost(a), asHost(b)] } }],
      });
      await until('the rollout to wait for approval after the canary', async () => ((await handle.query(progressQuery)).status === 'awaiting-approval' ? true : undefined), 180_000, 300);
      expect(await a.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.1' });
      expect(await b.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.0' });
      // Meanwhile maint-sec 1:1.0.2 appears in b's repository (dated so the baseline would approve it) and b's lists see it.
      b.publish('old-security', [...SEC, { name: 'maint-sec', version: '1:1.0.2' }], new Date(Date.now() - 10 * DAY));
      await b.sh('LC_ALL=C apt-get -q update');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'test' }] });
      const result = (await handle.result()) as RolloutReport;
      // b's preflight scan saw the newer candidate (recorded in the store) …
      const scan = (await latestHostScans(store, [b.host.name])).get(b.host.name)!;
      expect(scan.ok && scan.updates.find((u) => u.package === 'maint-sec')?.candidate).toBe('1:1.0.2');
      return result;
    });
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state])).toEqual([[a.host.name, 'healthy'], [b.host.name, 'healthy']]);
    // … and got the canary's version all the same; maint-fresh (2 days old) was not approved anywhere.
    expect(await a.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.1' });
    expect(await b.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.1' });
    expect(report.notes).toEqual([`${b.host.name}: maint-sec 1:1.0.2 is offered, 1:1.0.1 installed as fixed for this rollout by an earlier wave`]);
  }, 300_000);

  it('a host that fails its health check after the pinned install is rolled back to its versions before', async () => {
    await freshHosts();
    const report = await withWorker('baseline-rollback', async (taskQueue) => {
      const rolloutId = `t-${taskQueue}`;
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId),
        args: [{
          rolloutId, targets: { kind: 'inline' as const, hosts: [asHost(a)] },
          policy: policy(7, 'health: {checks: [{kind: command, command: "dpkg-query -W -f=\'${Version}\' maint-sec | grep -qx 1:1.0.0"}], interval: 1, consecutiveSuccesses: 1, deadline: 4}\n'),
        }],
      });
      return (await handle.result()) as RolloutReport;
    });
    expect(report.status).toBe('rolled-back');
    expect(report.hosts[0]).toMatchObject({ name: a.host.name, state: 'rolled-back' });
    expect(await a.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.0' });
  }, 300_000);

  it('nothing approved on any host: no host is touched and the rollout says so', async () => {
    await freshHosts();
    const report = await withWorker('baseline-nothing', async (taskQueue) => {
      const rolloutId = `t-${taskQueue}`;
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId),
        args: [{ rolloutId, policy: policy(30), targets: { kind: 'inline' as const, hosts: [asHost(a), asHost(b)] } }],
      });
      return (await handle.result()) as RolloutReport;
    });
    expect(report.status).toBe('completed');
    expect(report.nothingToInstall).toBe('baseline web-default approves nothing to install on any of the 2 hosts (4 pending update(s) not approved yet or held): no host was touched');
    expect(report.hosts.map((h) => h.state)).toEqual(['skipped', 'skipped']);
    expect(report.batches).toEqual([]);
    expect(await a.installed()).toEqual({ 'maint-fresh': '1.0', 'maint-sec': '1:1.0.0' });
  }, 300_000);
});
