/**
 * The benchmark's hosts: real OpenSSH sshd processes on loopback (harness/sshdFleet), each with
 * a "version" file ($MAINT_HOST_DIR/version) and its own HTTP health endpoint that reports it and
 * answers 503 for a version marked unhealthy on that host. The endpoints run in a process of their
 * own (healthServer.ts), as services on other machines would, so that a benchmark process starved
 * of CPU cannot make a healthy host look down. That process also logs, with host-side timestamps,
 * every answer and every version change, so the bad-host reaction time does not depend on what
 * either tool reports, nor on when this process gets to look.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { track } from '../../harness/processes';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../harness/sshdFleet';
import { installedVersion } from './healthServer';

export interface HealthAnswerLog {
  at: number;
  status: number;
  version: string;
}

export interface BenchHost {
  name: string;
  port: number;
  user: string;
  dir: string;
  healthUrl: string;
  healthPort: number;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`, for an OpenSSH known_hosts file. */
  knownHostsLine: string;
  sshd: SshdHost;
}

export interface BenchFleet {
  hosts: BenchHost[];
  clientKey: string;
  fleet: SshdFleet;
  version(index: number): string;
  /** Back to 1.0.0 everywhere, all versions healthy again, answer logs emptied. */
  reset(): void;
  makeUnhealthy(index: number, version: string): void;
  answers(index: number): HealthAnswerLog[];
  /** Every change of the host's installed version seen by the health process, oldest first. */
  versionChanges(index: number): Array<{ at: number; version: string }>;
  stop(): Promise<void>;
}

export const INITIAL_VERSION = '1.0.0';
export const TARGET_VERSION = '2.0.0';

/** Starts healthServer.js for the hosts; resolves with its ports once every endpoint listens. */
async function startHealthServer(hosts: Array<{ fsDir: string; stateDir: string }>): Promise<{ child: ChildProcess; ports: number[] }> {
  const child = track(spawn(process.execPath, [join(__dirname, 'healthServer.js'), JSON.stringify(hosts)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const ports = await new Promise<number[]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`the health endpoints' process exited with ${code} before listening`)));
  });
  return { child, ports };
}

export async function startBenchFleet(count: number): Promise<BenchFleet> {
  const fleet = await startSshdFleet(count, { namePrefix: 'bench' });
  // Control and log files of a host live next to its filesystem, out of its sessions' sight.
  const stateDir = (i: number) => dirname(fleet.hosts[i]!.dir);
  const file = (i: number, name: 'unhealthy' | 'health.log' | 'versions.log') => join(stateDir(i), name);
  const readVersion = (i: number) => installedVersion(fleet.hosts[i]!.dir);
  let health: { child: ChildProcess; ports: number[] };
  try {
    for (const host of fleet.hosts) writeFileSync(join(host.dir, 'version'), `${INITIAL_VERSION}\n`);
    health = await startHealthServer(fleet.hosts.map((h, i) => ({ fsDir: h.dir, stateDir: stateDir(i) })));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  const hosts = fleet.hosts.map((h, i): BenchHost => {
    const publicKey = readFileSync(join(dirname(h.dir), 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const port = health.ports[i]!;
    return {
      name: h.name, port: h.port, user: h.user, dir: h.dir, sshd: h,
      healthUrl: `http://127.0.0.1:${port}/health`, healthPort: port,
      knownHostsLine: `[127.0.0.1]:${h.port} ${publicKey}`,
    };
  });
  return {
    hosts,
    clientKey: fleet.clientKey,
    fleet,
    version: readVersion,
    reset() {
      for (const [i, host] of hosts.entries()) {
        writeFileSync(join(host.dir, 'version'), `${INITIAL_VERSION}\n`);
        rmSync(file(i, 'unhealthy'), { force: true });
        writeFileSync(file(i, 'health.log'), '');
      }
    },
    makeUnhealthy: (i, version) => appendFileSync(file(i, 'unhealthy'), `${version}\n`),
    answers: (i) => logLines(file(i, 'health.log')).map(([at, status, version]) => ({ at: Number(at), status: Number(status), version: version ?? '' })),
    versionChanges: (i) => logLines(file(i, 'versions.log')).map(([at, version]) => ({ at: Number(at), version: version ?? '' })),
    async stop() {
      const { child } = health;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await fleet.stop();
    },
  };
}

function logLines(path: string): string[][] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => l.split(' '));
}

/**
 * From the health process's log of version changes (polled every 20 ms on the host side): per
 * host, when it last changed to `version` after `stop()`'s caller started watching, having first
 * left it (the reset to `version` just before the watch is not a change the tool made).
 */
export function watchVersions(fleet: BenchFleet, indexes: number[], version: string): { stop(): Map<number, number> } {
  const started = Date.now();
  return {
    stop() {
      const since = new Map<number, number>();
      for (const i of indexes) {
        let left = false;
        for (const change of fleet.versionChanges(i)) {
          if (change.at < started) continue;
          if (change.version !== version) left = true;
          else if (left) since.set(i, change.at);
        }
      }
      return since;
    },
  };
}
