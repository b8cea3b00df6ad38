import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import type { RolloutReport } from '../../policies/rollout/types';
import { startSimulatedFleet, type SimulatedFleet } from '../../simulator/fleet';
import { rolloutWorkflowId } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

describe('reboots during a rollout (simulated hosts that really drop and come back)', () => {
  let env: TestWorkflowEnvironment;
  let fleet: SimulatedFleet;

  beforeAll(async () => {
    env = await connectTestEnv();
    // host-3 goes down on reboot and never answers again.
    fleet = await startSimulatedFleet({ count: 3, namePrefix: 'host', reboots: { downtimeMs: 1500 }, faults: (i) => (i === 2 ? { rebootNeverReturns: true } : {}) });
  });
  afterAll(async () => {
    await fleet?.stop();
    await env?.teardown();
  });

  it('waits for a new boot id after each reboot, and fails a host that never comes back', async () => {
    const healthPort = new URL(fleet.hosts[0]!.healthUrl).port;
    const policy = parsePolicyText(`
apiVersion: maint/v1
kind: RolloutPolicy
name: reboots
targets: {inventory: inventory.yaml}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {batches: [1]}
reboot: {mode: always, command: 'touch "$MAINT_HOST_DIR/reboot-requested"', timeout: 6s}
health:
  checks: [{kind: http, url: 'http://127.0.0.1:${healthPort}/hosts/{{host.name}}/health'}]
  interval: 200ms
  consecutiveSuccesses: 1
  deadline: 5s
`, 'policy.yaml', rolloutPolicySchema);
    const taskQueue = uniqueTaskQueue('reboot');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle() });
    const report: RolloutReport = await worker.runUntil(env.client.workflow.execute('patchRolloutWorkflow', {
      taskQueue, workflowId: rolloutWorkflowId(taskQueue),
      args: [{ rolloutId: taskQueue, policy, targets: { kind: 'inline' as const, hosts: fleet.hosts } }],
    }));

    // host-1 and host-2 rebooted once each and came back healthy on 2.0.0.
    expect(report.hosts.slice(0, 2).map((h) => h.state)).toEqual(['healthy', 'healthy']);
    expect(fleet.hosts.slice(0, 2).map((h) => h.bootIds.length)).toEqual([2, 2]);
    expect(['host-1', 'host-2'].map((n) => fleet.installedVersion(n))).toEqual(['2.0.0', '2.0.0']);
    // host-3 went down and stayed down: a clear failure, and it cannot even be rolled back.
    expect(fleet.hosts[2]!.bootIds).toHaveLength(1);
    expect(report.hosts[2]!.state).toBe('failed');
    expect(report.hosts[2]!.error).toMatch(/host-3: did not come back with a new boot id within 6 s/);
    expect(report.hosts[2]!.error).toMatch(/rollback failed: .*host-3/);
    expect(report.status).toBe('failed');
    expect(report.message).toBe('halted in wave 2: 1 host(s) failed, 0 tolerated; 1 host(s) could not be restored');
  }, 180_000);
});
