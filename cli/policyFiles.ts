import { dirname, resolve } from 'node:path';
import type { ResolvedHost } from '../policies/inventory';
import { rolloutPolicySchema, type RolloutPolicy } from '../policies/rollout';
import { loadInventoryHosts } from './hosts';
import { CliError, EXIT } from './errors';
import { readPolicyFile } from './files';

/** Reads a rollout policy and the hosts it targets; every file is validated before anything starts. */
export function loadRollout(file: string): { policy: RolloutPolicy; hosts: ResolvedHost[]; inventoryFile: string } {
  const policy = readPolicyFile(file, rolloutPolicySchema);
  const inventoryFile = resolve(dirname(file), policy.targets.inventory);
  const hosts = loadInventoryHosts(inventoryFile, policy.targets.selector);
  if (hosts.length === 0) {
    throw new CliError(EXIT.invalidInput, `${file}: targets select no hosts from ${inventoryFile}${policy.targets.selector ? ` (selector "${policy.targets.selector}")` : ''}`);
  }
  return { policy, hosts, inventoryFile };
}
