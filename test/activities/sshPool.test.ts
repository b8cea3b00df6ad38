import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createFactsActivities } from '../../activities/hosts/facts';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import { restartSshd, sshdLog, startSshdFleet, type SshdFleet, type SshdHost } from '../../harness/sshdFleet';
import { makeRebootable, REBOOT_COMMAND } from '../helpers/rebootableHost';
import { until } from '../helpers/until';

/** Logins the host's sshd accepted: one per SSH connection (key exchange and authentication). */
const logins = (host: SshdHost) => (sshdLog(host).match(/Accepted publickey for /g) ?? []).length;
/**
 * Prints the pid of the sshd process serving the command's connection: commands run under
 * `timeout`, whose parent it is.
 */
const CONNECTION_PID = 'ps -o ppid= -p $PPID';

/** Connections the client closed (SSH disconnect). */
const logouts = (host: SshdHost) => (sshdLog(host).match(/Received disconnect from /g) ?? []).length;

async function runOnce(ssh: NodeSshConnector, host: SshdHost, command: string): Promise<string> {
  const shell = await ssh.connect(host);
  try {
    const result = await shell.run(command);
    expect(result.exitCode).toBe(0);
    return result.stdout;
  } finally {
    shell.close();
  }
}

/**
 * The worker's SSH connection pool against real OpenSSH hosts, seen from the hosts: their sshd logs
 * every accepted login (LogLevel INFO), which is what a new connection costs them.
 */
