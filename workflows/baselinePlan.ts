import type { PatchBaseline } from '../policies/compliance/baseline';
import type { HostApproval } from '../policies/compliance/rolloutPins';
import type { RolloutPolicy } from '../policies/rollout/policy';
import type { TargetSet } from '../policies/rollout/types';
import { hostScans } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';
import { resolveHosts } from './patchBatch';

export interface BaselinePlanInput {
  /** The scans are recorded in the store under this id (one per rollout wave part). */
  scanId: string;
  baseline: PatchBaseline;
  names: string[];
  targets: TargetSet;
  policy: RolloutPolicy;
  parallelism: number;
}

/**
 * The preflight of a wave (part) of a rollout with `packages: {baseline}`: each host is scanned
 * read-only and judged against the baseline. Returns what each host may install, in `names` order;
 * a host that cannot be scanned (or left the inventory) is a result with why, never hides the others.
 */
export async function baselinePlanWorkflow(input: BaselinePlanInput): Promise<HostApproval[]> {
  const { hosts, missing } = await resolveHosts(input.targets, input.names, input.policy);
  const found = await mapWithConcurrency(hosts, Math.max(1, input.parallelism), async (host): Promise<HostApproval> => {
    const { tags: _tags, ...target } = host;
    try {
      return await hostScans.approveBaselineUpdates({ scanId: input.scanId, target, baseline: input.baseline });
    } catch (err) {
      return { host: host.name, ok: false, error: causeMessage(err), approved: [], withheld: 0 };
    }
  });
  const byName = new Map(found.map((a) => [a.host, a]));
  for (const name of missing) byName.set(name, { host: name, ok: false, error: 'no longer in the inventory', approved: [], withheld: 0 });
  return input.names.map((n) => byName.get(n)!);
}
