import type { ResolvedHost } from '../../policies/inventory';
import type { TargetSet } from '../../policies/rolloutTypes';
import { pickHosts } from '../../policies/targets';
import { readInventoryFile } from './inventoryFile';

function allHosts(targets: TargetSet): ResolvedHost[] {
  switch (targets.kind) {
    case 'inline': return targets.hosts;
    case 'inventory-file': return readInventoryFile(targets.file, targets.selector);
  }
}

export function createInventoryActivities() {
  return {
    /** The names of the targeted hosts, in inventory order (what a rollout plans its waves on). */
    async listTargetNames(targets: TargetSet): Promise<string[]> {
      return allHosts(targets).map((h) => h.name);
    },
    /** The named hosts as the source describes them now; those that have disappeared are listed as missing. */
    async resolveTargets(input: { targets: TargetSet; names: string[] }): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
      return pickHosts(allHosts(input.targets), input.names);
    },
  };
}
