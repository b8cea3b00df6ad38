import { ApplicationFailure } from '@temporalio/activity';
import { InventoryUnavailableError, readInventorySource, selectHosts } from '../../inventory';
import { PolicyError } from '../../policies/common/errors';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import type { TargetSet } from '../../policies/rollout/types';
import { pickHosts } from '../../policies/rollout/targets';
import { missingZones } from '../../policies/rollout/policy';
import { ZONE_TAG } from '../../policies/rollout/waves';
import { FAILURE } from '../../policies/common/failures';

/** The targeted hosts as the source describes them now; unreadable or invalid sources fail for good. */
export async function allHosts(targets: TargetSet): Promise<ResolvedHost[]> {
  if (targets.kind === 'inline') return targets.hosts;
  try {
    return selectHosts(await readInventorySource(targets.source), targets.selector);
  } catch (err) {
    if (err instanceof InventoryUnavailableError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.InventoryUnavailable);
    if (err instanceof PolicyError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.InventoryInvalid);
    throw err;
  }
}

export function createInventoryActivities() {
  return {
    /** The names of the targeted hosts, in source order (what a rollout plans its waves on). */
    async listTargetNames(targets: TargetSet): Promise<string[]> {
      return (await allHosts(targets)).map((h) => h.name);
    },
    /**
     * The targeted hosts' names with their zones (tag `az`), in source order: what zone-aware
     * waves plan on. A host without a zone fails the rollout before anything starts.
     */
    async listTargetZones(targets: TargetSet): Promise<Array<{ name: string; zone: string }>> {
      const hosts = await allHosts(targets);
      const problem = missingZones(hosts);
      if (problem) throw ApplicationFailure.nonRetryable(`${problem.path}: ${problem.message}`, FAILURE.InventoryInvalid);
      return hosts.map((h) => ({ name: h.name, zone: h.tags[ZONE_TAG]! }));
    },
    /** The named hosts as the source describes them now; those that have disappeared are listed as missing. */
    async resolveTargets(input: { targets: TargetSet; names: string[] }): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
      return pickHosts(await allHosts(input.targets), input.names);
    },
  };
}
