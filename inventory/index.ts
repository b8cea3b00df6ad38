import type { ResolvedHost } from '../policies/inventory/hosts';
import type { InventorySource } from '../policies/inventory/sources';
import { matchesSelector, parseSelector } from '../policies/inventory/selector';
import { readPulumiOutputsFile } from './pulumiOutputsFile';
import { readPulumiStack } from './pulumiStack';
import { readStaticInventory } from './static';

export { InventoryUnavailableError } from './errors';

/**
 * Inventory sources by `source.kind`: one file each; a new source is a new file plus one line
 * here (and a union member in policies/inventory/sources.ts). Used by the worker and the CLI alike.
 */
const READERS: { [K in InventorySource['kind']]: (source: Extract<InventorySource, { kind: K }>) => Promise<ResolvedHost[]> } = {
  static: readStaticInventory,
  'pulumi-outputs-file': readPulumiOutputsFile,
  'pulumi-stack': readPulumiStack,
};

/** The hosts a source describes now. Throws PolicyError (invalid content) or InventoryUnavailableError. */
export function readInventorySource(source: InventorySource): Promise<ResolvedHost[]> {
  return (READERS[source.kind] as (s: InventorySource) => Promise<ResolvedHost[]>)(source);
}

/**
 * The hosts a selector picks, the same way for every source: by tags, by `name` (the host's name,
 * unless a tag of that name exists) and by `az` (a tag every Pulumi source sets).
 */
export function selectHosts(hosts: ResolvedHost[], selector: string | undefined): ResolvedHost[] {
  if (selector === undefined) return hosts;
  const terms = parseSelector(selector);
  return hosts.filter((h) => matchesSelector({ name: h.name, ...h.tags }, terms));
}
