import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInventoryActivities } from '../../activities/inventory';
import { readHosts, rolloutTargets, snapshotTargets } from '../../control/targets';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import { FAILURE } from '../../policies/common/failures';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import { openStore, type Store } from '../../store';
import { readInventorySnapshot, writeInventorySnapshot } from '../../store/inventorySnapshots';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const KEY = `SHA256:${'A'.repeat(43)}`;
const host = (name: string, az: string): ResolvedHost => ({ name, address: '10.0.0.1', port: 22, user: 'ops', hostKey: KEY, tags: { role: 'web', az } });
// Source order, not name order: waves are planned in it.
const HOSTS = [host('web-2', 'b'), host('web-1', 'a'), host('web-3', 'b')];

const INVENTORY = `
apiVersion: maint/v1
kind: Inventory
hosts:
${HOSTS.map((h) => `  - {name: ${h.name}, address: ${h.address}, user: ${h.user}, hostKey: '${h.hostKey}', tags: {role: web, az: ${h.tags.az}}}`).join('\n')}
  - {name: db-1, address: 10.0.0.9, user: ops, hostKey: '${KEY}', tags: {role: db, az: a}}
`;
const POLICY = parsePolicyText(`
apiVersion: maint/v1
kind: RolloutPolicy
name: snap
targets: {inventory: inventory.yaml, selector: role=web}
strategy: {kind: command, target: '2', check: 'true', apply: 'true', rollback: 'true'}
`, 'policy.yaml', rolloutPolicySchema);

describe.each(ENGINES)('inventory snapshots in the store on %s', (engine) => {
  let store: Store;
  // Before useEngine's: the store closes before its PostgreSQL stops.
  afterAll(async () => {
    await store?.close();
  });
  const { fresh } = useEngine(engine);
  beforeAll(async () => {
    store = await openStore(await fresh());
  });

  it('stores hosts under the sha256 of their canonical JSON, once; reads them back in source order', async () => {
    const id = await writeInventorySnapshot(store, HOSTS, 1000);
    const bytes = (await store.db.selectFrom('inventory_snapshots').select('hosts').where('id', '=', id).executeTakeFirstOrThrow()).hosts;
    expect(id).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(await readInventorySnapshot(store, id)).toEqual(HOSTS);
    expect((await readInventorySnapshot(store, id))!.map((h) => h.name)).toEqual(['web-2', 'web-1', 'web-3']);

    // The same hosts with their keys in another order: the same bytes, the same id, still one row (the first).
    const shuffled = HOSTS.map(({ tags, hostKey, ...rest }) => ({ tags: { az: tags.az!, role: tags.role! }, ...rest, hostKey }));
    expect(await writeInventorySnapshot(store, shuffled, 2000)).toBe(id);
    expect(await store.db.selectFrom('inventory_snapshots').select(['id', 'created_at', 'host_count']).execute()).toEqual([{ id, created_at: expect.anything(), host_count: 3 }]);
    expect(Number((await store.db.selectFrom('inventory_snapshots').select('created_at').executeTakeFirstOrThrow()).created_at)).toBe(1000);

    // Other hosts (or another order) are another snapshot.
    const other = await writeInventorySnapshot(store, [HOSTS[1]!, HOSTS[0]!, HOSTS[2]!]);
    expect(other).not.toBe(id);
    expect((await readInventorySnapshot(store, other))!.map((h) => h.name)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(await readInventorySnapshot(store, 'sha256:0000')).toBeUndefined();
  });

  it('a rollout by snapshot: the worker resolves its hosts from the store, with the inventory file gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-snapshot-'));
    const file = join(dir, 'inventory.yaml');
    writeFileSync(file, INVENTORY);
    const source = { kind: 'static' as const, file };
    // What `maint rollout start` does beyond the inline limit (lowered here to 2).
    const hosts = await readHosts(source, POLICY.targets.selector);
    expect(rolloutTargets(POLICY, source, hosts, 2).kind).toBe('source');
    const targets = await snapshotTargets(store, POLICY, hosts);
    expect(targets).toEqual({ kind: 'snapshot', id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), count: 3, selector: 'role=web' });
    rmSync(dir, { recursive: true });

    const inventory = createInventoryActivities({ store });
    expect(await inventory.listTargetNames(targets)).toEqual(['web-2', 'web-1', 'web-3']);
    expect(await inventory.listTargetZones(targets)).toEqual([{ name: 'web-2', zone: 'b' }, { name: 'web-1', zone: 'a' }, { name: 'web-3', zone: 'b' }]);
    expect(await inventory.resolveTargets({ targets, names: ['web-3', 'web-1'] })).toEqual({ hosts: [HOSTS[2], HOSTS[1]], missing: [] });
    // The source is gone: by reference to it, the same worker could not resolve anything.
    await expect(inventory.listTargetNames({ kind: 'source', source })).rejects.toMatchObject({ type: FAILURE.InventoryUnavailable, nonRetryable: true });
  });

  it('a snapshot this store does not have fails for good, naming it and the store the worker must share', async () => {
    const id = `sha256:${'ab'.repeat(32)}` as const;
    const failure = await createInventoryActivities({ store }).listTargetNames({ kind: 'snapshot', id, count: 1200 }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ type: FAILURE.InventoryUnavailable, nonRetryable: true });
    expect((failure as Error).message).toBe(
      `inventory snapshot ${id} is not in this worker's store (${store.target}): the CLI that started the rollout stored it in its own; every worker must use the store the CLI uses (the same MAINT_DATABASE_URL)`,
    );
  });
});
