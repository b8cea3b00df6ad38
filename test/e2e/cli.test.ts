import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { freePort } from '../../harness/ports';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('maint CLI against `maint dev` and real sshd hosts', () => {
  let fleet: SshdFleet;
  let dev: LongRunning | undefined;
  let dir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fleet = await startSshdFleet(3, { namePrefix: 'web' });
    dir = mkdtempSync(join(tmpdir(), 'maint-e2e-'));
    port = await freePort();
    env = { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, MAINT_TASK_QUEUE: 'e2e', MAINT_SSH_IDENTITY_FILE: fleet.clientKey, MAINT_DATA_DIR: join(dir, 'data') };
  });
  afterAll(async () => {
    await dev?.stop('SIGKILL');
    await fleet?.stop();
  });

  it('a usage error in any subcommand (unknown option, missing argument) is invalid input: exit 2, nothing contacted', async () => {
    const unreachable = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
    const unknown = await runMaint(['windows', 'next', '--bogus'], unreachable);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown option '--bogus'") });
    const missing = await runMaint(['hosts', 'release'], unreachable);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("error: missing required argument 'host'") });
    expect((await runMaint(['rollout', 'start', '--help'], unreachable)).code).toBe(0);
  });

  it('rejects an invalid inventory with file, path and expectation, before connecting anywhere', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - name: web-1\n    address: 127.0.0.1\n    port: "22"\n    colour: blue\n');
    const result = await runMaint(['hosts', 'facts', '-f', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:6:11: hosts[0].port: expected number, received string`);
    expect(result.stderr).toContain(`${file}:7:5: hosts[0].colour: unknown key "colour"`);
    expect(result.stderr).toContain(`${file}:4:5: hosts[0].hostKey: is required (expected string)`);
  });

  it('refuses a rollout whose canary is bigger than the fleet, also with --dry-run, naming the policy path and the host count', async () => {
    writeFileSync(join(dir, 'canary-inventory.yaml'), fleet.inventoryYaml());
    const policy = join(dir, 'canary.yaml');
    writeFileSync(policy, 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: web\ntargets: {inventory: canary-inventory.yaml}\nstrategy: {kind: apt, packages: security}\nwaves: {canary: 5}\n');
    for (const args of [['rollout', 'start', '-f', policy, '--dry-run'], ['rollout', 'start', '-f', policy]]) {
      const result = await runMaint(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${policy}: waves.canary: a canary of 5 hosts is more than the 3 hosts the targets select: expected at most 3`);
    }
  });

  it('refuses zone-aware waves (waves.byZone) over hosts without an az tag, also with --dry-run, naming the path, the count and the hosts', async () => {
    writeFileSync(join(dir, 'zones-inventory.yaml'), fleet.inventoryYaml((h, i) => (i === 1 ? { tags: { ...h.tags, az: 'eu-west-1a' } } : {})));
    const policy = join(dir, 'zones.yaml');
    writeFileSync(policy, 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: web\ntargets: {inventory: zones-inventory.yaml}\nstrategy: {kind: apt, packages: security}\nwaves: {byZone: true}\n');
    for (const args of [['rollout', 'start', '-f', policy, '--dry-run'], ['rollout', 'start', '-f', policy]]) {
      const result = await runMaint(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${policy}: waves.byZone: zone-aware waves need the zone of every host: 2 of the 3 targeted hosts have no tag "az" (web-1, web-3)`);
    }
  });

  it('runs facts through `maint dev`, survives a restart, and doctor follows the server', async () => {
    const inventory = join(dir, 'inventory.yaml');
    // web-3 pins web-1's key: it must be reported failed with the reason.
    writeFileSync(inventory, fleet.inventoryYaml((_h, i) => (i === 2 ? { hostKey: fleet.hosts[0]!.hostKey } : {})));

    dev = startMaint(['dev', '--port', String(port)], env);
    await dev.waitFor(/worker: polling task queue "e2e"/, 90_000);
    expect(dev.output()).toContain(`Temporal Web UI      http://127.0.0.1:${port + 1000}`);

    const doctor = await runMaint(['doctor', '--json'], env);
    expect(JSON.parse(doctor.stdout)).toEqual(expect.arrayContaining([
      expect.objectContaining({ name: 'temporal-server', ok: true }),
      expect.objectContaining({ name: 'namespace', ok: true }),
      expect.objectContaining({ name: 'worker:workflows', ok: true }),
      expect.objectContaining({ name: 'worker:dependencies', ok: true }),
      expect.objectContaining({ name: 'renovate', ok: true }),
      expect.objectContaining({ name: 'ssh-key', ok: true }),
    ]));
    expect(doctor.code).toBe(0);

    const json = await runMaint(['hosts', 'facts', '-f', inventory, '--json'], env);
    expect(json.code).toBe(1); // one host failed
    const entries = JSON.parse(json.stdout) as Array<{ name: string; ok: boolean; facts?: { bootId: string }; error?: string }>;
    expect(entries.map((e) => [e.name, e.ok])).toEqual([['web-1', true], ['web-2', true], ['web-3', false]]);
    expect(entries[0]!.facts!.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries[2]!.error).toContain(`host key mismatch: expected ${fleet.hosts[0]!.hostKey}, the host presented ${fleet.hosts[2]!.hostKey}`);

    const table = await runMaint(['hosts', 'facts', '-f', inventory, '--selector', 'role!=db'], env);
    expect(table.stdout).toMatch(/^HOST\s+STATUS\s+HOSTNAME/);
    expect(table.stdout).toMatch(/web-3\s+FAILED\s+.*host key mismatch/);
    expect(table.stdout).toContain('2 ok, 1 failed');
    const workflowId = /workflow (\S+) started/.exec(table.stderr)?.[1];
    expect(workflowId).toBeDefined();

    // Ctrl-C stops the worker and the server cleanly.
    expect(await dev.stop('SIGINT')).toBe(0);
    expect(dev.output()).toContain('Temporal dev server stopped');
    expect(await portAnswers(port)).toBe(false);

    const down = await runMaint(['doctor'], env);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/FAIL\s+temporal-server\s+cannot reach 127\.0\.0\.1:\d+/);

    // Started again on the same data dir, the finished workflow is still there.
    dev = startMaint(['dev', '--port', String(port)], env);
    await dev.waitFor(/worker: polling task queue "e2e"/, 90_000);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const description = await new Client({ connection }).workflow.getHandle(workflowId!).describe();
      expect(description.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
    expect(await dev.stop('SIGTERM')).toBe(0);
  }, 240_000); // two dev-server starts and stops

  it('refuses to start a second `maint dev` on a port in use', async () => {
    const busy = await freePort();
    const { createServer } = await import('node:net');
    const blocker = createServer().listen(busy, '127.0.0.1');
    try {
      const result = await runMaint(['dev', '--port', String(busy)], { MAINT_DATA_DIR: join(dir, 'other') });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`127.0.0.1:${busy} is already in use`);
    } finally {
      blocker.close();
    }
  });
});
