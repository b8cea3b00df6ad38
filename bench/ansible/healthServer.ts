/**
 * The benchmark hosts' HTTP health endpoints, in a process of their own (started by hosts.ts).
 * They stand for services on other machines: served from the benchmark's own process, they shared
 * its event loop with the /proc sampler and were starved when Ansible's 37 forks saturated the
 * CPU, so health checks timed out that no real host would have failed.
 *
 *   node dist/bench/ansible/healthServer.js '[{"fsDir": "...", "stateDir": "..."}, ...]'
 *
 * Per host, one HTTP server on a free loopback port answers from `<fsDir>/version`: 503 if that
 * version is listed in `<stateDir>/unhealthy`, else 200. Host-side timestamps go to files the
 * benchmark reads: every answer to `<stateDir>/health.log` (`ms status version`), and every change
 * of the installed version (polled every 20 ms) to `<stateDir>/versions.log` (`ms version`).
 * Prints the ports, as one JSON line, once all listen.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface HealthServerHost {
  fsDir: string;
  stateDir: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function installedVersion(fsDir: string): string {
  return readText(join(fsDir, 'version'))?.trim() || 'none';
}

async function main(hosts: HealthServerHost[]): Promise<void> {
  const servers: Server[] = hosts.map(({ fsDir, stateDir }) => createServer((_req, res) => {
    const version = installedVersion(fsDir);
    const status = (readText(join(stateDir, 'unhealthy')) ?? '').split('\n').includes(version) ? 503 : 200;
    appendFileSync(join(stateDir, 'health.log'), `${Date.now()} ${status} ${version}\n`);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status === 200 ? 'ok' : 'unhealthy'} version=${version}\n`);
  }));
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  const last = hosts.map(() => '');
  setInterval(() => {
    for (const [i, { fsDir, stateDir }] of hosts.entries()) {
      const version = installedVersion(fsDir);
      if (version === last[i]) continue;
      last[i] = version;
      appendFileSync(join(stateDir, 'versions.log'), `${Date.now()} ${version}\n`);
    }
  }, 20);
  process.stdout.write(`${JSON.stringify(servers.map((s) => (s.address() as AddressInfo).port))}\n`);
  // The benchmark going away (even by SIGKILL) closes our stdin: then we go too.
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '[]') as HealthServerHost[]).catch((err: unknown) => {
    process.stderr.write(`healthServer: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
