import { dirname, isAbsolute, resolve } from 'node:path';
import { hostSourceUnit, InventoryUnavailableError, readInventorySource, selectHosts } from '../inventory';
import { formatProblems, PolicyError } from '../policies/common/errors';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSource } from '../policies/inventory/sources';
import { SelectorSyntaxError } from '../policies/inventory/selector';
import { rolloutPolicySchema, targetProblems, type RolloutPolicy } from '../policies/rollout/policy';
import { MAX_INLINE_TARGETS, type TargetSet } from '../policies/rollout/types';
import { InvalidInputError, MissingToolError } from './errors';
import { readPolicyFile } from './files';

/** The policy's source with its paths made absolute (relative paths are relative to the policy file). */
export function policySource(policy: RolloutPolicy, policyFile: string): HostSource {
  const source: HostSource = policy.targets.source ?? { kind: 'static', file: policy.targets.inventory! };
  return hostSourceUnit(source).withAbsolutePaths(source, (p) => (isAbsolute(p) ? p : resolve(dirname(policyFile), p)));
}

/** The hosts of a source picked by a selector; an unreadable live source means a missing tool, anything else invalid input. */
export async function readHosts(source: HostSource, selector?: string): Promise<ResolvedHost[]> {
  try {
    return selectHosts(await readInventorySource(source), selector);
  } catch (err) {
    if (err instanceof PolicyError || err instanceof SelectorSyntaxError) throw new InvalidInputError(err.message);
    if (err instanceof InventoryUnavailableError) throw hostSourceUnit(source).live ? new MissingToolError(err.message) : new InvalidInputError(err.message);
    throw err;
  }
}

/** Reads a rollout policy and the hosts it targets; every file is validated before anything starts. */
export async function loadRollout(file: string): Promise<{ policy: RolloutPolicy; hosts: ResolvedHost[]; source: HostSource }> {
  const policy = readPolicyFile(file, rolloutPolicySchema);
  const source = policySource(policy, file);
  const hosts = await readHosts(source, policy.targets.selector);
  if (hosts.length === 0) {
    throw new InvalidInputError(`${file}: targets select no hosts from ${hostSourceUnit(source).describe(source)}${policy.targets.selector ? ` (selector "${policy.targets.selector}")` : ''}`);
  }
  const problems = targetProblems(policy, hosts);
  if (problems.length > 0) throw new InvalidInputError(formatProblems(file, problems));
  return { policy, hosts, source };
}

/**
 * What a rollout carries: up to MAX_INLINE_TARGETS hosts travel with it (any worker can run it);
 * beyond, or for a window's task (its hosts are read on the night), the source by reference: the
 * worker reads it itself, a batch at a time.
 */
export function rolloutTargets(policy: RolloutPolicy, source: HostSource, hosts?: ResolvedHost[]): TargetSet {
  if (hosts !== undefined && hosts.length <= MAX_INLINE_TARGETS) return { kind: 'inline', hosts };
  return { kind: 'source', source, ...(policy.targets.selector !== undefined ? { selector: policy.targets.selector } : {}) };
}
