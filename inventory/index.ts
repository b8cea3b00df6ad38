import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSource, HostSourceKind, HostSourceOf } from '../policies/inventory/sources';
import { matchesSelector, parseSelector } from '../policies/inventory/selector';
import { pulumiOutputsFileSource } from './pulumiOutputsFile';
import { pulumiStackSource } from './pulumiStack';
import { staticSource } from './static';
import type { HostSourceRegistry, HostSourceUnit } from './unit';

export { InventoryUnavailableError } from './errors';
export type { HostSourceRegistry, HostSourceUnit } from './unit';

/**
 * Host sources by `source.kind`: one file each; a new source is a new file plus one line here
 * (and a union member in policies/inventory/sources.ts). A kind left out does not compile. Used
 * by the worker and the client side alike.
 */
const SOURCES: HostSourceRegistry = {
  static: staticSource,
  'pulumi-outputs-file': pulumiOutputsFileSource,
  'pulumi-stack': pulumiStackSource,
};

/** The unit of a source's kind. */
export function hostSourceUnit<K extends HostSourceKind>(source: HostSourceOf<K>): HostSourceUnit<K> {
  return SOURCES[source.kind as K];
}

/** The hosts a source describes now. Throws PolicyError (invalid content) or InventoryUnavailableError. */
export function readInventorySource(source: HostSource): Promise<ResolvedHost[]> {
  return hostSourceUnit(source).read(source);
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
