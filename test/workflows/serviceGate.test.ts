import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import type { RolloutReport } from '../../policies/rollout/types';
import { rolloutWorkflowId } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

/**
 * The service as customers reach it: a small real HTTP front for the fixture's hosts that breaks
 * (503) once more than `limit` backends run 2.0.0 — say, a new version that cannot share a
 * session store with more than two of its kind. Every host's own health check keeps passing.
 */
function startService(fx: RolloutFixture, limit: number): Promise<Server & { url: string; answers: number[] }> {
  const answers: number[] = [];
  const server = createServer((_req, res) => {
    const upgraded = fx.hosts.filter((_h, i) => fx.version(i) === '2.0.0').length;
    const status = upgraded > limit ? 503 : 200;
    answers.push(status);
    res.writeHead(status).end(status === 200 ? 'shop ok\n' : `shop broken: ${upgraded} backends on 2.0.0\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(server, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, answers }))));
}

describe('service gate: a rollout watches the service, not only each host', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;

  beforeAll(async () => {
    env = await connectTestEnv();
    fx = await startRolloutFixture(4);
  });
  beforeEach(() => fx.reset());
  afterAll(async () => {
    await fx?.stop();
    await env?.teardown();
  });

  async function rollout(serviceUrl: string): Promise<RolloutReport> {
    const taskQueue = uniqueTaskQueue('gate');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store: await testStore() }, workflowBundle: await workflowBundle() });
    const rolloutId = `t-${taskQueue}`;
    const policy = fx.policy([
      'waves: {canary: 1, batches: [1, 2]}',
      'maxUnavailable: 2',
      'rollback: {scope: batch}',
      `serviceGate: {checks: [{kind: http, url: "${serviceUrl}", bodyMatches: "shop ok"}], interval: 200ms, timeout: 2s, failuresInARow: 2, settle: 2s}`,
    ].join('\n'));
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId), args: [{ rolloutId, policy, targets: { kind: 'inline' as const, hosts: fx.hosts } }],
      });
      return (await handle.result()) as RolloutReport;
    });
  }

  it('hosts healthy one by one, the service broken by the third wave: that wave is rolled back and the rollout halts', async () => {
    const service = await startService(fx, 2);
    try {
      const report = await rollout(service.url);
      expect(report.status).toBe('rolled-back');
      expect(report.message).toMatch(new RegExp(`^halted in wave 2: the service gate tripped: ${service.url.replace(/[/.]/g, '\\$&')} → HTTP 503 shop broken: [34] backends on 2\\.0\\.0 \\(expected 200\\) \\(2 round\\(s\\) in a row\\)`));
      // Waves 0 and 1 stay patched (scope batch); wave 2's hosts are back on 1.0.0, however far each got.
      expect(report.hosts.slice(0, 2).map((h) => [h.name, h.state])).toEqual([['host-1', 'healthy'], ['host-2', 'healthy']]);
      for (const h of report.hosts.slice(2)) expect(['rolled-back', 'skipped']).toContain(h.state);
      expect(report.hosts.slice(2).some((h) => h.state === 'rolled-back')).toBe(true);
      expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(['2.0.0', '2.0.0', '1.0.0', '1.0.0']);
      // The host health checks never failed: it was the service that broke, and it is whole again.
      expect(report.failures).toBe(0);
      expect(service.answers).toContain(503);
      expect((await fetch(service.url)).status).toBe(200);
    } finally {
      service.close();
    }
  });

  it('a service that stays healthy lets every wave through (watched until each settles)', async () => {
    const service = await startService(fx, 4);
    try {
      const report = await rollout(service.url);
      expect(report.status).toBe('completed');
      expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(Array(4).fill('2.0.0'));
      // Watched during and after each of the three waves: several rounds each, all answered 200.
      expect(service.answers.length).toBeGreaterThanOrEqual(3 * 3);
      expect(new Set(service.answers)).toEqual(new Set([200]));
    } finally {
      service.close();
    }
  });
});
