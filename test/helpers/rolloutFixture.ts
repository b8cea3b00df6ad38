import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema, type RolloutPolicy } from '../../policies/rollout/policy';
import { startVersionedHealth, type HealthEndpoint } from './healthEndpoint';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

/**
 * N real sshd hosts, each with a small "installed version" ($MAINT_HOST_DIR/version, 1.0.0 at
 * first) that its own real HTTP health endpoint reports; versions in `unhealthy[host]` answer 503.
 * Drain/undrain hooks write out-of-service timestamps on the host; apply counts itself on the host.
 */
export interface RolloutFixture {
  fleet: SshdFleet;
  health: HealthEndpoint[];
  hosts: ResolvedHost[];
  /** Makes `version` unhealthy on the host with that index (0-based). */
  makeUnhealthy(index: number, version: string): void;
  version(index: number): string;
  applyCount(index: number): number;
  /** [drained, undrained] epoch-ms intervals recorded on the host by the hooks. */
  outOfService(index: number): Array<[number, number]>;
  policy(overrides?: string): RolloutPolicy;
  policyYaml(overrides?: string): string;
  /**
   * Puts every host back where the fixture started it: version 1.0.0, no apply or service log,
   * every version healthy, an empty job directory. For a test that must not see what an earlier
   * test of its file left behind.
   */
  reset(): void;
  stop(): Promise<void>;
}

export const COMMAND_POLICY = `
apiVersion: maint/v1
kind: RolloutPolicy
name: test-rollout
targets: {inventory: inventory.yaml}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && sleep 0.3 && echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
hooks:
  drain: echo "out $(date +%s%3N)" >> "$MAINT_HOST_DIR/service.log"
  undrain: echo "in $(date +%s%3N)" >> "$MAINT_HOST_DIR/service.log"
health:
  checks:
    - {kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/health', bodyMatches: 'version='}
    - {kind: tcp, host: '{{host.address}}', port: SSH_PORT_OF_HOST_1}
    - {kind: command, command: 'test -s "$MAINT_HOST_DIR/version"'}
  interval: 200ms
  timeout: 2s
  consecutiveSuccesses: 2
  deadline: 4s
`;

/** `fleet`: options for the hosts (e.g. a non-root SSH `user`), as {@link startSshdFleet} takes them. */
export async function startRolloutFixture(count: number, fleetOptions: Parameters<typeof startSshdFleet>[1] = {}): Promise<RolloutFixture> {
  const unhealthy = Array.from({ length: count }, () => new Set<string>());
  const fleet = await startSshdFleet(count, fleetOptions);
  const health: HealthEndpoint[] = [];
  const reset = () => {
    for (const [i, host] of fleet.hosts.entries()) {
      writeFileSync(join(host.dir, 'version'), '1.0.0\n');
      for (const file of ['apply.log', 'service.log']) rmSync(join(host.dir, file), { force: true });
      rmSync(host.jobDir, { recursive: true, force: true });
      unhealthy[i]!.clear();
    }
  };
  reset();
  try {
    for (const [i, host] of fleet.hosts.entries()) {
      health.push(await startVersionedHealth(host.dir, unhealthy[i]!));
      host.tags = { role: 'web', healthPort: String(health[i]!.port), patchGroup: i % 2 === 0 ? 'a' : 'b' };
    }
  } catch (err) {
    await Promise.all(health.map((h) => h.close()));
    await fleet.stop();
    throw err;
  }
  const read = (i: number, file: string) => {
    const path = join(fleet.hosts[i]!.dir, file);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };
  // Overrides replace whole top-level keys of the base policy, like a second file layered on top.
  // The tcp check needs a fixed port: every host checks that host-1's sshd accepts connections.
  const base = COMMAND_POLICY.replace('SSH_PORT_OF_HOST_1', String(fleet.hosts[0]!.port));
  const policyYaml = (overrides = '') => stringify({ ...(parse(base) as object), ...((parse(overrides) as object | null) ?? {}) });
  return {
    fleet,
    health,
    hosts: fleet.hosts.map(({ name, address, port, user, hostKey, identityFile, tags }) => ({ name, address, port, user, hostKey, identityFile: identityFile!, tags })),
    makeUnhealthy: (i, version) => void unhealthy[i]!.add(version),
    version: (i) => read(i, 'version').trim(),
    applyCount: (i) => read(i, 'apply.log').split('\n').filter(Boolean).length,
    outOfService(i) {
      const intervals: Array<[number, number]> = [];
      let from: number | undefined;
      for (const line of read(i, 'service.log').split('\n').filter(Boolean)) {
        const [what, at] = line.split(' ');
        if (what === 'out') from = Number(at);
        else if (from !== undefined) {
          intervals.push([from, Number(at)]);
          from = undefined;
        }
      }
      if (from !== undefined) intervals.push([from, Number.POSITIVE_INFINITY]);
      return intervals;
    },
    policyYaml,
    policy: (overrides = '') => parsePolicyText(policyYaml(overrides), 'policy.yaml', rolloutPolicySchema),
    reset,
    async stop() {
      await Promise.all(health.map((h) => h.close()));
      await fleet.stop();
    },
  };
}

/** The most hosts out of service at the same instant, from host-side timestamps. */
export function maxConcurrentOutOfService(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([from, to]) => [[from, 1], [to, -1]] as Array<[number, number]>);
  // At equal times, an end comes before a start: [a, b) intervals.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of events) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
