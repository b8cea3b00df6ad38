import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runJob, SWEEP_STAMP } from '../../activities/hosts/jobs';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sets a path's mtime `days` days back (GNU touch), as if it had been left there that long ago. */
function age(path: string, days: number): void {
  execFileSync('touch', ['-d', `${days} days ago`, path]);
}

/** The job runner (detached jobs in the host's job directory, its own per test host) on a real OpenSSH host. */
describe('detached jobs on a real sshd host', () => {
  let fleet: SshdFleet;
  const ssh = new NodeSshConnector({ maxConnectionsPerHost: 8 });
  const withShell = async <T>(work: (shell: HostShell) => Promise<T>): Promise<T> => {
    const shell = await ssh.connect(fleet.hosts[0]!);
    try {
      return await work(shell);
    } finally {
      shell.close();
    }
  };

  beforeAll(async () => {
    fleet = await startSshdFleet(1, { namePrefix: 'jobs' });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs a job once however many attempts start it at the same time, and gives each its result', async () => {
    const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
    const runs = join(fleet.hosts[0]!.dir, 'runs');
    const results = await Promise.all(Array.from({ length: 5 }, () =>
      withShell((shell) => runJob(shell, key, `echo run >> "$MAINT_HOST_DIR/runs"; sleep 1; echo done; echo note >&2; exit 3`, { timeoutSeconds: 30 }))));
    expect(results).toEqual(Array(5).fill({ exitCode: 3, stdout: 'done\n', stderr: 'note\n' }));
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
    // A retry long after it finished gets the recorded result and runs nothing.
    expect(await withShell((shell) => runJob(shell, key, 'echo run >> "$MAINT_HOST_DIR/runs"', { timeoutSeconds: 30 }))).toEqual({ exitCode: 3, stdout: 'done\n', stderr: 'note\n' });
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
  });

  it('starts a quick job, waits for it and runs the check after it in one SSH session', async () => {
    const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
    writeFileSync(join(fleet.hosts[0]!.dir, 'version'), '1.0.0\n');
    const commands: string[] = [];
    const result = await withShell((shell) => runJob({ run: (command, options) => (commands.push(command), shell.run(command, options)), close: () => undefined }, key,
      'echo 2.0.0 > "$MAINT_HOST_DIR/version"; echo applied',
      // The check runs from the home directory, like any other command of the session.
      { timeoutSeconds: 30, then: { command: 'cat "$MAINT_HOST_DIR/version"; pwd; echo checked >&2', timeoutSeconds: 30 } }));
    expect(result).toEqual({ exitCode: 0, stdout: 'applied\n', stderr: '', then: { exitCode: 0, stdout: `2.0.0\n${homedir()}\n`, stderr: 'checked\n' } });
    expect(commands).toHaveLength(1);

    // A longer job is polled; the session that sees it finished runs the check, and its exit code comes back.
    const slow = await withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, 'sleep 3; exit 4',
      { timeoutSeconds: 30, then: { command: 'echo broken; exit 5', timeoutSeconds: 30 } }));
    expect(slow).toEqual({ exitCode: 4, stdout: '', stderr: '', then: { exitCode: 5, stdout: 'broken\n', stderr: '' } });
  });

  it('sweeps its own job files older than 14 days (records after 90) at most once a day, in the background, and nothing else', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    const stamp = join(jobDir, SWEEP_STAMP);
    const old = join(jobDir, `test-sweep-${randomUUID()}.out`);
    const recent = join(jobDir, `test-sweep-${randomUUID()}.out`);
    // Not the job runner's: never removed, however old ($MAINT_JOB_DIR may name a shared directory).
    const notOurs = join(jobDir, 'operator-notes.txt');
    // A version record is kept longer than jobs: a rollout may wait weeks at an approval gate.
    const record = join(jobDir, `test-sweep-${randomUUID()}.host-1.run.record.json`);
    const oldRecord = join(jobDir, `test-sweep-${randomUUID()}.host-1.run.record.json`);
    try {
      mkdirSync(jobDir, { recursive: true });
      for (const [file, days] of [[notOurs, 400], [record, 20], [oldRecord, 100]] as const) {
        writeFileSync(file, '');
        age(file, days);
      }
      writeFileSync(old, '');
      age(old, 20);
      writeFileSync(recent, '');
      age(recent, 3);
      writeFileSync(stamp, '');
      age(stamp, 2); // the last sweep was two days ago
      await withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, 'true', { timeoutSeconds: 30 }));
      await until('the 20-day-old job file and the 100-day-old record to be swept', () => !existsSync(old) && !existsSync(oldRecord));
      expect(existsSync(recent)).toBe(true);
      expect(existsSync(record)).toBe(true);
      expect(existsSync(notOurs)).toBe(true);
      expect(Date.now() - statSync(stamp).mtimeMs).toBeLessThan(120_000);

      // Swept less than a day ago: the next job start leaves old files for tomorrow's sweep.
      writeFileSync(old, '');
      age(old, 20);
      await withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, 'true', { timeoutSeconds: 30 }));
      await new Promise((r) => setTimeout(r, 2000));
      expect(existsSync(old)).toBe(true);
    } finally {
      rmSync(old, { force: true });
      rmSync(recent, { force: true });
      for (const file of [notOurs, record, oldRecord]) rmSync(file, { force: true });
    }
  });

  it('reports a job as lost when it was claimed but its process died before it ran the command', async () => {
    const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
    const claim = join(fleet.hosts[0]!.jobDir, `${key}.claim`);
    mkdirSync(claim, { recursive: true });
    age(claim, 1);
    try {
      await expect(withShell((shell) => runJob(shell, key, 'echo run >> "$MAINT_HOST_DIR/lost"', { timeoutSeconds: 30 }))).rejects.toThrow(`job ${key} ended without an exit status`);
      // The claim stood: nothing ran it a second time.
      expect(existsSync(join(fleet.hosts[0]!.dir, 'lost'))).toBe(false);
    } finally {
      rmSync(claim, { recursive: true, force: true });
    }
  });
});
