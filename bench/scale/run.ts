/**
 * Scale benchmark: one rollout over 1,000 and 10,000 simulated hosts (in-process ssh2 servers,
 * real SSH handshakes and pinned keys) in batches of 5%, on a Temporal dev server of its own
 * (SQLite file) with the worker as its own process, as operations would run it.
 *
 *   node dist/bench/scale/run.js [--hosts 1000,10000] [--batch 5%] [--quick] [--json]
 *
 * Measures total time, hosts per second, the worker's peak RSS, CPU of worker and Temporal
 * server, and the largest history (events, bytes) of any workflow of the rollout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import type { RolloutReport } from '../../policies/rollout/types';
import { startSimulatedFleet } from '../../simulator/fleet';
import { rolloutWorkflowId, type patchRolloutWorkflow } from '../../workflows/patchRollout';
import { cpuSeconds, peakRssMb, startBenchTemporal, writeSimulatedInventory } from '../measure';

const ROOT = join(__dirname, '..', '..', '..');

interface Options {
  hosts: number[];
  batch: string;
  json: boolean;
}

export interface ScaleResult {
  hosts: number;
  batch: string;
  status: string;
  healthy: number;
  /** How many hosts have each version installed after the rollout, read from the hosts themselves. */
  versions: Record<string, number>;
  seconds: number;
  hostsPerSecond: number;
  workerPeakRssMb: number;
  workerCpuSeconds: number;
  temporalCpuSeconds: number;
  workflows: number;
  maxHistoryEvents: number;
  maxHistoryBytes: number;
  maxHistoryWorkflow: string;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    hosts: (get('--hosts') ?? (quick ? '100' : '1000,10000')).split(',').map(Number),
    batch: get('--batch') ?? '5%',
    json: argv.includes('--json'),
  };
}


function policyYaml(batch: string, inventoryFile: string): string {
  return `
apiVersion: maint/v1
kind: RolloutPolicy
name: scale
targets: {inventory: ${inventoryFile}}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {batches: ["${batch}"]}
maxUnavailable: "${batch}"
failureThreshold: "1%"
health:
  checks: [{kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/hosts/{{host.name}}/health', bodyMatches: 'version=2\\.0\\.0'}]
  interval: 200ms
  consecutiveSuccesses: 1
  deadline: 30s
`;
}

export async function runScale(count: number, batch: string, log: (line: string) => void = () => undefined): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-scale-'));
  const children: ChildProcess[] = [];
  const fleet = await startSimulatedFleet({ count, initialVersion: '1.0.0', tags: () => ({ role: 'web' }) });
  try {
    log(`${count} simulated hosts up`);
    const inventory = join(dir, 'inventory.yaml');
    writeSimulatedInventory(inventory, fleet.hosts);
    const { address, server } = await startBenchTemporal(dir);
    children.push(server);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const taskQueue = `bench-scale-${count}`;
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], {
      env: { ...process.env, TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: join(dir, 'data'), MAINT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(worker);
    const policy = parsePolicyText(policyYaml(batch, inventory), join(dir, 'policy.yaml'), rolloutPolicySchema);
    // Unique per run: the hosts are always sim-1…N, and a host keeps a rollout's version record (its
    // "before") under the rollout id; a reused id would make this run read an earlier run's record.
    const rolloutId = `scale-${count}-${randomUUID().slice(0, 8)}`;
    const serverCpu0 = cpuSeconds(server.pid!);
    const started = Date.now();
    const report = (await client.workflow.execute<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
      taskQueue, workflowId: rolloutWorkflowId(rolloutId),
      args: [{ rolloutId, policy, targets: { kind: 'source', source: { kind: 'static', file: inventory } } }],
    })) as RolloutReport;
    const seconds = (Date.now() - started) / 1000;
    const workerCpu = cpuSeconds(worker.pid!);
    const workerRss = Math.round(peakRssMb(worker.pid!));
    const serverCpu = cpuSeconds(server.pid!) - serverCpu0;
    const versions: Record<string, number> = {};
    for (const h of fleet.hosts) {
      const version = fleet.installedVersion(h.name);
      versions[version] = (versions[version] ?? 0) + 1;
    }
    log(`rollout ${report.status} in ${seconds.toFixed(1)} s; reading histories`);

    let maxEvents = 0;
    let maxBytes = 0;
    let maxWorkflow = '';
    let workflows = 0;
    for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH '${rolloutWorkflowId(rolloutId)}'` })) {
      workflows++;
      const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      const bytes = temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish().length;
      const events = history.events?.length ?? 0;
      if (events > maxEvents) [maxEvents, maxWorkflow] = [events, w.workflowId];
      maxBytes = Math.max(maxBytes, bytes);
    }
    await connection.close();
    return {
      hosts: count, batch, status: report.status, healthy: report.hosts.filter((h) => h.state === 'healthy').length, versions,
      seconds: Math.round(seconds * 10) / 10, hostsPerSecond: Math.round((count / seconds) * 10) / 10,
      workerPeakRssMb: workerRss, workerCpuSeconds: Math.round(workerCpu), temporalCpuSeconds: Math.round(serverCpu),
      workflows, maxHistoryEvents: maxEvents, maxHistoryBytes: maxBytes, maxHistoryWorkflow: maxWorkflow,
    };
  } finally {
    for (const c of children.reverse()) {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)));
    }
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function resultsTable(results: ScaleResult[]): string {
  const rows = results.map((r) =>
    `| ${r.hosts} | ${r.batch} | ${r.status} (${r.healthy} healthy; ${Object.entries(r.versions).map(([v, n]) => `${n} on ${v}`).join(', ')}) | ${r.seconds} | ${r.hostsPerSecond} | ${r.workerPeakRssMb} | ${r.workerCpuSeconds} | ${r.temporalCpuSeconds} | ${r.workflows} | ${r.maxHistoryEvents} (${r.maxHistoryWorkflow.replace(/^rollout-scale-\d+-[0-9a-f]+/, '…')}) | ${Math.round(r.maxHistoryBytes / 1024)} KiB |`);
  return [
    '| hosts | batch | result | total s | hosts/s | worker peak RSS MB | worker CPU s | Temporal CPU s | workflows | largest history, events | largest history, bytes |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rows,
  ].join('\n');
}

export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

if (require.main === module) {
  const options = parseArgs(process.argv.slice(2));
  void (async () => {
    const results: ScaleResult[] = [];
    for (const count of options.hosts) results.push(await runScale(count, options.batch, (l) => process.stderr.write(`scale: ${l}\n`)));
    process.stdout.write(options.json ? `${JSON.stringify({ machine: machine(), results }, null, 2)}\n` : `${machine()}\n\n${resultsTable(results)}\n`);
    process.exit(0);
  })().catch((err: unknown) => {
    process.stderr.write(`scale: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
