import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { makeRebootable, REBOOT_COMMAND, type RebootableHost } from '../helpers/rebootableHost';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';
import { uniqueTaskQueue } from '../helpers/temporal';

interface Report {
  status: string;
  hosts: Array<{ name: string; state: string; before: { version: string } | null; after: { version: string } | null; error?: string }>;
}

/**
 * Reboots of real OpenSSH hosts during a rollout, run by `maint worker` processes: a reboot takes
 * the host's sshd and everything it ran away (connections refused), and it comes back on the same
 * port with the same host key, a new boot id and an empty /run.
 */
describe('maint rollout rebooting real sshd hosts', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fleet of `count` rebootable hosts on 1.0.0, an inventory and a policy file for them, and a worker. */
  async function setUp(count: number, policy: { mode: 'ifRequired' | 'always'; apply: string; rebootTimeout?: string }, downtimeMs = 1500) {
    const dir = mkdtempSync(join(tmpdir(), 'maint-reboot-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fleet: SshdFleet = await startSshdFleet(count, { namePrefix: 'box' });
    cleanups.push(() => fleet.stop());
    const hosts: RebootableHost[] = [];
    for (const host of fleet.hosts) {
      writeFileSync(join(host.dir, 'version'), '1.0.0\n');
      const rebootable = await makeRebootable(host, { downtimeMs });
      cleanups.push(() => rebootable.stop());
      hosts.push(rebootable);
    }
    writeFileSync(join(dir, 'inventory.yaml'), fleet.inventoryYaml());
    writeFileSync(join(dir, 'policy.yaml'), `
apiVersion: maint/v1
kind: RolloutPolicy
name: kernel
targets: {inventory: inventory.yaml}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: ${JSON.stringify(`echo {{target}} >> "$MAINT_HOST_DIR/apply.log" && echo {{target}} > "$MAINT_HOST_DIR/version"${policy.apply}`)}
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {batches: ["100%"]}
maxUnavailable: "100%"
reboot: {mode: ${policy.mode}, command: ${JSON.stringify(REBOOT_COMMAND)}, timeout: ${policy.rebootTimeout ?? '60s'}}
health:
  checks: [{kind: command, command: 'test -s "$MAINT_HOST_DIR/version"'}]
  interval: 200ms
  consecutiveSuccesses: 1
  deadline: 10s
`);
    const env = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('reboot-sshd'), MAINT_SSH_IDENTITY_FILE: fleet.clientKey };
    const read = (i: number, file: string) => (existsSync(join(fleet.hosts[i]!.dir, file)) ? readFileSync(join(fleet.hosts[i]!.dir, file), 'utf8') : '');
    return {
      hosts, env, policyFile: join(dir, 'policy.yaml'),
      version: (i: number) => read(i, 'version').trim(),
      applyCount: (i: number) => read(i, 'apply.log').split('\n').filter(Boolean).length,
      /** What the host's /run holds now (its own, emptied on boot). */
      rebootRequiredFile: (i: number) => existsSync(join(dirname(fleet.hosts[i]!.dir), 'run', 'reboot-required')),
      worker: () => {
        const worker = startMaint(['worker'], env);
        cleanups.push(async () => void (await worker.stop('SIGTERM')));
        return worker;
      },
    };
  }

  it('ifRequired: reboots exactly the host whose patch asks for it (/run/reboot-required), once, and leaves the other alone', async () => {
    // Like a kernel package's postinst: only box-1's patch asks for a reboot.
    const fx = await setUp(2, { mode: 'ifRequired', apply: ' && if [ "$MAINT_HOST_NAME" = box-1 ]; then touch /run/reboot-required; fi' });
    const [rebooting, staying] = fx.hosts as [RebootableHost, RebootableHost];
    const bootIdsAtStart = [rebooting.bootIds[0], staying.bootIds[0]];
    fx.worker();

    const result = await runMaint(['rollout', 'start', '-f', fx.policyFile, '--wait', '--json'], fx.env, 150_000);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state, h.before?.version, h.after?.version])).toEqual([
      ['box-1', 'healthy', '1.0.0', '2.0.0'], ['box-2', 'healthy', '1.0.0', '2.0.0'],
    ]);
    expect([fx.version(0), fx.version(1)]).toEqual(['2.0.0', '2.0.0']);
    // box-1 went down once and came back with a new boot id and an empty /run; box-2 never went down.
    expect(rebooting.reboots()).toBe(1);
    expect(rebooting.bootIds).toHaveLength(2);
    expect(rebooting.bootIds[0]).toBe(bootIdsAtStart[0]);
    expect(fx.rebootRequiredFile(0)).toBe(false);
    expect(staying.reboots()).toBe(0);
    expect(staying.bootIds).toEqual([bootIdsAtStart[1]]);
    expect([fx.applyCount(0), fx.applyCount(1)]).toEqual([1, 1]);
  }, 180_000);

  it('ifRequired with no host asking: no reboot command runs, boot ids stay', async () => {
    const fx = await setUp(1, { mode: 'ifRequired', apply: '' });
    fx.worker();
    const result = await runMaint(['rollout', 'start', '-f', fx.policyFile, '--wait', '--json'], fx.env, 150_000);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state, h.after?.version])).toEqual([['box-1', 'healthy', '2.0.0']]);
    expect(fx.hosts[0]!.reboots()).toBe(0);
    expect(fx.hosts[0]!.bootIds).toHaveLength(1);
  }, 180_000);

  it('a worker SIGKILLed while its host is down rebooting: the next worker waits for that reboot instead of rebooting again', async () => {
    // mode always: a retry that lost track of the reboot in flight would reboot the host a second
    // time. Down for 60 s, longer than the activity's retries would last if each failed at once
    // because the host refuses connections (heartbeat timeout 20 s, then 2 + 4 + 8 + 16 s).
    const fx = await setUp(1, { mode: 'always', apply: '', rebootTimeout: '2m' }, 60_000);
    const host = fx.hosts[0]!;
    const first: LongRunning = fx.worker();
    const down = host.nextDown();
    const started = await runMaint(['rollout', 'start', '-f', fx.policyFile, '--json'], fx.env);
    expect(started.code).toBe(0);
    const { rolloutId } = JSON.parse(started.stdout) as { rolloutId: string };

    let timer: NodeJS.Timeout | undefined;
    await Promise.race([down, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`box-1 was not rebooted within 60 s; worker:\n${first.output()}`)), 60_000)))]).finally(() => clearTimeout(timer));
    expect(await first.stop('SIGKILL')).toBeNull();
    fx.worker();

    const deadline = Date.now() + 150_000;
    let report: Report;
    for (;;) {
      const status = await runMaint(['rollout', 'status', rolloutId, '--json'], fx.env);
      report = JSON.parse(status.stdout) as Report;
      if (report.status !== 'running') break;
      if (Date.now() > deadline) throw new Error(`rollout ${rolloutId} still running after 150 s:\n${status.stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(report.status).toBe('completed');
    expect(report.hosts.map((h) => [h.name, h.state, h.before?.version, h.after?.version])).toEqual([['box-1', 'healthy', '1.0.0', '2.0.0']]);
    expect(fx.version(0)).toBe('2.0.0');
    expect(host.reboots()).toBe(1);
    expect(host.bootIds).toHaveLength(2);
    expect(fx.applyCount(0)).toBe(1);
  }, 240_000);
});
