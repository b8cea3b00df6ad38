import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint, startWorkerProcess, stopWorkerProcesses } from '../helpers/cli';
import { startOtlpReceiver, type ReceivedSpan } from '../helpers/otlpReceiver';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

describe('traces across CLI → workflow → activity (MAINT_TRACES_OTLP) for a rollout on real sshd hosts', () => {
  let fx: RolloutFixture;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    fx = await startRolloutFixture(2);
    receiver = await startOtlpReceiver();
  });
  afterEach(() => stopWorkerProcesses(workers));
  afterAll(async () => {
    await receiver?.stop();
    await fx?.stop();
  });

  it('exports one trace per command: `maint rollout start` is the root, the rollout, its batches and every host step are its descendants; log lines carry the trace id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-traces-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    const env = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-traces'), MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey, MAINT_TRACES_OTLP: receiver.url, MAINT_LOG_FORMAT: 'json', MAINT_LOG_LEVEL: 'debug' };
    const worker = startWorkerProcess(env);
    workers.push(worker);
    let logged = '';
    worker.stderr?.on('data', (d: Buffer) => void (logged += d.toString()));
    await until('the worker to say where its traces go', () => worker.output().includes(`worker: traces exported to ${receiver.url}`) || undefined, 60_000);
    await until('the worker to poll', () => worker.output().includes('worker: polling') || undefined, 60_000);

    const file = join(dir, 'policy.yaml');
    writeFileSync(file, fx.policyYaml('waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\n'));
    const result = await runMaint(['rollout', 'start', '-f', file, '--wait', '--json'], env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { rolloutId: string; hosts: Array<{ name: string; state: string }> };
    expect(report.hosts.map((h) => h.state)).toEqual(['healthy', 'healthy']);

    // The CLI flushed before it exited; the worker exports in batches within a second or so.
    const root = receiver.spans.find((s) => s.name === 'maint rollout start');
    expect(root).toMatchObject({ service: 'maint-cli', attributes: { 'maint.exit_code': 0 } });
    expect(root!.parentSpanId).toBeUndefined();
    const trace = await until('the worker\'s spans of every host\'s apply to arrive', () => {
      const spans = receiver.spans.filter((s) => s.traceId === root!.traceId);
      return spans.filter((s) => s.name === 'RunActivity:applyPatch').length >= 2 && spans.some((s) => s.name === 'RunWorkflow:patchRolloutWorkflow' && s.service === 'maint-worker') ? spans : undefined;
    }, 30_000);

    const byId = new Map(trace.map((s) => [s.spanId, s]));
    /** The span's ancestors' names, nearest first, up to the root. */
    const ancestry = (s: ReceivedSpan): string[] => {
      const names: string[] = [];
      for (let p = s.parentSpanId ? byId.get(s.parentSpanId) : undefined; p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) names.push(p.name);
      return names;
    };
    const start = trace.find((s) => s.name === 'StartWorkflow:patchRolloutWorkflow')!;
    expect(start).toMatchObject({ service: 'maint-cli', parentSpanId: root!.spanId, attributes: { temporalWorkflowId: `rollout-${report.rolloutId}` } });
    const rollout = trace.find((s) => s.name === 'RunWorkflow:patchRolloutWorkflow')!;
    expect(ancestry(rollout)).toEqual(['StartWorkflow:patchRolloutWorkflow', 'maint rollout start']);
    // Two batches (canary, then the rest), each a child workflow of the rollout.
    const batches = trace.filter((s) => s.name === 'RunWorkflow:patchBatchWorkflow');
    expect(batches).toHaveLength(2);
    for (const b of batches) expect(ancestry(b)).toEqual(expect.arrayContaining(['StartChildWorkflow:patchBatchWorkflow', 'RunWorkflow:patchRolloutWorkflow', 'maint rollout start']));
    // Every host step runs as an activity span under its batch, on the worker.
    for (const step of ['preflightHost', 'recordVersions', 'applyPatch']) {
      const runs = trace.filter((s) => s.name === `RunActivity:${step}`);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const r of runs) {
        expect(r.service).toBe('maint-worker');
        expect(r.status).not.toBe(2);
        expect(ancestry(r)).toEqual(expect.arrayContaining([`StartActivity:${step}`, 'RunWorkflow:patchBatchWorkflow', 'RunWorkflow:patchRolloutWorkflow', 'maint rollout start']));
      }
    }
    // Nothing of another command's trace: a second command is a second root.
    expect(receiver.spans.filter((s) => s.name === 'maint rollout start')).toHaveLength(1);

    // The activities' JSON log lines name the trace and their span: a log search leads to the trace
    // (Temporal's own "Activity started/completed" lines are written outside the activity's span).
    const applyLines = logged.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => e.activityType === 'applyPatch' && / patch applied$/.test(String(e.msg)));
    expect(applyLines.map((e) => e.host).sort()).toEqual(report.hosts.map((h) => h.name).sort());
    const applySpans = new Set(trace.filter((s) => s.name === 'RunActivity:applyPatch').map((s) => s.spanId));
    for (const e of applyLines) {
      expect(e.trace_id).toBe(root!.traceId);
      expect(applySpans.has(e.span_id as string)).toBe(true);
    }
  }, 180_000);
});
