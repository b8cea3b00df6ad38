import { dirname, isAbsolute, resolve } from 'node:path';
import { hostSourceUnit, InventoryUnavailableError, readInventorySource, selectHosts } from '../inventory';
import { formatProblems, PolicyError } from '../policies/common/errors';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSource } from '../policies/inventory/sources';
import { SelectorSyntaxError } from '../policies/inventory/selector';
import { rolloutPolicySchema, targetProblems, type RolloutPolicy } from '../policies/rollout/policy';
import { MAX_INLINE_TARGETS, type TargetSet } from '../policies/rollout/types';
import type { Store } from '../store';
import { writeInventorySnapshot } from '../store/inventorySnapshots';
import { InvalidInputError, MissingToolError } from './errors';
import { withBaseline } from './baselines';
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
  const policy = withBaseline(readPolicyFile(file, rolloutPolicySchema), file);
  const source = policySource(policy, file);
  const hosts = await readHosts(source, policy.targets.selector);
  if (hosts.length === 0) {
    throw new InvalidInputError(`${file}: targets select no hosts from ${hostSourceUnit(source).describe(source)}${policy.targets.selector ? ` (selector "${policy.targets.selector}")` : ''}`);
  }
  const problems = targetProblems(policy, hosts);
  if (problems.length > 0) throw new InvalidInputError(formatProblems(file, problems));
  return { policy, hosts, source };
}

const selectorOf = (policy: RolloutPolicy) => (policy.targets.selector !== undefined ? { selector: policy.targets.selector } : {});

/**
 * What a rollout carries: up to `maxInline` hosts travel with it (any worker can run it); beyond,
 * or for a window's task (its hosts are read on the night), the source by reference: the worker
 * reads it itself, a batch at a time. {@link snapshotTargets} is the reference that needs no path.
 */
export function rolloutTargets(policy: RolloutPolicy, source: HostSource, hosts?: ResolvedHost[], maxInline = MAX_INLINE_TARGETS): TargetSet {
  if (hosts !== undefined && hosts.length <= maxInline) return { kind: 'inline', hosts };
  return { kind: 'source', source, ...selectorOf(policy) };
}

/**
 * The resolved hosts by reference to a snapshot in the store (content-addressed, written once):
 * every worker that uses this store reads the same hosts, whatever files it can see.
 */
export async function snapshotTargets(store: Store, policy: RolloutPolicy, hosts: readonly ResolvedHost[]): Promise<Extract<TargetSet, { kind: 'snapshot' }>> {
  return { kind: 'snapshot', id: await writeInventorySnapshot(store, hosts), count: hosts.length, ...selectorOf(policy) };
}
