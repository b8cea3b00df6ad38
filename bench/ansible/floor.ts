/**
 * The physical floor: what the rollout costs with no orchestrator at all. Per wave, every host at
 * once: plain `ssh` (OpenSSH client, pinned known_hosts, a new connection) runs the patch command,
 * then `curl` fetches the health URL once; the wave takes as long as its slowest host. The floor
 * is the sum over waves. The hosts are reset to the old version afterwards.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchFleet, BenchHost } from './hosts';
import { SCENARIO, scenarioWaves } from './scenario';

function run(command: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve({ code, stdout }) : reject(new Error(`${command} ${args.slice(-1)[0]}: exit ${code}: ${stderr.trim()}`))));
  });
}

async function patchAndCheck(host: BenchHost, clientKey: string, knownHosts: string): Promise<number> {
  const started = performance.now();
  await run('ssh', ['-i', clientKey, '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes', '-p', String(host.port), `${host.user}@127.0.0.1`, SCENARIO.patchCommand]);
  // Like both tools: retried every interval, a few times, when the loaded machine answers late.
  for (let attempt = 1; ; attempt++) {
    const health = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', String(SCENARIO.healthTimeoutS), host.healthUrl]).catch((err: Error) => ({ code: 1, stdout: err.message }));
    if (health.stdout === '200') break;
    if (attempt >= SCENARIO.healthAttempts) throw new Error(`${host.name}: health answered ${health.stdout || 'nothing'} after the patch`);
    await new Promise((r) => setTimeout(r, SCENARIO.healthIntervalS * 1000));
  }
  return (performance.now() - started) / 1000;
}

export interface Floor {
  seconds: number;
  /** Slowest host per wave, seconds. */
  waves: number[];
}

export async function measureFloor(fleet: BenchFleet, count: number, dir: string): Promise<Floor> {
  const knownHosts = join(dir, 'floor_known_hosts');
  writeFileSync(knownHosts, `${fleet.hosts.map((h) => h.knownHostsLine).join('\n')}\n`);
  const waves: number[] = [];
  try {
    for (const wave of scenarioWaves(count)) {
      const hosts = fleet.hosts.slice(wave.start, wave.start + wave.size);
      const times = await Promise.all(hosts.map((h) => patchAndCheck(h, fleet.clientKey, knownHosts)));
      waves.push(Math.max(...times));
    }
  } finally {
    fleet.reset();
  }
  return { seconds: waves.reduce((a, b) => a + b, 0), waves };
}
