import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import type { HostFactsResult } from '../../policies/inventory/facts';
import { createWorker } from '../../worker';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

describe('hostFactsWorkflow on the real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let fleet: SshdFleet;

  beforeAll(async () => {
    [env, fleet] = await Promise.all([connectTestEnv(), startSshdFleet(4)]);
  });
  afterAll(async () => {
    await fleet?.stop();
    await env?.teardown();
  });

  it('returns facts per host, and the reason for a host with a wrong pinned key', async () => {
    const taskQueue = uniqueTaskQueue('facts');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle() });
    const hosts = fleet.hosts.map(({ name, address, port, user, hostKey, identityFile, tags }) => ({ name, address, port, user, hostKey, identityFile: identityFile!, tags }));
    hosts[3] = { ...hosts[3]!, hostKey: hosts[0]!.hostKey };
    const results: HostFactsResult[] = await worker.runUntil(
      env.client.workflow.execute('hostFactsWorkflow', { taskQueue, workflowId: `facts-${taskQueue}`, args: [{ hosts, parallelism: 2 }] }),
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([['host-1', true], ['host-2', true], ['host-3', true], ['host-4', false]]);
    const bootIds = new Set(results.flatMap((r) => (r.ok ? [r.facts.bootId] : [])));
    expect(bootIds.size).toBe(1); // all loopback hosts run on this machine
    const failed = results[3]!;
    expect(failed).toMatchObject({ ok: false, errorType: 'HostKeyMismatch', error: expect.stringContaining('host key mismatch') });

    // The permanent failure was not retried: one attempt, visible in the history.
    const history = await env.client.workflow.getHandle(`facts-${taskQueue}`).fetchHistory();
    const failedAttempts = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    expect(failedAttempts).toHaveLength(1);
  });
});
