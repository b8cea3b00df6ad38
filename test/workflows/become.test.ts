import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { JOB_DIR } from '../../activities/hosts/jobs';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import type { RolloutReport } from '../../policies/rollout/types';
import { rolloutWorkflowId } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import type { SshdHost } from '../../harness/sshdFleet';
import { createHostUser, type HostUser } from '../helpers/hostUsers';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

/**
 * Rollouts whose SSH user is not root, on real sshd hosts with Debian's real sudo: the hosts'
 * files (the fixture's "installed version", its logs) and job directories belong to root, so only
 * what runs through `become` can change them. Each test's users are made for this file and
 * removed after it, with their sudoers drop-ins.
 */
describe('become: rollouts as a non-root user through sudo and doas', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;
  /** Has `NAME ALL=(root) NOPASSWD: ALL`, as the README tells operators to add. */
  let ops: HostUser;
  /** Has no sudoers rule at all. */
  let nobody: HostUser;
  /** Has `permit nopass NAME as root` in /etc/doas.conf (and no sudoers rule). */
  let doasOps: HostUser;
  /** Has `permit NAME as root` in /etc/doas.conf: doas -n refuses without a password. */
  let doasPassword: HostUser;
  // The fixture's commands read $MAINT_HOST_DIR (the hosts' stand-in filesystem), which sudo's
  // env_reset would drop; the job directory ($MAINT_JOB_DIR) the runner passes on itself.
  const keepEnv = ['MAINT_HOST_DIR', 'MAINT_HOST_NAME'];

  beforeAll(async () => {
    env = await connectTestEnv();
    ops = createHostUser({ sudo: 'NOPASSWD', keepEnv });
    nobody = createHostUser();
    doasOps = createHostUser({ doas: 'nopass', keepEnv });
    doasPassword = createHostUser({ doas: 'password', keepEnv });
    fx = await startRolloutFixture(2, { user: ops.name, alsoUsers: [nobody.name, doasOps.name, doasPassword.name] });
  });
  beforeEach(() => fx.reset());
  afterAll(async () => {
    await fx?.stop();
    ops?.remove();
    nobody?.remove();
    doasOps?.remove();
    doasPassword?.remove();
    await env?.teardown();
  });

  const asUser = (user: HostUser, method: 'sudo' | 'doas' = 'sudo'): ResolvedHost[] => fx.hosts.map((h) => ({ ...h, user: user.name, become: { method, user: 'root' } }));

  async function rollout(hosts: ResolvedHost[], overrides: string): Promise<RolloutReport> {
    const taskQueue = uniqueTaskQueue('become');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle() });
    const rolloutId = `t-${taskQueue}`;
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId),
        args: [{ rolloutId, policy: fx.policy(overrides), targets: { kind: 'inline' as const, hosts } }],
      });
      return (await handle.result()) as RolloutReport;
    });
  }

  /** The version records rollout `rolloutId` left in the machine's default job directory: must be none. */
  const inDefaultJobDir = (rolloutId: string) => (existsSync(JOB_DIR) ? readdirSync(JOB_DIR).filter((f) => f.startsWith(`${rolloutId}.`)) : []);

  it('patches through sudo, and rolls back through sudo the host that turns unhealthy', async () => {
    fx.makeUnhealthy(1, '2.0.0');
    const report = await rollout(asUser(ops), 'waves: {canary: 1, batches: [1]}\nrollback: {scope: batch}\nfailureThreshold: 1\n');
    expect(report.hosts.map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-2', 'rolled-back']]);
    expect(fx.version(0)).toBe('2.0.0');
    expect(fx.version(1)).toBe('1.0.0');
    expect([fx.applyCount(0), fx.applyCount(1)]).toEqual([1, 1]);
    for (const [i, host] of fx.fleet.hosts.entries()) {
      // Drained and back in service, by hooks that ran as root too.
      expect(fx.outOfService(i)).toHaveLength(1);
      expect(fx.outOfService(i).every(([, to]) => Number.isFinite(to))).toBe(true);
      // Written by root: ops cannot write there at all (the folder is root's, mode 0755).
      expect(statSync(host.dir).uid).toBe(0);
      expect(statSync(join(host.dir, 'apply.log')).uid).toBe(0);
      // The jobs and the version record are in the host's own job directory ($MAINT_JOB_DIR, passed
      // through sudo), root's, not in the machine's default one.
      const jobs = readdirSync(host.jobDir);
      expect(jobs.some((f) => f.endsWith('.record.json'))).toBe(true);
      expect(jobs.some((f) => f.endsWith('.exit'))).toBe(true);
      expect(statSync(host.jobDir).uid).toBe(0);
      expect(statSync(host.jobDir).mode & 0o777).toBe(0o700);
    }
    expect(inDefaultJobDir(report.rolloutId)).toEqual([]);
  });

  it("takes the policy's become for hosts whose inventory sets none", async () => {
    const plain = fx.hosts.map((h) => ({ ...h, user: ops.name }));
    const report = await rollout(plain, 'waves: {canary: 1, batches: [1]}\nbecome: {method: sudo, user: root}\n');
    expect(report.hosts.map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-2', 'healthy']]);
    expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '2.0.0']);
    for (const host of fx.fleet.hosts) expect(statSync(join(host.dir, 'apply.log')).uid).toBe(0);
    // Without it, the same user cannot write the root-owned files: the apply fails.
    fx.reset();
    const without = await rollout(plain, 'waves: {canary: 1, batches: [1]}\nfailureThreshold: 5\n');
    expect(without.hosts.map((h) => h.state)).toEqual(['failed', 'failed']);
    expect([fx.version(0), fx.version(1)]).toEqual(['1.0.0', '1.0.0']);
  });

  it('refuses a job directory another user made, or a symlink, before anything changes', async () => {
    const [first, second] = fx.fleet.hosts as [SshdHost, SshdHost];
    mkdirSync(first.jobDir, { mode: 0o755 });
    const otherUid = Number(execFileSync('id', ['-u', nobody.name], { encoding: 'utf8' }).trim());
    chownSync(first.jobDir, otherUid, otherUid);
    const elsewhere = mkdtempSync(join(tmpdir(), 'maint-elsewhere-'));
    chmodSync(elsewhere, 0o700);
    symlinkSync(elsewhere, second.jobDir);
    try {
      const report = await rollout(asUser(ops), 'waves: {canary: 1, batches: [1]}\nfailureThreshold: 5\n');
      expect(report.hosts.map((h) => h.state)).toEqual(['failed', 'failed']);
      expect(report.hosts[0]!.error).toContain(`the job directory ${first.jobDir} has owner uid ${otherUid} and mode 755, not root's and 700: refusing to use it`);
      expect(report.hosts[1]!.error).toContain(`the job directory ${second.jobDir} is a symbolic link: refusing to use it`);
      for (const i of [0, 1]) {
        expect(fx.version(i)).toBe('1.0.0');
        expect(fx.applyCount(i)).toBe(0);
        expect(fx.outOfService(i)).toEqual([]);
      }
      expect(readdirSync(first.jobDir)).toEqual([]);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      rmSync(second.jobDir, { force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('fails a user without a NOPASSWD rule in preflight, saying what to add, before anything changes', async () => {
    const report = await rollout(asUser(nobody), 'waves: {canary: 1, batches: [1]}\nfailureThreshold: 5\n');
    expect(report.status).toBe('completed-with-failures');
    for (const [i, h] of report.hosts.entries()) {
      expect(h.state).toBe('failed');
      expect(h.error).toContain(`sudo needs a password for ${nobody.name} on ${h.name}: add a NOPASSWD rule for ${nobody.name} (e.g. \`${nobody.name} ALL=(root) NOPASSWD: ALL\` in /etc/sudoers.d/maint)`);
      expect(h.record).toBeUndefined();
      // Nothing changed: not drained, not patched, no job ever started, no job directory made.
      expect(fx.version(i)).toBe('1.0.0');
      expect(fx.applyCount(i)).toBe(0);
      expect(fx.outOfService(i)).toEqual([]);
      expect(existsSync(fx.fleet.hosts[i]!.jobDir)).toBe(false);
    }
    expect(inDefaultJobDir(report.rolloutId)).toEqual([]);
  });

  it('patches and rolls back through doas as it does through sudo', async () => {
    fx.makeUnhealthy(1, '2.0.0');
    const report = await rollout(asUser(doasOps, 'doas'), 'waves: {canary: 1, batches: [1]}\nrollback: {scope: batch}\nfailureThreshold: 1\n');
    expect(report.hosts.map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-2', 'rolled-back']]);
    expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '1.0.0']);
    expect([fx.applyCount(0), fx.applyCount(1)]).toEqual([1, 1]);
    for (const host of fx.fleet.hosts) {
      expect(statSync(join(host.dir, 'apply.log')).uid).toBe(0);
      expect(readdirSync(host.jobDir).some((f) => f.endsWith('.record.json'))).toBe(true);
      expect(statSync(host.jobDir).uid).toBe(0);
      expect(statSync(host.jobDir).mode & 0o777).toBe(0o700);
    }
    expect(inDefaultJobDir(report.rolloutId)).toEqual([]);
  });

  it('fails a doas user whose rule is not nopass in preflight, saying what to add, before anything changes', async () => {
    const report = await rollout(asUser(doasPassword, 'doas'), 'waves: {canary: 1, batches: [1]}\nfailureThreshold: 5\n');
    for (const [i, h] of report.hosts.entries()) {
      expect(h.state).toBe('failed');
      expect(h.error).toContain(`doas needs a password for ${doasPassword.name} on ${h.name}: add a nopass rule for ${doasPassword.name} (e.g. \`permit nopass ${doasPassword.name} as root\` in /etc/doas.conf)`);
      expect(fx.version(i)).toBe('1.0.0');
      expect(fx.applyCount(i)).toBe(0);
      expect(fx.outOfService(i)).toEqual([]);
    }
  });
});
