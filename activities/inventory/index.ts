import { ApplicationFailure } from '@temporalio/activity';
import { InventoryUnavailableError, readInventorySource, selectHosts } from '../../inventory';
import { PolicyError } from '../../policies/common/errors';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import type { TargetSet } from '../../policies/rollout/types';
import { pickHosts } from '../../policies/rollout/targets';
import { missingZones } from '../../policies/rollout/policy';
import { ZONE_TAG } from '../../policies/rollout/waves';
import { FAILURE } from '../../policies/common/failures';
import type { Store } from '../../store';
import { readInventorySnapshot } from '../../store/inventorySnapshots';

/**
 * The targeted hosts: inline or from the store's snapshot as the CLI resolved them, else as the
 * source describes them now; unreadable or invalid sources and missing snapshots fail for good.
 */
export async function allHosts(targets: TargetSet, store: Store): Promise<ResolvedHost[]> {
  if (targets.kind === 'inline') return targets.hosts;
  if (targets.kind === 'snapshot') return snapshotHosts(store, targets.id);
  try {
    return selectHosts(await readInventorySource(targets.source), targets.selector);
  } catch (err) {
    if (err instanceof InventoryUnavailableError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.InventoryUnavailable);
    if (err instanceof PolicyError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.InventoryInvalid);
    throw err;
  }
}

async function snapshotHosts(store: Store, id: string): Promise<ResolvedHost[]> {
  const hosts = await readInventorySnapshot(store, id);
  if (hosts !== undefined) return hosts;
  throw ApplicationFailure.nonRetryable(
    `inventory snapshot ${id} is not in this worker's store (${store.target}): the CLI that started the rollout stored it in its own; `
    + 'every worker must use the store the CLI uses (the same MAINT_DATABASE_URL)',
    FAILURE.InventoryUnavailable,
  );
}

export function createInventoryActivities({ store }: { store: Store }) {
  return {
    /** The names of the targeted hosts, in source order (what a rollout plans its waves on). */
    async listTargetNames(targets: TargetSet): Promise<string[]> {
      return (await allHosts(targets, store)).map((h) => h.name);
    },
    /**
     * The targeted hosts' names with their zones (tag `az`), in source order: what zone-aware
     * waves plan on. A host without a zone fails the rollout before anything starts.
     */
    async listTargetZones(targets: TargetSet): Promise<Array<{ name: string; zone: string }>> {
      const hosts = await allHosts(targets, store);
      const problem = missingZones(hosts);
      if (problem) throw ApplicationFailure.nonRetryable(`${problem.path}: ${problem.message}`, FAILURE.InventoryInvalid);
      return hosts.map((h) => ({ name: h.name, zone: h.tags[ZONE_TAG]! }));
    },
    /** The named hosts as the targets give them now; those that have disappeared from the source are listed as missing. */
    async resolveTargets(input: { targets: TargetSet; names: string[] }): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
      return pickHosts(await allHosts(input.targets, store), input.names);
    },
  };
}
