import { hostReadiness } from '../../policies/inventory/facts';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import type { TargetSet } from '../../policies/rollout/types';
import { heartbeat } from '../context';
import type { Store } from '../../store';
import type { SshConnector } from '../hosts/ssh';
import { readHostFacts } from '../hosts/facts';
import { withHost } from '../hosts/withHost';
import { allHosts } from '../inventory';
import { sshTarget } from '../patch';

export interface WindowPreflightResult {
  hosts: number;
  /** One line per problem, naming the host: what operations should fix before the window. */
  problems: string[];
}

/** Hosts checked at once: read-only SSH sessions, so more than a rollout's batch. */
const PARALLEL_HOSTS = 8;

export function createWindowActivities(deps: { ssh: SshConnector; store: Store }) {
  return {
    /**
     * A day ahead: every host of the window's tasks answers SSH with its pinned key, has free disk
     * on / and no reboot pending. Read-only; problems are returned, not thrown, so all are seen.
     */
    async preflightWindowHosts(input: { targets: TargetSet[] }): Promise<WindowPreflightResult> {
      const problems: string[] = [];
      const seen = new Set<string>();
      const hosts: ResolvedHost[] = [];
      for (const targets of input.targets) {
        try {
          for (const h of await allHosts(targets, deps.store)) {
            if (seen.has(h.name)) continue;
            seen.add(h.name);
            hosts.push(h);
          }
        } catch (err) {
          problems.push(`inventory: ${(err as Error).message}`);
        }
      }
      let next = 0;
      const lane = async () => {
        while (next < hosts.length) {
          const host = hosts[next++]!;
          heartbeat({ step: 'preflight', host: host.name });
          try {
            await withHost(deps.ssh, sshTarget(host), async (shell) => {
              const { lowDisk, rebootPending, becomeFails } = hostReadiness(host.name, await readHostFacts(shell, host), host);
              problems.push(...[becomeFails, lowDisk, rebootPending].filter((p) => p !== undefined));
            });
          } catch (err) {
            problems.push(`${host.name}: not reachable over SSH (${(err as Error).message.split('\n')[0]})`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_HOSTS, hosts.length) }, lane));
      return { hosts: hosts.length, problems: problems.sort() };
    },
  };
}
