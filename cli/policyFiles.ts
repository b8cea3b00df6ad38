import { dirname, isAbsolute, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { inventorySchema, resolveInventory, type ResolvedHost } from '../policies/inventory';
import { pulumiHostsToResolved, pulumiOutputsSchema, type InventorySource } from '../policies/pulumiInventory';
import { rolloutPolicySchema, type RolloutPolicy } from '../policies/rollout';
import { matchesSelector, parseSelector } from '../policies/selector';
import { CliError, EXIT } from './errors';
import { readPolicyFile } from './files';

/** The policy's source with its file made absolute (relative paths are relative to the policy file). */
export function policySource(policy: RolloutPolicy, policyFile: string): InventorySource {
  const source: InventorySource = policy.targets.source ?? { kind: 'static', file: policy.targets.inventory! };
  const file = isAbsolute(source.file) ? source.file : resolve(dirname(policyFile), source.file);
  return { ...source, file };
}

/** Reads the hosts of a source as the CLI sees them; every problem names file, path and expectation. */
export function readSource(source: InventorySource): ResolvedHost[] {
  switch (source.kind) {
    case 'static':
      return resolveInventory(readPolicyFile(source.file, inventorySchema), userInfo().username);
    case 'pulumi-outputs-file':
      return pulumiHostsToResolved(readPolicyFile(source.file, pulumiOutputsSchema(source.output))[source.output] ?? [], source, userInfo().username);
  }
}

/** Reads a rollout policy and the hosts it targets; every file is validated before anything starts. */
export function loadRollout(file: string): { policy: RolloutPolicy; hosts: ResolvedHost[]; source: InventorySource } {
  const policy = readPolicyFile(file, rolloutPolicySchema);
  const source = policySource(policy, file);
  const terms = parseSelector(policy.targets.selector ?? '');
  const hosts = readSource(source).filter((h) => matchesSelector(h.tags, terms));
  if (hosts.length === 0) {
    throw new CliError(EXIT.invalidInput, `${file}: targets select no hosts from ${source.file}${policy.targets.selector ? ` (selector "${policy.targets.selector}")` : ''}`);
  }
  return { policy, hosts, source };
}