describe('SSH connection pool on real sshd hosts', () => {
  let fleet: SshdFleet;
  const connectors: NodeSshConnector[] = [];
  const connector = (options: ConstructorParameters<typeof NodeSshConnector>[0] = {}) => {
    const ssh = new NodeSshConnector(options);
    connectors.push(ssh);
    return ssh;
  };

  beforeAll(async () => {
    fleet = await startSshdFleet(6, { namePrefix: 'pool', logLevel: 'INFO' });
  });
  afterEach(() => {
    for (const ssh of connectors.splice(0)) ssh.close();
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs every step and command on one host over one connection, and closes it on shutdown', async () => {
    const host = fleet.hosts[0]!;
    const ssh = connector();
    // Five shells at once before any connection exists: they wait for the one being opened.
    const shells = await Promise.all(Array.from({ length: 5 }, () => ssh.connect(host)));
    expect((await Promise.all(shells.map((shell, i) => shell.run(`echo ${i}`)))).map((r) => r.stdout)).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n']);
    for (const shell of shells) shell.close();
    // Steps one after another, as activities take and close their shell.
    for (let step = 0; step < 3; step++) expect(await runOnce(ssh, host, `echo step ${step}; echo "$MAINT_HOST_NAME"`)).toBe(`step ${step}\n${host.name}\n`);
    const { collectHostFacts } = createFactsActivities({ ssh });
    expect((await collectHostFacts(host)).bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logins(host)).toBe(1);
    expect(ssh.openConnections()).toBe(1);

    // The worker's shutdown: the host sees the client disconnect.
    ssh.close();
    expect(ssh.openConnections()).toBe(0);
    await until('the host to log the disconnect', () => (logouts(host) === 1 ? true : undefined), 10_000);
    expect(await runOnce(ssh, host, 'echo after')).toBe('after\n');
    expect(logins(host)).toBe(2);
  });

  it('closes a connection left unused for the idle time; the next command connects again', async () => {
    const host = fleet.hosts[1]!;
    const ssh = connector({ poolIdleMs: 700 });
    await runOnce(ssh, host, 'true');
    await runOnce(ssh, host, 'true');
    expect([logins(host), logouts(host)]).toEqual([1, 0]);
    await until('the idle connection to be closed', () => (logouts(host) === 1 && ssh.openConnections() === 0 ? true : undefined), 10_000, 100);
    await runOnce(ssh, host, 'true');
    expect(logins(host)).toBe(2);
  });

  it('keeps at most MAINT_SSH_POOL_MAX connections: the least recently used idle one is closed first', async () => {
    const [a, b, c] = [fleet.hosts[2]!, fleet.hosts[3]!, fleet.hosts[4]!];
    const before = [a, b, c].map(logins);
    const ssh = connector({ poolMaxConnections: 2 });
    await runOnce(ssh, a, 'true');
    await runOnce(ssh, b, 'true');
    await runOnce(ssh, c, 'true'); // a is the least recently used
    await until(`${a.name} to be disconnected`, () => (logouts(a) === 1 ? true : undefined), 10_000, 100);
    expect([logouts(b), logouts(c), ssh.openConnections()]).toEqual([0, 0, 2]);
    await runOnce(ssh, b, 'true'); // still open: no new login
    await runOnce(ssh, a, 'true'); // c is now the least recently used
    await until(`${c.name} to be disconnected`, () => (logouts(c) === 1 ? true : undefined), 10_000, 100);
    expect([a, b, c].map((h, i) => logins(h) - before[i]!)).toEqual([2, 1, 1]);
    expect([logouts(b), ssh.openConnections()]).toEqual([0, 2]);
  });

  it('with MAINT_SSH_POOL_IDLE=0 each shell has a connection of its own, closed with it', async () => {
    const host = fleet.hosts[5]!;
    const before = logins(host);
    const ssh = connector({ poolIdleMs: 0 });
    const [one, two] = await Promise.all([ssh.connect(host), ssh.connect(host)]);
    await Promise.all([one!.run('true'), one!.run('true'), two!.run('true')]);
    expect(logins(host) - before).toBe(2);
    one!.close();
    two!.close();
    expect(ssh.openConnections()).toBe(0);
    await until('both connections to be closed', () => (logouts(host) >= 2 ? true : undefined), 10_000, 100);
  });

  it('drops a killed connection and reconnects; a command that had started is never run again', async () => {
    const host = fleet.hosts[1]!;
    const before = logins(host);
    const ssh = connector();
    const shell = await ssh.connect(host);
    try {
      // Kills the connection's own sshd process: the channel closes without an exit status.
      await expect(shell.run(`echo ran >> "$MAINT_HOST_DIR/killed"; kill -9 $(${CONNECTION_PID}); sleep 5`)).rejects.toMatchObject({ type: 'ConnectionLost' });
      expect(readFileSync(join(host.dir, 'killed'), 'utf8')).toBe('ran\n');
      // The same shell (an activity's) goes on over a new connection.
      expect((await shell.run('echo again')).stdout).toBe('again\n');
      expect(logins(host) - before).toBe(2);
      expect(readFileSync(join(host.dir, 'killed'), 'utf8')).toBe('ran\n');
    } finally {
      shell.close();
    }
  });

  it('takes a connection that stopped answering for dead (keepalives) and runs the next command on a new one', async () => {
    const host = fleet.hosts[2]!;
    const ssh = connector({ keepaliveIntervalMs: 300 });
    const shell = await ssh.connect(host);
    const sessionPid = Number((await shell.run(CONNECTION_PID)).stdout.trim());
    const before = logins(host);
    // The connection's sshd process is frozen: TCP stays up, nothing answers, as with a host that hangs.
    process.kill(sessionPid, 'SIGSTOP');
    try {
      const started = Date.now();
      expect((await shell.run('echo fresh')).stdout).toBe('fresh\n');
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(logins(host) - before).toBe(1);
    } finally {
      shell.close();
      process.kill(sessionPid, 'SIGKILL');
    }
  });

  it('never lets a connection made under one pinned key serve another, and refuses a changed host key', async () => {
    const host = fleet.hosts[3]!;
    const other = fleet.hosts[4]!;
    const ssh = connector();
    const shell = await ssh.connect(host);
    const sessionPid = Number((await shell.run(CONNECTION_PID)).stdout.trim());
    // A live connection to this address, port and user exists; a target pinning another key gets
    // a connection of its own, which the host's key fails.
    const before = logins(host);
    const impostor = ssh.connect({ ...host, hostKey: other.hostKey }).then((s) => s.run('touch "$MAINT_HOST_DIR/should-not-exist"'));
    await expect(impostor).rejects.toMatchObject({ type: 'HostKeyMismatch', message: expect.stringContaining(`expected ${other.hostKey}, the host presented ${host.hostKey}`) });
    expect(existsSync(join(host.dir, 'should-not-exist'))).toBe(false);
    expect(logins(host)).toBe(before);

    // The host is reinstalled with a new host key (its sshd and sessions gone, a new key).
    const exited = new Promise((resolve) => host.sshd.once('exit', resolve));
    host.sshd.kill('SIGTERM');
    await exited;
    process.kill(sessionPid, 'SIGKILL');
    await until('the pool to drop the dead connection', () => (ssh.openConnections() === 0 ? true : undefined), 10_000, 100);
    shell.close();
    const keyFile = join(dirname(host.dir), 'ssh_host_ed25519_key');
    rmSync(keyFile);
    rmSync(`${keyFile}.pub`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', host.name, '-f', keyFile]);
    const newKey = execFileSync('ssh-keygen', ['-lf', `${keyFile}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    await restartSshd(host);
    await expect(ssh.connect(host)).rejects.toMatchObject({ type: 'HostKeyMismatch', message: expect.stringContaining(`expected ${host.hostKey}, the host presented ${newKey}`) });
    // Pinned anew, it is reached on a new connection checked against the new pin.
    expect(await runOnce(ssh, { ...host, hostKey: newKey }, 'echo repinned')).toBe('repinned\n');
  });

  it('after the host rebooted (sshd and every session killed), a shell held across it reconnects', async () => {
    const host = fleet.hosts[0]!;
    const rebootable = await makeRebootable(host, { downtimeMs: 1000 });
    const ssh = connector();
    let shell: HostShell | undefined;
    try {
      shell = await ssh.connect(host);
      const bootId = (await shell.run('cat /proc/sys/kernel/random/boot_id')).stdout.trim();
      const down = rebootable.nextDown();
      await shell.run(REBOOT_COMMAND);
      await down;
      const held = shell;
      const after = await until('the host to answer again', () => held.run('cat /proc/sys/kernel/random/boot_id').then((r) => r.stdout.trim(), () => undefined), 30_000, 200);
      expect(after).not.toBe(bootId);
      expect(after).toBe(rebootable.bootIds.at(-1));
    } finally {
      shell?.close();
      await rebootable.stop();
    }
  });
});

/** A host whose sshd allows fewer sessions per connection than OpenSSH's default. */
describe('SSH connection pool: sessions per connection', () => {
  let fleet: SshdFleet;
  const connectors: NodeSshConnector[] = [];
  beforeAll(async () => {
    fleet = await startSshdFleet(2, { namePrefix: 'sessions', logLevel: 'INFO', sshdConfig: ['MaxSessions 3'] });
  });
  afterAll(async () => {
    for (const ssh of connectors) ssh.close();
    await fleet?.stop();
  });

  /** A command that says how many of its kind run on the host at its end. */
  const counted = (i: number) => `d="$MAINT_HOST_DIR/running"; mkdir -p "$d"; touch "$d/${i}"; sleep 1; ls "$d" | wc -l; rm "$d/${i}"`;

  it('queues commands beyond the sessions a connection may have', async () => {
    const host = fleet.hosts[0]!;
    const ssh = new NodeSshConnector({ maxConnectionsPerHost: 1, maxSessionsPerConnection: 3 });
    connectors.push(ssh);
    const shell = await ssh.connect(host);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 7 }, (_v, i) => shell.run(counted(i))));
    shell.close();
    expect(results.map((r) => r.exitCode)).toEqual(Array<number>(7).fill(0));
    expect(Math.max(...results.map((r) => Number(r.stdout.trim())))).toBeLessThanOrEqual(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000); // three rounds: 3 + 3 + 1
    expect(logins(host)).toBe(1);
  });

  it('learns that a host allows fewer sessions than expected (refused, never run twice)', async () => {
    const host = fleet.hosts[1]!;
    const ssh = new NodeSshConnector({ maxConnectionsPerHost: 1 }); // expects OpenSSH's 10
    connectors.push(ssh);
    const shell = await ssh.connect(host);
    const results = await Promise.all(Array.from({ length: 6 }, (_v, i) => shell.run(`echo ${i} >> "$MAINT_HOST_DIR/ran"; ${counted(i)}`)));
    shell.close();
    expect(results.map((r) => r.exitCode)).toEqual(Array<number>(6).fill(0));
    expect(readFileSync(join(host.dir, 'ran'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(logins(host)).toBe(1);
  });
});
