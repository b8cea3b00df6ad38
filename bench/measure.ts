/**
 * What the benchmarks share: their own Temporal dev server, a simulated fleet's inventory file, and
 * what a process costs, read from Linux /proc: CPU seconds (utime + stime), resident memory, and
 * a sampler that follows a whole process tree (Ansible forks workers, ssh clients and Python
 * modules; the ssh ControlPersist masters detach from the tree, so they are matched by command line).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findTemporalCli, untilTemporalAnswers } from '../cli/temporalCli';
import { freePort } from '../harness/ports';
import type { SimulatedHost } from '../simulator/fleet';

const CLOCK_TICKS = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpuSeconds: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return { pid, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS };
  } catch {
    return undefined; // it exited between readdir and read
  }
}

/** utime + stime of one process so far, in seconds (0 once it is gone). */
export function cpuSeconds(pid: number): number {
  return readProcStat(pid)?.cpuSeconds ?? 0;
}

function statusKb(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
    return Number(line?.replace(/\D+/g, '') ?? 0);
  } catch {
    return 0;
  }
}

/** Proportional set size (shared pages split between the processes sharing them), in kB. */
function pssKb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n').find((l) => l.startsWith('Pss:'));
    return Number(line?.replace(/\D+/g, '') ?? 0);
  } catch {
    return 0;
  }
}

/** The peak resident set (VmHWM) of one process in MB. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5), so a long-lived worker's peak is per run. */
export function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted (not root, old kernel): the peak then covers the worker's whole life, which the README says.
  }
}

function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export interface TreeUsage {
  /** Highest sum of RSS over the tree seen by any sample, MB. */
  peakRssMb: number;
  /** Highest sum of PSS (shared pages divided among sharers), MB. */
  peakPssMb: number;
  /** Most processes alive at once in the tree. */
  peakProcesses: number;
  /** Last CPU seconds seen per process matched by `extra` (they are never reaped by the tree's root). */
  detachedCpuSeconds: number;
  samples: number;
}

/**
 * Samples, every `intervalMs`, the processes descending from `roots()` plus those whose command
 * line contains one of `detachedMarkers` (and their descendants), summing RSS and PSS. Processes
 * that live shorter than the interval can be missed by the memory sum; CPU comes from rusage instead.
 */
export function sampleTree(roots: () => number[], options: { intervalMs?: number; detachedMarkers?: string[]; exclude?: (pid: number) => boolean } = {}): { stop(): TreeUsage } {
  const usage: TreeUsage = { peakRssMb: 0, peakPssMb: 0, peakProcesses: 0, detachedCpuSeconds: 0, samples: 0 };
  const detachedCpu = new Map<number, number>();
  const markers = options.detachedMarkers ?? [];
  const sample = () => {
    const procs = allProcesses();
    const children = new Map<number, number[]>();
    for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
    const detached = markers.length === 0 ? [] : procs.filter((p) => markers.some((m) => cmdline(p.pid).includes(m))).map((p) => p.pid);
    for (const pid of detached) detachedCpu.set(pid, procs.find((p) => p.pid === pid)?.cpuSeconds ?? 0);
    const seen = new Set<number>();
    const queue = [...roots(), ...detached];
    while (queue.length > 0) {
      const pid = queue.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      queue.push(...(children.get(pid) ?? []));
    }
    let rss = 0;
    let pss = 0;
    let count = 0;
    for (const pid of seen) {
      if (options.exclude?.(pid)) continue;
      const kb = statusKb(pid, 'VmRSS');
      if (kb === 0) continue;
      rss += kb;
      pss += pssKb(pid);
      count++;
    }
    usage.samples++;
    usage.peakRssMb = Math.max(usage.peakRssMb, rss / 1024);
    usage.peakPssMb = Math.max(usage.peakPssMb, pss / 1024);
    usage.peakProcesses = Math.max(usage.peakProcesses, count);
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 200);
  return {
    stop() {
      clearInterval(timer);
      sample();
      usage.detachedCpuSeconds = [...detachedCpu.values()].reduce((a, b) => a + b, 0);
      return usage;
    },
  };
}

/** Finds the pids whose command line contains `marker` (used to close Ansible's ssh masters). */
export function pidsWithCommandLine(marker: string): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => pid !== process.pid && cmdline(pid).includes(marker));
}

export interface TimeReport {
  userSeconds: number;
  systemSeconds: number;
  maxRssMb: number;
}

/** Parses what `/usr/bin/time -v` wrote: rusage of the command and every descendant it waited for. */
export function parseTimeVerbose(text: string): TimeReport {
  const num = (label: string) => Number(new RegExp(`${label.replace(/[()]/g, '\\$&')}: ([\\d.]+)`).exec(text)?.[1] ?? NaN);
  return { userSeconds: num('User time (seconds)'), systemSeconds: num('System time (seconds)'), maxRssMb: num('Maximum resident set size (kbytes)') / 1024 };
}

/** A Temporal dev server of the benchmark's own, on a free loopback port, with its database in `dir`. */
export async function startBenchTemporal(dir: string): Promise<{ address: string; server: ChildProcess }> {
  const cli = findTemporalCli();
  if (!cli) throw new Error('the Temporal CLI is missing: run scripts/test.sh or scripts/demo.sh once (they install it into .tools/)');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const server = spawn(cli.path, ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', join(dir, 'temporal.db'), '--log-level', 'error'], { stdio: 'ignore' });
  try {
    await untilTemporalAnswers(address, { server });
  } catch (err) {
    server.kill('SIGKILL');
    throw err;
  }
  return { address, server };
}

/** Writes the inventory file of a simulated fleet (each host's health port as its `healthPort` tag). */
export function writeSimulatedInventory(file: string, hosts: readonly SimulatedHost[]): void {
  writeFileSync(file, stringify({
    apiVersion: 'maint/v1', kind: 'Inventory',
    hosts: hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, user: h.user, identityFile: h.identityFile, hostKey: h.hostKey, tags: { ...h.tags, healthPort: new URL(h.healthUrl).port } })),
  }));
}
