import type { ResolvedHost } from '../../policies/inventory';
import type { InventorySource } from '../../policies/pulumiInventory';
import type { TargetSet } from '../../policies/rolloutTypes';
import { matchesSelector, parseSelector } from '../../policies/selector';
import { pickHosts } from '../../policies/targets';
import { readPulumiOutputsFile } from './pulumiOutputsFile';
import { readStaticInventory } from './static';

/** The inventory source readers by `source.kind`; a new source is a new file plus one line here. */
const READERS: { [K in InventorySource['kind']]: (source: Extract<InventorySource, { kind: K }>) => ResolvedHost[] } = {
  static: readStaticInventory,
  'pulumi-outputs-file': readPulumiOutputsFile,
};

function allHosts(targets: TargetSet): ResolvedHost[] {
  if (targets.kind === 'inline') return targets.hosts;
  const hosts = (READERS[targets.source.kind] as (s: InventorySource) => ResolvedHost[])(targets.source);
  if (targets.selector === undefined) return hosts;
  const terms = parseSelector(targets.selector);
  return hosts.filter((h) => matchesSelector(h.tags, terms));
}

export function createInventoryActivities() {
  return {
    /** The names of the targeted hosts, in source order (what a rollout plans its waves on). */
    async listTargetNames(targets: TargetSet): Promise<string[]> {
      return allHosts(targets).map((h) => h.name);
    },
    /** The named hosts as the source describes them now; those that have disappeared are listed as missing. */
    async resolveTargets(input: { targets: TargetSet; names: string[] }): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
      return pickHosts(allHosts(input.targets), input.names);
    },
  };
}
