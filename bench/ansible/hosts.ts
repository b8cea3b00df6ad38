/**
 * The benchmark's hosts: real OpenSSH sshd processes on loopback (test/helpers/sshdFleet), each with
 * a "version" file ($MAINT_HOST_DIR/version) and its own HTTP health endpoint that reports it and
 * answers 503 for a version marked unhealthy on that host. Every answer is logged with its time
 * (host side), so the bad-host reaction time does not depend on what either tool reports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startHealthEndpoint, type HealthEndpoint } from '../../test/helpers/healthEndpoint';
import { startSshdFleet, type SshdFleet, type SshdHost } from '../../test/helpers/sshdFleet';

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
  stop(): Promise<void>;
}

export const INITIAL_VERSION = '1.0.0';
export const TARGET_VERSION = '2.0.0';

export async function startBenchFleet(count: number): Promise<BenchFleet> {
  const fleet = await startSshdFleet(count, { namePrefix: 'bench' });
  const unhealthy = fleet.hosts.map(() => new Set<string>());
  const logs: HealthAnswerLog[][] = fleet.hosts.map(() => []);
  const endpoints: HealthEndpoint[] = [];
  const readVersion = (i: number) => {
    try {
      return readFileSync(join(fleet.hosts[i]!.dir, 'version'), 'utf8').trim();
    } catch {
      return 'none';
    }
  };
  try {
    for (const [i, host] of fleet.hosts.entries()) {
      writeFileSync(join(host.dir, 'version'), `${INITIAL_VERSION}\n`);
      endpoints.push(await startHealthEndpoint(() => {
        const version = readVersion(i);
        const status = unhealthy[i]!.has(version) ? 503 : 200;
        logs[i]!.push({ at: Date.now(), status, version });
        return { status, body: `${status === 200 ? 'ok' : 'unhealthy'} version=${version}\n` };
      }));
    }
  } catch (err) {
    await Promise.all(endpoints.map((e) => e.close()));
    await fleet.stop();
    throw err;
  }
  const hosts = fleet.hosts.map((h, i): BenchHost => {
    const publicKey = readFileSync(join(dirname(h.dir), 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    return {
      name: h.name, port: h.port, user: h.user, dir: h.dir, sshd: h,
      healthUrl: endpoints[i]!.url, healthPort: endpoints[i]!.port,
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
        unhealthy[i]!.clear();
        logs[i]!.length = 0;
      }
    },
    makeUnhealthy: (i, version) => void unhealthy[i]!.add(version),
    answers: (i) => [...logs[i]!],
    async stop() {
      await Promise.all(endpoints.map((e) => e.close()));
      await fleet.stop();
    },
  };
}

/**
 * Watches the version files of some hosts (polling every 20 ms: a file watcher misses rewrites in
 * place on some filesystems) and remembers, per host, when it last changed to `version`.
 */
export function watchVersions(fleet: BenchFleet, indexes: number[], version: string): { stop(): Map<number, number> } {
  const since = new Map<number, number>();
  const last = new Map<number, string>(indexes.map((i) => [i, fleet.version(i)]));
  const timer = setInterval(() => {
    const now = Date.now();
    for (const i of indexes) {
      const v = fleet.version(i);
      if (v !== last.get(i) && v === version) since.set(i, now);
      last.set(i, v);
    }
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return since;
    },
  };
}
