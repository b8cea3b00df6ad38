import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { readHosts, snapshotTargets } from '../../control/targets';
import type { TargetSet } from '../../policies/rollout/types';
import type { Store } from '../../store';
import { rolloutWorkflowId, type patchRolloutWorkflow } from '../../workflows/patchRollout';
import { createWorker } from '../../worker';
import { startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

// Zones in target order: b (host-1, host-3, host-6), a (host-2, host-5), c (host-4).
const ZONES = ['b', 'a', 'b', 'c', 'a', 'b'];
const ZONE_ORDER = ['b', 'a', 'c'];
// A canary of 1, then batches of 50% (3 hosts) cut at each zone's end: b:[1] b:[3,6] a:[2,5] c:[4].
const POLICY = 'waves: {canary: 1, batches: ["50%"], byZone: true}\nmaxUnavailable: 3\n';

describe('zone-aware waves on 6 real sshd hosts in 3 zones', () => {
  let env: TestWorkflowEnvironment;
  let fx: RolloutFixture;
  let inventoryFile: string;
  // The workers' store, which the CLI step writes snapshots to (as with a shared MAINT_DATABASE_URL).
  let store: Store;

  beforeAll(async () => {
    env = await connectTestEnv();
    fx = await startRolloutFixture(6);
    for (const [i, host] of fx.hosts.entries()) host.tags.az = ZONES[i]!;
    inventoryFile = join(mkdtempSync(join(tmpdir(), 'maint-zones-')), 'inventory.yaml');
    store = await testStore();
  });
  beforeEach(() => {
    fx.reset();
  });
  afterAll(async () => {
    await fx?.stop();
    await store?.close();
    await env?.teardown();
  });

  async function run(targets: TargetSet) {
    const taskQueue = uniqueTaskQueue('zones');
    const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { ssh: new NodeSshConnector(), store }, workflowBundle: await workflowBundle() });
    return worker.runUntil(async () => {
      const rolloutId = `zones-${taskQueue}`;
      const handle = await env.client.workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
        taskQueue, workflowId: rolloutWorkflowId(rolloutId), args: [{ rolloutId, policy: fx.policy(POLICY), targets }],
      });
      return handle.result();
    });
  }

  it.each<[string, () => TargetSet | Promise<TargetSet>]>([
    ['inline', () => ({ kind: 'inline', hosts: fx.hosts })],
    ['by reference (the worker reads the zones)', () => {
      writeFileSync(inventoryFile, fx.fleet.inventoryYaml((h, i) => ({ tags: { ...h.tags, az: ZONES[i]! } })));
      return { kind: 'source', source: { kind: 'static', file: inventoryFile } };
    }],
    ['by snapshot in the store (the inventory file is gone when the worker reads it)', async () => {
      writeFileSync(inventoryFile, fx.fleet.inventoryYaml((h, i) => ({ tags: { ...h.tags, az: ZONES[i]! } })));
      const targets = await snapshotTargets(store, fx.policy(POLICY), await readHosts({ kind: 'static', file: inventoryFile }));
      rmSync(inventoryFile);
      return targets;
    }],
  ])('%s: patches zone by zone; hosts of two zones are never out of service at once', async (_how, targets) => {
    const report = await run(await targets());
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.wave])).toEqual([['host-1', 0], ['host-3', 1], ['host-6', 1], ['host-2', 2], ['host-5', 2], ['host-4', 3]]);
    expect(report.waves.map((w) => w.size)).toEqual([1, 2, 2, 1]);
    for (let i = 0; i < 6; i++) expect(fx.version(i)).toBe('2.0.0');

    // From the hosts' own drain/undrain timestamps: each zone's out-of-service span.
    const spans = ZONE_ORDER.map((zone) => {
      const intervals = ZONES.flatMap((z, i) => (z === zone ? fx.outOfService(i) : []));
      expect(intervals).toHaveLength(ZONES.filter((z) => z === zone).length);
      return { zone, from: Math.min(...intervals.map(([from]) => from)), until: Math.max(...intervals.map(([, until]) => until)) };
    });
    // Zone by zone, in the order of each zone's first host: every host of a zone is back in service
    // before any host of the next zone is taken out, so two zones never overlap.
    const byStart = [...spans].sort((x, y) => x.from - y.from);
    expect(byStart.map((s) => s.zone)).toEqual(ZONE_ORDER);
    for (let k = 1; k < byStart.length; k++) expect(byStart[k]!.from).toBeGreaterThanOrEqual(byStart[k - 1]!.until);
    // Within a zone, hosts did go out together (maxUnavailable 3): the zone, not the budget, kept zones apart.
    const [b3, b6] = [fx.outOfService(2)[0]!, fx.outOfService(5)[0]!];
    expect(Math.max(b3[0], b6[0])).toBeLessThan(Math.min(b3[1], b6[1]));
  });

  it('by reference, a host without an az tag fails the rollout before any host is touched', async () => {
    writeFileSync(inventoryFile, fx.fleet.inventoryYaml((h, i) => ({ tags: i === 3 ? { role: 'web', healthPort: h.tags.healthPort } : { ...h.tags } })));
    await expect(run({ kind: 'source', source: { kind: 'static', file: inventoryFile } })).rejects.toMatchObject({
      cause: { cause: { message: 'waves.byZone: zone-aware waves need the zone of every host: 1 of the 6 targeted hosts has no tag "az" (host-4)' } },
    });
    for (let i = 0; i < 6; i++) expect([fx.version(i), fx.applyCount(i), fx.outOfService(i)]).toEqual(['1.0.0', 0, []]);
  });
});
