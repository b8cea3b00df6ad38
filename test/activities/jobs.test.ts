import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetJob, runJob, SWEEP_STAMP } from '../../activities/hosts/jobs';
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

/** Every process descended from `pid` (its children, theirs, …), from /proc. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid !== parent) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Kills a job's processes (its shell and everything it started), as a reboot or the OOM killer would. */
function killJob(pidFile: string): void {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The uid of `nobody`: the "other local user" who plants files in a job directory. */
const NOBODY = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
const NOBODY_GROUP = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());

/** The job runner (detached jobs in the host's job directory, its own per test host) on a real OpenSSH host. */
describe('detached jobs on a real sshd host', () => {
  let fleet: SshdFleet;
  // The host's boot id, as $MAINT_BOOT_ID_FILE names it for its sessions: a test "reboots" by changing it.
  const bootDir = mkdtempSync(join(tmpdir(), 'maint-boot-'));
  const bootIdFile = join(bootDir, 'boot_id');
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
    writeFileSync(bootIdFile, `${randomUUID()}\n`);
    fleet = await startSshdFleet(1, { namePrefix: 'jobs', env: { MAINT_BOOT_ID_FILE: bootIdFile } });
  });
  afterAll(async () => {
    await fleet?.stop();
    rmSync(bootDir, { recursive: true, force: true });
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
  it('sweeps old job files whatever their names hold (spaces, newlines, leading dashes), and nothing else', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    mkdirSync(jobDir, { recursive: true });
    // Old job files with names a shell or xargs would split or read as options.
    const odd = ['--help.out', '-rf .err', 'a b.pid', 'keep\n.out', ' leading space.exit', '-n.claim'].map((n) => join(jobDir, n));
    // Not the job runner's, and what a split name would hit: never removed.
    const kept = ['keep', '-rf', 'a', 'notes -rf.txt'].map((n) => join(jobDir, n));
    try {
      for (const file of odd) {
        if (file.endsWith('.claim')) mkdirSync(file);
        else writeFileSync(file, '');
        age(file, 20);
      }
      for (const file of kept) {
        writeFileSync(file, 'mine');
        age(file, 400);
      }
      writeFileSync(join(jobDir, SWEEP_STAMP), '');
      age(join(jobDir, SWEEP_STAMP), 2);
      await withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, 'true', { timeoutSeconds: 30 }));
      await until('the oddly named old job files to be swept', () => odd.every((file) => !existsSync(file)));
      for (const file of kept) expect(readFileSync(file, 'utf8')).toBe('mine');
    } finally {
      for (const file of [...odd, ...kept]) rmSync(file, { recursive: true, force: true });
    }
  });

  it('reports a job whose process is gone as lost at once, and one started before a reboot as lost though its PID now answers kill -0', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    const started = (key: string) => until(`job ${key} to be running`, () => existsSync(join(jobDir, `${key}.pid`)));

    // Killed (the OOM killer, an operator): no exit status, its process gone.
    const killed = `test-jobs-${randomUUID()}.jobs-1.apply`;
    const killedRun = withShell((shell) => runJob(shell, killed, 'sleep 300', { timeoutSeconds: 600 }));
    killedRun.catch(() => undefined);
    await started(killed);
    expect(readFileSync(join(jobDir, `${killed}.boot`), 'utf8')).toBe(readFileSync(bootIdFile, 'utf8'));
    let since = Date.now();
    killJob(join(jobDir, `${killed}.pid`));
    await expect(killedRun).rejects.toThrow(`job ${killed} ended without an exit status (the host rebooted or killed it); its effect is unknown`);
    expect(Date.now() - since).toBeLessThan(10_000);

    // "Rebooted": every process gone, a new boot id, and its PID taken by another, live process.
    const rebooted = `test-jobs-${randomUUID()}.jobs-1.apply`;
    const rebootedRun = withShell((shell) => runJob(shell, rebooted, 'sleep 300', { timeoutSeconds: 600 }));
    rebootedRun.catch(() => undefined);
    await started(rebooted);
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      since = Date.now();
      killJob(join(jobDir, `${rebooted}.pid`));
      writeFileSync(bootIdFile, `${randomUUID()}\n`);
      writeFileSync(join(jobDir, `${rebooted}.pid`), `${other.pid}\n`);
      await expect(rebootedRun).rejects.toThrow(`job ${rebooted} was started before the host last rebooted (its boot id changed) and left no exit status: its process is gone and its effect is unknown`);
      expect(Date.now() - since).toBeLessThan(10_000);
      expect(other.exitCode).toBeNull(); // the other process was only asked kill -0
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('never follows a symbolic link planted at a job path: the host fails with an error naming the file, and what it points to is untouched', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    mkdirSync(jobDir, { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), 'maint-victim-'));
    const victim = join(outside, 'precious');
    writeFileSync(victim, 'precious\n');
    age(victim, 10);
    const ran = join(fleet.hosts[0]!.dir, 'planted-ran');
    // Planted by another local user (a shared job directory): theirs, pointing at something of root's.
    const plant = (name: string) => {
      symlinkSync(victim, join(jobDir, name));
      lchownSync(join(jobDir, name), NOBODY, NOBODY);
      return join(jobDir, name);
    };
    const planted: string[] = [];
    try {
      for (const suffix of ['out', 'err', 'pid', 'boot', 'exit']) {
        const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
        planted.push(plant(`${key}.${suffix}`));
        await expect(withShell((shell) => runJob(shell, key, `echo ran >> ${ran}; echo written`, { timeoutSeconds: 30, host: 'jobs-1' }))).rejects.toThrow(
          `${jobDir}/${key}.${suffix} is a symbolic link, not the runner's: refusing to follow it (someone else put it there; remove it) (jobs-1: job ${key})`,
        );
      }
      // A job already running when the link appears (its exit file, where a poll would read): refused before reading.
      const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
      const running = withShell((shell) => runJob(shell, key, 'sleep 3', { timeoutSeconds: 30 }));
      running.catch(() => undefined);
      await until('the job to run', () => existsSync(join(jobDir, `${key}.pid`)));
      rmSync(join(jobDir, `${key}.out`));
      planted.push(plant(`${key}.out`));
      await expect(running).rejects.toThrow(`${key}.out is a symbolic link, not the runner's: refusing to follow it`);
      // Someone else's regular file where a job file goes: refused too (a forged result).
      const forged = `test-jobs-${randomUUID()}.jobs-1.apply`;
      mkdirSync(join(jobDir, `${forged}.claim`));
      writeFileSync(join(jobDir, `${forged}.out`), 'forged\n');
      writeFileSync(join(jobDir, `${forged}.exit`), '0\n');
      chownSync(join(jobDir, `${forged}.exit`), NOBODY, NOBODY);
      planted.push(...['claim', 'exit', 'out'].map((x) => join(jobDir, `${forged}.${x}`)));
      await expect(withShell((shell) => runJob(shell, forged, 'true', { timeoutSeconds: 30 }))).rejects.toThrow(`${jobDir}/${forged}.exit is not root's (owner uid ${NOBODY}): refusing to use it`);
      // The sweep's stamp.
      rmSync(join(jobDir, SWEEP_STAMP), { force: true });
      planted.push(plant(SWEEP_STAMP));
      execFileSync('touch', ['-h', '-d', '2 days ago', join(jobDir, SWEEP_STAMP)]); // the link itself, as if planted long ago
      await expect(withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, `echo ran >> ${ran}`, { timeoutSeconds: 30 }))).rejects.toThrow(
        `${jobDir}/${SWEEP_STAMP} is a symbolic link, not the runner's: refusing to follow it`,
      );
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(statSync(victim).mtimeMs).toBeLessThan(Date.now() - 9 * 86_400_000);
      expect(existsSync(ran)).toBe(false);
    } finally {
      for (const file of planted) rmSync(file, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a job directory another user made or others may write, and works in a sticky shared one', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    mkdirSync(jobDir, { recursive: true });
    const run = () => withShell((shell) => runJob(shell, `test-jobs-${randomUUID()}.jobs-1.apply`, 'echo ok', { timeoutSeconds: 30 }));
    try {
      // Missing: made with umask 077, whatever the session's umask.
      rmSync(jobDir, { recursive: true, force: true });
      expect(await run()).toEqual({ exitCode: 0, stdout: 'ok\n', stderr: '' });
      expect(statSync(jobDir).mode & 0o777).toBe(0o700);
      chownSync(jobDir, NOBODY, NOBODY);
      await expect(run()).rejects.toThrow(`the job directory ${jobDir} belongs to uid ${NOBODY}, not to root: refusing to use it (another user may have made it to plant files there; remove it)`);
      chownSync(jobDir, 0, 0);
      chmodSync(jobDir, 0o777);
      await expect(run()).rejects.toThrow(`the job directory ${jobDir} is writable by other users (mode 777) and not sticky: refusing to use it (chmod go-w it, or remove it)`);
      // Group-writable: refused for another group (its members are other users), not for our own.
      chmodSync(jobDir, 0o775);
      chownSync(jobDir, 0, NOBODY_GROUP);
      await expect(run()).rejects.toThrow('is writable by other users (mode 775) and not sticky');
      chownSync(jobDir, 0, 0);
      expect(await run()).toEqual({ exitCode: 0, stdout: 'ok\n', stderr: '' });
      // Sticky, as /var/tmp: others may add names (refused where they are a job's), never replace ours.
      chmodSync(jobDir, 0o1777);
      expect(await run()).toEqual({ exitCode: 0, stdout: 'ok\n', stderr: '' });
    } finally {
      chownSync(jobDir, 0, 0);
      chmodSync(jobDir, 0o755);
    }
  });

  it('refuses a recorded exit status that is not one, and runs a forgotten job again', async () => {
    const jobDir = fleet.hosts[0]!.jobDir;
    const key = `test-jobs-${randomUUID()}.jobs-1.apply`;
    const runs = join(fleet.hosts[0]!.dir, `runs-${key}`);
    const first = await withShell((shell) => runJob(shell, key, `echo run >> ${runs}; echo 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1 (apt)' >&2; exit 100`, { timeoutSeconds: 30 }));
    expect(first.exitCode).toBe(100);
    // Forgotten (it failed for a passing reason): the same key runs the command again.
    await withShell((shell) => forgetJob(shell, key));
    expect(readdirSync(jobDir).filter((f) => f.startsWith(key))).toEqual([]);
    expect(await withShell((shell) => runJob(shell, key, `echo run >> ${runs}`, { timeoutSeconds: 30 }))).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(readFileSync(runs, 'utf8')).toBe('run\nrun\n');
    // Its exit file damaged: a clear, permanent error naming the file, never an exit code of NaN.
    writeFileSync(join(jobDir, `${key}.exit`), 'garbage\n');
    await expect(withShell((shell) => runJob(shell, key, 'true', { timeoutSeconds: 30, host: 'jobs-1' }))).rejects.toMatchObject({
      type: 'HostStateInvalid', nonRetryable: true,
      message: `${jobDir}/${key}.exit holds no exit status (garbage): refusing to take it for the job's (remove the job's files to run it again) (jobs-1: job ${key})`,
    });
    expect(lstatSync(join(jobDir, `${key}.exit`)).isFile()).toBe(true);
  });
});
