/**
 * Our side: a Temporal dev server of the benchmark's own (free port, SQLite file in a temp folder),
 * the worker as its own process (`node dist/worker.js`), and each rollout started as a user would:
 * `node bin/maint.js rollout start -f policy.yaml --wait --json`, wrapped in `/usr/bin/time -v`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findTemporalCli, TEMPORAL_CLI_HINT, untilTemporalAnswers } from '../../cli/temporalCli';
import { freePort } from '../../harness/ports';
import { track } from '../../harness/processes';
import type { ToolRun } from './ansible';
import type { BenchFleet } from './hosts';
import { cpuSeconds, parseTimeVerbose, resetPeakRss, sampleTree } from '../measure';
import { SCENARIO } from './scenario';

const ROOT = join(__dirname, '..', '..', '..');

export interface OurStack {
  env: NodeJS.ProcessEnv;
  worker: ChildProcess;
  server: ChildProcess;
  stop(): Promise<void>;
}

export async function startOurStack(dir: string, clientKey: string): Promise<OurStack> {
  const cli = findTemporalCli();
  if (!cli) throw new Error(`the Temporal CLI is missing: ${TEMPORAL_CLI_HINT}`);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'temporal.log');
  // The dev server picks its HTTP API and metrics ports itself; on a busy machine one can be taken
  // between its choice and its bind, and it exits. Then a new one is started (new ports).
  let server: ChildProcess | undefined;
  let address = '';
  for (let attempt = 1; !server; attempt++) {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    const serverLog = openSync(logFile, 'a');
    const candidate = track(spawn(cli.path, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dir, `temporal-${attempt}.db`), '--log-level', 'error'], { stdio: ['ignore', serverLog, serverLog] }));
    closeSync(serverLog);
    try {
      // Generous: on a loaded 2-core machine the dev server can take a minute to answer.
      await untilTemporalAnswers(address, { server: candidate, timeoutMs: 180_000 });
      server = candidate;
    } catch (err) {
      candidate.kill('SIGKILL');
      if (attempt >= 3) throw new Error(`${(err as Error).message}; its log: ${readFileSync(logFile, 'utf8').slice(-1500)}`, { cause: err });
    }
  }
  const children: ChildProcess[] = [server];
  const stop = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  };
  try {
    const env = { ...process.env, TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: 'bench-ansible', MAINT_SSH_IDENTITY_FILE: clientKey, MAINT_DATA_DIR: join(dir, 'data'), MAINT_LOG_LEVEL: 'warn' };
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    track(worker);
    children.push(worker);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the worker did not start polling within 120 s:\n${stderr}`)), 120_000);
      worker.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-20_000);
        if (stderr.includes('worker: polling task queue')) {
          clearTimeout(timer);
          resolve();
        }
      });
      worker.once('exit', (code) => reject(new Error(`the worker exited with ${code}:\n${stderr}\nTemporal server (${server.exitCode === null ? 'running' : `exited ${server.exitCode}`}): ${readFileSync(logFile, 'utf8').slice(-2000)}`)));
    });
    return { env, worker, server, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function ourPolicyYaml(inventoryFile: string): string {
  return [
    'apiVersion: maint/v1',
    'kind: RolloutPolicy',
    'name: bench-ansible',
    `targets: {inventory: ${JSON.stringify(inventoryFile)}}`,
    'strategy:',
    '  kind: command',
    `  target: ${SCENARIO.targetVersion}`,
    `  check: ${JSON.stringify(SCENARIO.checkCommand)}`,
    `  apply: ${JSON.stringify(SCENARIO.patchCommand.replace(SCENARIO.targetVersion, '{{target}}'))}`,
    `  rollback: ${JSON.stringify(SCENARIO.rollbackCommand('{{previous}}'))}`,
    `waves: {canary: ${SCENARIO.canary}, batches: ${JSON.stringify(SCENARIO.batches)}}`,
    // Every host of a wave at once, as Ansible with forks >= batch size; see scenario.ts.
    'maxUnavailable: "100%"',
    `failureThreshold: ${SCENARIO.failureThreshold}`,
    'health:',
    "  checks: [{kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/health', expectStatus: 200}]",
    `  interval: ${SCENARIO.healthIntervalS}s`,
    `  timeout: ${SCENARIO.healthTimeoutS}s`,
    '  consecutiveSuccesses: 1',
    `  deadline: ${SCENARIO.healthDeadlineS}s`,
    'rollback: {scope: batch}',
    '',
  ].join('\n');
}

export function writeOurProject(dir: string, fleet: BenchFleet, count: number): string {
  mkdirSync(dir, { recursive: true });
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, fleet.fleet.inventoryYaml((h, i) => (i < count ? { tags: { ...h.tags, healthPort: String(fleet.hosts[i]!.healthPort) } } : {}))
    // Only the first `count` hosts: drop the others' lines.
    .split('\n').filter((line) => !line.startsWith('  - ') || fleet.hosts.slice(0, count).some((h) => line.includes(`"name":"${h.name}"`))).join('\n'));
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, ourPolicyYaml('inventory.yaml'));
  return policy;
}

export interface OurRun extends ToolRun {
  report: { status: string; hosts: Array<{ name: string; state: string }> } | undefined;
}

/** One rollout through the CLI; CPU = worker's delta + the CLI's rusage; memory = both, sampled. */
export async function runOurs(stack: OurStack, dir: string, fleet: BenchFleet, count: number, label: string): Promise<OurRun> {
  const policy = writeOurProject(dir, fleet, count);
  const timeFile = join(dir, `${label}.time`);
  const logFile = join(dir, `${label}.log`);
  const workerPid = stack.worker.pid!;
  resetPeakRss(workerPid);
  const workerCpu0 = cpuSeconds(workerPid);
  const serverCpu0 = cpuSeconds(stack.server.pid!);
  const started = Date.now();
  const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, process.execPath, join(ROOT, 'bin', 'maint.js'), 'rollout', 'start', '-f', policy, '--wait', '--json', '--id', `${label}-${started}`], {
    env: stack.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const sampler = sampleTree(() => [workerPid, ...(child.pid ? [child.pid] : [])], { exclude: (pid) => pid === child.pid });
  const exitCode = await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  const wallSeconds = (Date.now() - started) / 1000;
  const tree = sampler.stop();
  const workerCpu = cpuSeconds(workerPid) - workerCpu0;
  const serverCpu = cpuSeconds(stack.server.pid!) - serverCpu0;
  writeFileSync(logFile, `${stdout}\n${stderr}`);
  const time = parseTimeVerbose(readFileSync(timeFile, 'utf8'));
  let report: OurRun['report'];
  try {
    report = JSON.parse(stdout) as OurRun['report'];
  } catch {
    report = undefined;
  }
  return {
    wallSeconds, exitCode, logFile, report,
    cpuSeconds: workerCpu + time.userSeconds + time.systemSeconds,
    peakRssMb: tree.peakRssMb,
    peakPssMb: tree.peakPssMb,
    serverCpuSeconds: serverCpu,
  };
}
