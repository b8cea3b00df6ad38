/**
 * Compliance scan benchmark: one scan of 1,000 simulated hosts (in-process ssh2 servers, real SSH
 * handshakes and pinned keys; each answers the apt scan's read-only commands from its own files,
 * simulator/fleet.ts `apt`) in one workflow run, on a Temporal dev server of its own with the
 * worker as its own process and its SQLite store, as operations would run it.
 *
 *   node dist/bench/compliance/run.js [--hosts 1000] [--parallelism 20] [--json]
 *
 * Measures total time, the worker's peak RSS and CPU, the scan workflow's history (events, bytes),
 * and checks what the store recorded (every host scanned, the expected compliance counts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { complianceReport } from '../../control/compliance';
import { SECURITY_NOW } from '../../policies/compliance/baseline';
import type { ScanSummary } from '../../policies/compliance/types';
import { openStore } from '../../store';
import { startSimulatedFleet, type SimulatedApt } from '../../simulator/fleet';
import type { complianceScanWorkflow } from '../../workflows/complianceScan';
import { cpuSeconds, peakRssMb, startBenchTemporal, writeSimulatedInventory } from '../measure';

const ROOT = join(__dirname, '..', '..', '..');
const DAY = 86_400_000;

/** A quarter each: a 10-day-old security update and a pending reboot; an other update; nothing; two security updates, one held. */
function hostApt(i: number, now: number): SimulatedApt {
  const releases = [{ suite: 'stable', date: new Date(now - 30 * DAY) }, { suite: 'stable-security', date: new Date(now - 10 * DAY) }];
  switch (i % 4) {
    case 0: return { releases, upgradable: ['openssl/stable-security 3.0.15-1 amd64 [upgradable from: 3.0.14-1]'], needrestart: 'NEEDRESTART-KSTA: 3\n' };
    case 1: return { releases, upgradable: ['tzdata/stable 2026a-1 all [upgradable from: 2025b-1]'] };
    case 2: return { releases, upgradable: [] };
    default: return {
      releases, held: ['nginx'],
      upgradable: ['nginx/stable-security 1.24.1-1 amd64 [upgradable from: 1.24.0-1]', 'libc6/stable-security 2.36-9+deb12u9 amd64 [upgradable from: 2.36-9+deb12u8]'],
    };
  }
}


export interface ComplianceBenchResult {
  hosts: number;
  parallelism: number;
  scanned: number;
  failed: number;
  states: { compliant: number; nonCompliant: number; unknown: number };
  seconds: number;
  workerPeakRssMb: number;
  workerCpuSeconds: number;
  historyEvents: number;
  historyBytes: number;
  loadBefore: string;
}

export async function runComplianceBench(count: number, parallelism: number, log: (line: string) => void = () => undefined): Promise<ComplianceBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-compliance-'));
  const children: ChildProcess[] = [];
  const now = Date.now();
  const fleet = await startSimulatedFleet({ count, apt: (i) => hostApt(i, now), tags: (i) => ({ service: i % 2 === 0 ? 'web' : 'api' }) });
  try {
    log(`${count} simulated hosts up`);
    const inventory = join(dir, 'inventory.yaml');
    writeSimulatedInventory(inventory, fleet.hosts);
    const { address, server } = await startBenchTemporal(dir);
    children.push(server);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const taskQueue = `bench-compliance-${count}`;
    const dataDir = join(dir, 'data');
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], {
      env: { ...process.env, TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: dataDir, MAINT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(worker);
    const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
    const workflowId = `compliance-scan-bench-${count}`;
    const started = Date.now();
    const results = (await client.workflow.execute<typeof complianceScanWorkflow>('complianceScanWorkflow', {
      taskQueue, workflowId, args: [{ targets: { kind: 'source', source: { kind: 'static', file: inventory } }, parallelism }],
    })) as ScanSummary[];
    const seconds = (Date.now() - started) / 1000;
    const workerCpu = cpuSeconds(worker.pid!);
    const workerRss = Math.round(peakRssMb(worker.pid!));
    log(`scan done in ${seconds.toFixed(1)} s; reading the history and the store`);
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const historyBytes = temporal.api.history.v1.History.encode(history as temporal.api.history.v1.IHistory).finish().length;
    await connection.close();
    const store = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') }, { migrate: false });
    let states;
    try {
      const report = await complianceReport(store, fleet.hosts, SECURITY_NOW);
      const all = report.summaries[0]!;
      states = { compliant: all.compliant, nonCompliant: all.nonCompliant, unknown: all.unknown };
    } finally {
      await store.close();
    }
    return {
      hosts: count, parallelism, scanned: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, states,
      seconds: Math.round(seconds * 10) / 10, workerPeakRssMb: workerRss, workerCpuSeconds: Math.round(workerCpu),
      historyEvents: history.events?.length ?? 0, historyBytes, loadBefore,
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

if (require.main === module) {
  const argv = process.argv.slice(2);
  const get = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  void (async () => {
    const result = await runComplianceBench(Number(get('--hosts') ?? 1000), Number(get('--parallelism') ?? 20), (l) => process.stderr.write(`compliance: ${l}\n`));
    const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
    process.stdout.write(`${JSON.stringify({ machine, result }, null, 2)}\n`);
    process.exit(0);
  })().catch((err: unknown) => {
    process.stderr.write(`compliance: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
