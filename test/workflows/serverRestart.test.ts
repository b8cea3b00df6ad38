// Fault injection (issue 7): the Temporal dev server is stopped and started again (same database
// file, same port) in the middle of a rollout. The worker reconnects and the rollout completes:
// every host at the target version, patched exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { findTemporalCli, untilTemporalAnswers } from '../../cli/temporalCli';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import type { RolloutReport } from '../../policies/rollout/types';
import { startSimulatedFleet, type SimulatedFleet } from '../../simulator/fleet';
import { progressQuery } from '../../workflows/messages';
import { rolloutWorkflowId, type patchRolloutWorkflow } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import { freePort } from '../../harness/ports';
import { track } from '../../harness/processes';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

const HOSTS = 12;
const POLICY = `
apiVersion: maint/v1
kind: RolloutPolicy
name: server-restart
targets: {inventory: inventory.yaml}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && sleep 1 && echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {batches: [3]}
maxUnavailable: 3
health:
  checks: [{kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/hosts/{{host.name}}/health', bodyMatches: 'version=2\\.0\\.0'}]
  interval: 200ms
  consecutiveSuccesses: 1
  deadline: 20s
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Temporal restarts mid-rollout', () => {
  let fleet: SimulatedFleet | undefined;
  let server: ChildProcess | undefined;
  let dbDir: string;
  let port: number;

  const startServer = async (): Promise<void> => {
    const cli = findTemporalCli();
    if (!cli) throw new Error('the Temporal CLI is missing (scripts/test.sh installs it)');
    server = track(spawn(cli.path, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dbDir, 'temporal.db'), '--log-level', 'error'], { stdio: 'ignore' }));
    await untilTemporalAnswers(`127.0.0.1:${port}`, { server });
  };
  const stopServer = async (): Promise<void> => {
    const s = server;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    s.kill('SIGTERM');
    await new Promise((r) => s.once('exit', r));
  };

  beforeAll(async () => {
    await connectTestEnv(); // installs the quiet runtime like the other files
    dbDir = mkdtempSync(join(tmpdir(), 'maint-restart-'));
    port = await freePort();
    fleet = await startSimulatedFleet({ count: HOSTS, initialVersion: '1.0.0', tags: () => ({ role: 'web' }) });
    await startServer();
  });
  afterAll(async () => {
    await stopServer();
    await fleet?.stop();
  });

  it('the rollout completes after the server comes back, every host patched once', async () => {
    const hosts: ResolvedHost[] = fleet!.hosts.map(({ name, address, port: p, user, hostKey, identityFile, tags, healthUrl }) => ({
      name, address, port: p, user, hostKey, identityFile: identityFile!, tags: { ...tags, healthPort: new URL(healthUrl).port },
    }));
    const policy = parsePolicyText(POLICY, 'policy.yaml', rolloutPolicySchema);
    const taskQueue = uniqueTaskQueue('server-restart');
    const address = `127.0.0.1:${port}`;
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle(), shutdownGraceTime: '2 seconds' });
    const running = worker.run();
    try {
      let connection = await Connection.connect({ address });
      const rolloutId = `restart-${taskQueue}`;
      await new Client({ connection }).workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', { taskQueue, workflowId: rolloutWorkflowId(rolloutId), args: [{ rolloutId, policy, targets: { kind: 'inline', hosts } }] });
      // Stop the server while the second wave is in flight.
      for (;;) {
        const p = await new Client({ connection }).workflow.getHandle(rolloutWorkflowId(rolloutId)).query(progressQuery);
        if (p.currentWave >= 1 && (p.runningBatches ?? []).length > 0) break;
        await sleep(200);
      }
      await connection.close();
      await stopServer();
      await sleep(5_000);
      await startServer();

      connection = await Connection.connect({ address });
      const report = (await new Client({ connection }).workflow.getHandle(rolloutWorkflowId(rolloutId)).result()) as RolloutReport;
      await connection.close();
      expect(report.status).toBe('completed');
      expect(report.hosts.map((h) => h.state)).toEqual(Array(HOSTS).fill('healthy'));
      expect(fleet!.hosts.map((h) => fleet!.installedVersion(h.name))).toEqual(Array(HOSTS).fill('2.0.0'));
      const applies = fleet!.hosts.map((h) => {
        const log = join(h.dir, 'apply.log');
        return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0;
      });
      expect(applies).toEqual(Array(HOSTS).fill(1));
    } finally {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    }
  }, 240_000);
});
