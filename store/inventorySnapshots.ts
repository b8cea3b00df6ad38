import { createHash } from 'node:crypto';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { Store } from './index';

/** A snapshot's id: the sha256 of its bytes, so the same hosts always have the same id. */
export type InventorySnapshotId = `sha256:${string}`;

/** Object keys sorted at every level; arrays keep their order (waves are planned in the hosts' source order). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The snapshot's bytes (canonical JSON) and the id they are stored under. */
export function inventorySnapshot(hosts: readonly ResolvedHost[]): { id: InventorySnapshotId; json: string } {
  const json = JSON.stringify(hosts, sortedKeys);
  return { id: `sha256:${createHash('sha256').update(json).digest('hex')}`, json };
}

/** Stores the hosts (once: a snapshot already there is left as it is) and returns their id. */
export async function writeInventorySnapshot(store: Store, hosts: readonly ResolvedHost[], now = Date.now()): Promise<InventorySnapshotId> {
  const { id, json } = inventorySnapshot(hosts);
  await store.db.insertInto('inventory_snapshots')
    .values({ id, created_at: now, host_count: hosts.length, hosts: json })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  return id;
}

/** The hosts stored under `id`, in source order; undefined when this store has no such snapshot. */
export async function readInventorySnapshot(store: Store, id: string): Promise<ResolvedHost[] | undefined> {
  const row = await store.db.selectFrom('inventory_snapshots').select('hosts').where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : JSON.parse(row.hosts) as ResolvedHost[];
}
