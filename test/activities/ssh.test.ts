import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HostCommandError, NodeSshConnector, SshError } from '../../activities/hosts/ssh';
import { createFactsActivities } from '../../activities/hosts/facts';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

describe('SSH to real OpenSSH hosts', () => {
  let fleet: SshdFleet;
  const ssh = new NodeSshConnector();

  beforeAll(async () => {
    fleet = await startSshdFleet(3);
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs commands on each host, which sees its own directory', async () => {
    for (const host of fleet.hosts) {
      const shell = await ssh.connect(host);
      try {
        const result = await shell.run('echo "$MAINT_HOST_NAME" > "$MAINT_HOST_DIR/marker" && cat "$MAINT_HOST_DIR/marker"; echo oops >&2; exit 3');
        expect(result).toEqual({ exitCode: 3, stdout: `${host.name}\n`, stderr: 'oops\n' });
      } finally {
        shell.close();
      }
      expect(existsSync(join(host.dir, 'marker'))).toBe(true);
    }
  });

  it('refuses a host whose key is not the pinned one and sends it nothing', async () => {
    const [first, second] = fleet.hosts;
    const impostor = { ...first!, hostKey: second!.hostKey };
    const attempt = ssh.connect(impostor).then(async (shell) => shell.run(`touch "$MAINT_HOST_DIR/should-not-exist"`));
    await expect(attempt).rejects.toThrow(SshError);
    await expect(attempt).rejects.toMatchObject({
      type: 'HostKeyMismatch',
      message: expect.stringContaining(`expected ${second!.hostKey}, the host presented ${first!.hostKey}; nothing was sent`),
    });
    expect(existsSync(join(first!.dir, 'should-not-exist'))).toBe(false);
  });

  it('ends a hung command at its timeout and says which command', async () => {
    const shell = await ssh.connect(fleet.hosts[0]!);
    try {
      const started = Date.now();
      await expect(shell.run('sleep 60', { timeoutSeconds: 1 })).rejects.toMatchObject({ type: 'CommandTimedOut', message: expect.stringContaining('timed out after 1s: sleep 60') });
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      shell.close();
    }
  });

  it('redacts secrets a failing command printed (tokens, credentials in URLs) from the error it makes', async () => {
    const shell = await ssh.connect(fleet.hosts[0]!);
    try {
      const command = ': curl -H "Authorization: Bearer sekrit-bearer-value" https://deploy:hunter22@repo.example/x; echo "fatal: https://deploy:hunter22@repo.example/x ghp_0123456789abcdefghijABCDEFGHIJ0123" >&2; exit 7';
      const result = await shell.run(command);
      const error = new HostCommandError('web-1', command, result.exitCode, result.stderr);
      expect(error.message).toContain('exited with 7');
      expect(error.message).toContain('fatal: https://[redacted]@repo.example/x [redacted]');
      for (const secret of ['sekrit-bearer-value', 'hunter22', 'ghp_0123']) expect(error.message).not.toContain(secret);
    } finally {
      shell.close();
    }
  });

  it('fails clearly when nothing listens, and when the key is not authorized', async () => {
    const host = fleet.hosts[0]!;
    await expect(ssh.connect({ ...host, port: 1 })).rejects.toMatchObject({ type: 'ConnectFailed', message: expect.stringContaining('127.0.0.1:1') });
    await expect(ssh.connect({ ...host, user: 'nobody' })).rejects.toMatchObject({ type: 'AuthenticationFailed' });
    await expect(ssh.connect({ ...host, identityFile: '/nonexistent/key' })).rejects.toMatchObject({ type: 'AuthenticationFailed', message: expect.stringContaining('/nonexistent/key does not exist') });
  });

  it('reports a connection dropped mid-command as lost, not as success', async () => {
    const shell = await ssh.connect(fleet.hosts[1]!);
    try {
      // Kill this session's own sshd child: the channel closes without an exit status.
      await expect(shell.run('kill -9 $PPID; sleep 5')).rejects.toMatchObject({ type: 'ConnectionLost' });
    } finally {
      shell.close();
    }
  });

  it('collects facts through the activity', async () => {
    const { collectHostFacts } = createFactsActivities({ ssh });
    const facts = await collectHostFacts(fleet.hosts[2]!);
    expect(facts.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(facts.kernel).not.toBe('');
  });
});
