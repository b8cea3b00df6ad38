import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/ports';
import { sshdLog } from '../../harness/sshdFleet';
import { runMaint, startWorkerProcess, stopWorkerProcesses } from '../helpers/cli';
import { sampleSum, scrapeMetrics } from '../helpers/prometheus';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

describe('worker metrics for Prometheus (MAINT_METRICS_PROMETHEUS) and JSON logs during a rollout on real sshd hosts', () => {
  let fx: RolloutFixture;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    fx = await startRolloutFixture(3, { logLevel: 'INFO' });
  });
  afterEach(() => stopWorkerProcesses(workers));
  afterAll(async () => {
    await fx?.stop();
  });

  it('serves Temporal\'s worker metrics and ours (hosts by outcome as the rollout reported them, SSH latency by step) and logs JSON naming rollout and batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-metrics-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    const port = await freePort();
    const env = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-metrics'), MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_METRICS_PROMETHEUS: `127.0.0.1:${port}`, MAINT_LOG_FORMAT: 'json', MAINT_LOG_LEVEL: 'debug',
      // Connections outlive the rollout's pauses: one per host, whatever the machine's load.
      MAINT_SSH_POOL_IDLE: '10m' };
    const worker = startWorkerProcess(env);
    workers.push(worker);
    let logged = '';
    worker.stderr?.on('data', (d: Buffer) => void (logged += d.toString()));
    await until('the worker to say where its metrics are', () => worker.output().includes(`worker: metrics at http://127.0.0.1:${port}/metrics`) || undefined, 60_000);

    // host-3 fails its health checks on 2.0.0: rolled back, and (rollback scope batch) host-2 of its batch too.
    fx.makeUnhealthy(2, '2.0.0');
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, fx.policyYaml('waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\n'));
    const result = await runMaint(['rollout', 'start', '-f', file, '--wait', '--json'], env);
    const report = JSON.parse(result.stdout) as { hosts: Array<{ name: string; state: string }> };
    expect(report.hosts.find((h) => h.name === 'host-3')?.state).toBe('rolled-back');
    const byState = new Map<string, number>();
    for (const h of report.hosts) byState.set(h.state, (byState.get(h.state) ?? 0) + 1);

    // Counters reach the exporter within its collection period: ask until they are there.
    const url = `http://127.0.0.1:${port}/metrics`;
    const families = await until('maint_hosts_total to count every host', async () => {
      const f = await scrapeMetrics(url);
      return sampleSum(f, 'maint_hosts_total') === report.hosts.length ? f : undefined;
    }, 30_000);
    const type = (name: string) => families.find((f) => f.name === name)?.type;
    expect(type('maint_hosts')).toBe('counter');
    for (const [state, n] of byState) expect(sampleSum(families, 'maint_hosts_total', { outcome: state, strategy: 'command', policy: 'test-rollout' })).toBe(n);
    expect(sampleSum(families, 'maint_hosts_total', { outcome: 'rolled-back' })).toBeGreaterThanOrEqual(1);

    // SSH: every connection succeeded, at least one per host; commands are timed per step (activity type).
    expect(type('maint_ssh_connect_seconds')).toBe('histogram');
    expect(sampleSum(families, 'maint_ssh_connect_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(report.hosts.length);
    // A handshake on loopback takes milliseconds: the buckets below 0.05 s exist to tell them apart.
    expect(new Set(families.find((f) => f.name === 'maint_ssh_connect_seconds')?.samples.map((s) => s.labels.le))).toEqual(new Set(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '20', '+Inf', undefined]));
    expect(sampleSum(families, 'maint_ssh_connect_seconds_count')).toBe(sampleSum(families, 'maint_ssh_connect_seconds_count', { outcome: 'ok' }));
    // Pooled: every step of a host (preflight, record, apply, rollback) went over one connection,
    // and the histogram counts the real ones: the logins the hosts' sshd accepted.
    const logins = fx.fleet.hosts.map((h) => (sshdLog(h).match(/Accepted publickey for /g) ?? []).length);
    expect(logins).toEqual(fx.fleet.hosts.map(() => 1));
    expect(sampleSum(families, 'maint_ssh_connect_seconds_count')).toBe(report.hosts.length);
    const steps = new Set(families.find((f) => f.name === 'maint_ssh_command_seconds')?.samples.map((s) => s.labels.activityType));
    expect([...steps]).toEqual(expect.arrayContaining(['preflightHost', 'recordVersions', 'applyPatch', 'rollbackHost']));
    expect(sampleSum(families, 'maint_ssh_command_seconds_count', { activityType: 'applyPatch', outcome: 'ok' })).toBeGreaterThanOrEqual(3);

    // Temporal's own: slots and schedule-to-start latency, what tells an operator the worker is the bottleneck.
    expect(type('temporal_worker_task_slots_available')).toBe('gauge');
    expect(type('temporal_activity_schedule_to_start_latency_seconds')).toBe('histogram');
    expect(sampleSum(families, 'temporal_activity_schedule_to_start_latency_seconds_count')).toBeGreaterThan(0);

    // MAINT_LOG_FORMAT=json: every line the worker wrote is one JSON object; the activities' name their rollout and batch.
    const events = logged.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ level: 'info', msg: expect.stringMatching(/^worker: store /) });
    const applied = events.filter((e) => e.activityType === 'applyPatch');
    expect(applied.length).toBeGreaterThanOrEqual(3);
    for (const e of applied) expect(e).toMatchObject({ rolloutId: expect.stringMatching(/^rollout-test-rollout-/), batch: expect.stringMatching(/^wave-\d+-part-\d+$/), taskQueue: `${env.MAINT_TASK_QUEUE}-hosts` });
  }, 180_000);
});
