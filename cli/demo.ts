import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSimulatedFleet, type SimulatedFleet } from '../simulator/fleet';
import { defaultDataDir, runDev } from './dev';
import { parseEnvironment } from '../policies/common/environment';
import { rolloutStart, rolloutStatus } from './rollout';

/** The demo's rollout policy, as a user would write it. web-7 cannot stand version 2.0.0. */
const DEMO_POLICY = `apiVersion: maint/v1
kind: RolloutPolicy
name: demo-web-upgrade
description: Upgrade the demo web tier from 1.0.0 to 2.0.0, canary first.
targets:
  inventory: inventory.yaml
  selector: role=web
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: sleep 1 && echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves:
  canary: 1
  batches: [2, 4, "100%"]
maxUnavailable: 2
failureThreshold: 0
bakeTime: 2s
health:
  checks:
    - kind: http
      url: http://127.0.0.1:{{host.tags.healthPort}}/hosts/{{host.name}}/health
      expectStatus: 200
  interval: 500ms
  consecutiveSuccesses: 3
  deadline: 6s
hooks:
  drain: echo drained > "$MAINT_HOST_DIR/lb-state"
  undrain: echo serving > "$MAINT_HOST_DIR/lb-state"
rollback:
  scope: batch
`;

/**
 * `maint demo`: `maint dev` plus a simulated fleet of 12 hosts (real SSH servers in-process) and a
 * real rollout on it, in which web-7 fails its health check after patching: its batch is rolled
 * back and the rollout halts. Progress is shown live; the files stay usable from another terminal.
 */
export async function runDemo(options: { port: number; dataDir?: string; consolePort?: number }): Promise<number> {
  let fleet: SimulatedFleet | undefined;
  const dataDir = options.dataDir ?? defaultDataDir(parseEnvironment(process.env));
  try {
    return await runDev({
      port: options.port,
      dataDir,
      ...(options.consolePort !== undefined ? { consolePort: options.consolePort } : {}),
      onReady: async (address) => {
        fleet = await startSimulatedFleet({
          count: 12,
          namePrefix: 'web',
          tags: () => ({ role: 'web' }),
          faults: (i) => (i === 6 ? { unhealthyVersions: ['2.0.0'] } : {}),
        });
        const healthPort = new URL(fleet.hosts[0]!.healthUrl).port;
        const dir = join(dataDir, 'demo');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'inventory.yaml'), stringify({
          apiVersion: 'maint/v1', kind: 'Inventory',
          defaults: { identityFile: fleet.clientKeyFile },
          hosts: fleet.hosts.map((h) => ({ name: h.name, address: h.address, port: h.port, user: h.user, hostKey: h.hostKey, tags: { ...h.tags, healthPort } })),
        }));
        writeFileSync(join(dir, 'policy.yaml'), DEMO_POLICY);
        process.env.TEMPORAL_ADDRESS = address;
        const say = (line = '') => process.stdout.write(`${line}\n`);
        say();
        say(`demo: 12 simulated hosts are up (real SSH servers with pinned host keys); web-7 will fail its health check on 2.0.0.`);
        say(`demo: inventory and policy: ${dir}/inventory.yaml, ${dir}/policy.yaml`);
        const rolloutId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-').toLowerCase()}`;
        say(`demo: starting rollout ${rolloutId}; live progress follows.`);
        await new Promise((r) => setTimeout(r, 1500));
        await rolloutStart({ file: join(dir, 'policy.yaml'), id: rolloutId });
        await rolloutStatus(rolloutId, { watch: true, intervalMs: 500 });
        say();
        say(`demo: web-7's batch was rolled back to 1.0.0 and verified healthy; the rollout halted before touching the rest.`);
        say('demo: follow it in the operations console too (address and first-run password above): hosts, waves, the rolled-back batch.');
        say(`demo: see every step in the Temporal Web UI (link above). From another terminal, with TEMPORAL_ADDRESS=${address}:`);
        say(`        node bin/maint.js rollout status ${rolloutId}`);
        say(`        node bin/maint.js rollout start -f ${dir}/policy.yaml --dry-run`);
        say('demo: Ctrl-C stops everything.');
      },
    });
  } finally {
    await fleet?.stop();
  }
}
