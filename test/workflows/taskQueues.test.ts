import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { parseEnvironment } from '../../policies/common/environment';
import { resolvePolicy, type RepositoryPlan } from '../../policies/deps/resolve';
import { dependencyUpdatesWorkflow } from '../../workflows/dependencyUpdates';
import { hostFactsWorkflow } from '../../workflows/hostFacts';
import { createWorker, workerTuning, type WorkerGroup } from '../../worker';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';
import type { Store } from '../../store';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

/** A repository whose scan fails at once, saying which worker's adapters ran it. */
function depsOf(worker: string, calls: string[]): ActivityDeps['dependencies'] {
  return {
    depsWorkDir: mkdtempSync(join(tmpdir(), 'maint-queues-')),
    github: async () => {
      calls.push(worker);
      throw ApplicationFailure.nonRetryable(`scanned by the ${worker} worker`, 'GitHub');
    },
    renovate: async () => {
      throw new Error('not reached');
    },
  };
}

describe('task queues per domain (real Temporal dev server)', () => {
  let env: TestWorkflowEnvironment;
  let fleet: SshdFleet;
  let store: Store | undefined;
  beforeAll(async () => {
    [env, fleet] = await Promise.all([connectTestEnv(), startSshdFleet(1)]);
  });
  afterAll(async () => {
    await store?.close();
    await fleet?.stop();
    await env?.teardown();
  });

  it('MAINT_TASK_QUEUES=workflows,hosts runs SSH steps but never picks up a dependency activity; a dependencies worker does', async () => {
    const queues = parseEnvironment({ MAINT_TASK_QUEUES: 'workflows, hosts' }).MAINT_TASK_QUEUES;
    expect(queues).toEqual(['workflows', 'hosts']);
    const taskQueue = uniqueTaskQueue('queues');
    const calls: string[] = [];
    const base = { connection: env.nativeConnection, namespace: 'default', taskQueue };
    store = await testStore();
    const hostsWorker = await createWorker({
      ...base, queues, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector(), store, dependencies: depsOf('hosts', calls) },
    });
    const plan = {
      repo: 'acme/web', owner: 'acme', name: 'web', baseBranch: 'main', managers: ['npm'], checkout: { kind: 'path', path: '/nonexistent' },
      github: { baseUrl: 'http://127.0.0.1:9' }, registries: { docker: [] }, policy: resolvePolicy('acme/web', []),
    } satisfies RepositoryPlan;

    await hostsWorker.runUntil(async () => {
      const host = fleet.hosts[0]!;
      const [facts] = await env.client.workflow.execute(hostFactsWorkflow, {
        taskQueue, workflowId: `facts-${taskQueue}`,
        args: [{ hosts: [{ name: host.name, address: host.address, port: host.port, user: host.user, hostKey: host.hostKey, identityFile: host.identityFile!, tags: host.tags }] }],
      });
      expect(facts).toMatchObject({ name: host.name, ok: true });

      const run = await env.client.workflow.start(dependencyUpdatesWorkflow, { taskQueue, workflowId: `deps-${taskQueue}`, args: [{ plan }] });
      // The scan waits on the dependencies queue: scheduled, never started by this worker.
      await new Promise((r) => setTimeout(r, 3000));
      const pending = (await run.describe()).raw.pendingActivities ?? [];
      expect(pending.map((a) => [a.activityType?.name, a.attempt, a.lastStartedTime ?? null])).toEqual([['scanRepository', 1, null]]);
      expect(calls).toEqual([]);

      const dependenciesWorker: WorkerGroup = await createWorker({
        ...base, queues: ['dependencies'], deps: { ssh: new NodeSshConnector(), store: store!, dependencies: depsOf('dependencies', calls) },
      });
      const summary = await dependenciesWorker.runUntil(run.result());
      expect(summary.problems).toEqual([{ level: 'error', message: 'scan failed: scanned by the dependencies worker' }]);
    });
    expect(calls).toEqual(['dependencies']);
  });

  it('MAINT_WORKER_* tune every Worker of the process, and the workers still run work', async () => {
    const tuned = parseEnvironment({ MAINT_WORKER_MAX_CACHED_WORKFLOWS: '50', MAINT_WORKER_WORKFLOW_TASKS: '8', MAINT_WORKER_WORKFLOW_POLLERS: '4', MAINT_WORKER_ACTIVITY_POLLERS: '3', MAINT_TASK_QUEUES: 'workflows,hosts' });
    const taskQueue = uniqueTaskQueue('tuned');
    store ??= await testStore();
    const group = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, queues: tuned.MAINT_TASK_QUEUES, workflowBundle: await workflowBundle(), tuning: workerTuning(tuned),
      deps: { ssh: new NodeSshConnector(), store, dependencies: depsOf('tuned', []) },
    });
    const [workflows, hosts] = group.workers;
    expect(workflows!.options).toMatchObject({ maxCachedWorkflows: 50, maxConcurrentWorkflowTaskPolls: 4, maxConcurrentActivityTaskPolls: 3, tuner: { workflowTaskSlotSupplier: { numSlots: 8 } } });
    expect(hosts!.options).toMatchObject({ taskQueue: `${taskQueue}-hosts`, maxConcurrentActivityTaskPolls: 3 });
    const host = fleet.hosts[0]!;
    const [facts] = await group.runUntil(env.client.workflow.execute(hostFactsWorkflow, {
      taskQueue, workflowId: `facts-${taskQueue}`,
      args: [{ hosts: [{ name: host.name, address: host.address, port: host.port, user: host.user, hostKey: host.hostKey, identityFile: host.identityFile!, tags: host.tags }] }],
    }));
    expect(facts).toMatchObject({ name: host.name, ok: true });
    expect(() => parseEnvironment({ MAINT_WORKER_WORKFLOW_TASKS: '1' })).toThrow(/MAINT_WORKER_WORKFLOW_TASKS: Too small: expected number to be >=2/);
  });
});
