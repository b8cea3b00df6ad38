import { randomUUID } from 'node:crypto';
import { existsSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { NodeSshConnector, type SshConnector } from '../../activities/hosts/ssh';
import { createPatchActivities } from '../../activities/patch';
import type { Strategy } from '../../policies/rollout/policy';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

const strategy: Strategy = {
  kind: 'command',
  target: '2.0.0',
  check: 'cat "$MAINT_HOST_DIR/version"',
  apply: 'echo applied >> "$MAINT_HOST_DIR/applies"; echo {{target}} > "$MAINT_HOST_DIR/version"',
  rollback: 'echo {{previous}} > "$MAINT_HOST_DIR/version"',
};

/**
 * The patch activities of one host on a real sshd, each run in an activity context of its own
 * workflow execution, as a worker runs them (job keys come from that execution's run id). Counts
 * SSH sessions: each starts the user's login shell on the host, which is most of what a wave of
 * hosts costs them.
 */
describe('patch activities on a real sshd host', () => {
  let fleet: SshdFleet;
  const sessions: string[] = [];
  const real = new NodeSshConnector();
  const counting: SshConnector = {
    async connect(target, options) {
      const shell = await real.connect(target, options);
      return { run: (command, runOptions) => (sessions.push(command), shell.run(command, runOptions)), close: () => shell.close() };
    },
  };
  const patch = createPatchActivities({ ssh: counting });
  /** The activities as one batch workflow execution's attempts run them. */
  const inExecution = (runId = randomUUID()) => {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: `rollout-batch-${runId}`, runId } }, { logger: new DefaultLogger('ERROR') });
    const run = <A, R>(fn: (input: A) => Promise<R>) => (input: A) => env.run(fn, input) as Promise<R>;
    return { recordVersions: run(patch.recordVersions), applyPatch: run(patch.applyPatch), rollbackHost: run(patch.rollbackHost) };
  };

  beforeAll(async () => {
    fleet = await startSshdFleet(1, { namePrefix: 'patch' });
  });
  afterAll(async () => {
    await fleet?.stop();
  });

  it('keeps the first record on the host, patches once, and rolls back from the record alone', async () => {
    const host = fleet.hosts[0]!;
    const version = () => readFileSync(join(host.dir, 'version'), 'utf8').trim();
    const applies = () => (existsSync(join(host.dir, 'applies')) ? readFileSync(join(host.dir, 'applies'), 'utf8') : '');
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    const rolloutId = `test-patch-${randomUUID()}`;
    const execution = randomUUID();
    const input = { rolloutId, execution, host, strategy, commandTimeoutMs: 60_000 };
    const activities = inExecution();

    sessions.length = 0;
    const record = await activities.recordVersions(input);
    expect(record).toEqual({ before: { version: '1.0.0' }, target: { version: '2.0.0' } });
    expect(sessions).toHaveLength(1);

    sessions.length = 0;
    expect(await activities.applyPatch({ ...input, record })).toEqual({ installed: { version: '2.0.0' }, alreadyApplied: false, record });
    expect(version()).toBe('2.0.0');
    // Check, then the job's start, its wait and the check after it: two sessions; the record was stored in the first.
    expect(sessions).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(host.jobDir, `${rolloutId}.${host.name}.${execution}.record.json`), 'utf8'))).toEqual({ rolloutId, host: host.name, execution, record });

    // Asked again by the same rollout execution (a retry, a rerun of its batch), the host answers
    // with the first, true "before", not 2.0.0.
    const rerun = inExecution();
    expect(await rerun.recordVersions(input)).toEqual(record);
    expect(await rerun.applyPatch({ ...input, record })).toEqual({ installed: { version: '2.0.0' }, alreadyApplied: true, record });
    expect(applies()).toBe('applied\n');

    // Without a record in hand (an all-patched rollback of an earlier batch), the host's own record is enough.
    expect(await inExecution().rollbackHost({ rolloutId, execution, host, strategy, commandTimeoutMs: 60_000 })).toEqual({ version: '1.0.0' });
    expect(version()).toBe('1.0.0');
  });

  it('never takes the record of another execution with the same rollout id: records what the host has, and will not roll back to it', async () => {
    const host = fleet.hosts[0]!;
    const version = () => readFileSync(join(host.dir, 'version'), 'utf8').trim();
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    const rolloutId = `test-patch-${randomUUID()}`;
    const earlier = { rolloutId, execution: randomUUID(), host, strategy, commandTimeoutMs: 60_000 };
    const earlierRecord = await inExecution().recordVersions(earlier);
    await inExecution().applyPatch({ ...earlier, record: earlierRecord });
    expect(version()).toBe('2.0.0');

    // Now the host is on 1.5.0, and a new rollout that reuses the id patches it.
    writeFileSync(join(host.dir, 'version'), '1.5.0\n');
    const later = { ...earlier, execution: randomUUID() };
    const activities = inExecution();
    // Asked for a rollback before it kept a record of its own: the earlier one is not its to restore.
    const found = `a version record left by another execution of rollout ${rolloutId} (run ${earlier.execution}, before: version 1.0.0), ignored (${rolloutId}.patch-1.${earlier.execution}.record.json)`;
    await expect(activities.rollbackHost(later)).rejects.toThrow(`patch-1: no version record of rollout ${rolloutId} on the host: the one kept there is not this execution's (${found})`);
    expect(version()).toBe('1.5.0');
    const record = await activities.recordVersions(later);
    expect(record).toEqual({ before: { version: '1.5.0' }, target: { version: '2.0.0' }, ignoredRecord: found });
    await activities.applyPatch({ ...later, record });
    expect(version()).toBe('2.0.0');
    // The host now keeps the later execution's record beside the earlier one's (neither replaces the
    // other: the two may run at once, from two namespaces), and a rollback from it alone restores 1.5.0.
    expect(JSON.parse(readFileSync(join(host.jobDir, `${rolloutId}.${host.name}.${later.execution}.record.json`), 'utf8'))).toEqual({ rolloutId, host: host.name, execution: later.execution, record: { before: { version: '1.5.0' }, target: { version: '2.0.0' } } });
    expect(JSON.parse(readFileSync(join(host.jobDir, `${rolloutId}.${host.name}.${earlier.execution}.record.json`), 'utf8'))).toMatchObject({ execution: earlier.execution, record: { before: { version: '1.0.0' } } });
    expect(await inExecution().rollbackHost(later)).toEqual({ version: '1.5.0' });
    expect(version()).toBe('1.5.0');
  });

  it('keeps and reads records as before for a batch started without an execution (by a version before records were bound to one)', async () => {
    const host = fleet.hosts[0]!;
    const version = () => readFileSync(join(host.dir, 'version'), 'utf8').trim();
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, host, strategy, commandTimeoutMs: 60_000 };
    const record = await inExecution().recordVersions(input);
    expect(record).toEqual({ before: { version: '1.0.0' }, target: { version: '2.0.0' } });
    await inExecution().applyPatch({ ...input, record });
    expect(version()).toBe('2.0.0');
    expect(JSON.parse(readFileSync(join(host.jobDir, `${rolloutId}.${host.name}.record.json`), 'utf8'))).toEqual(record);
    expect(await inExecution().rollbackHost(input)).toEqual({ version: '1.0.0' });
    expect(version()).toBe('1.0.0');
  });

  it('fails clearly, and changes nothing, when the record cannot be stored', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    rmSync(join(host.dir, 'applies'), { force: true });
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, execution: randomUUID(), host, strategy, commandTimeoutMs: 60_000 };
    const activities = inExecution();
    const record = await activities.recordVersions(input);
    // A directory where the store writes the record first: it cannot.
    const blocker = join(host.jobDir, `${rolloutId}.${host.name}.${input.execution}.record.json.tmp`);
    mkdirSync(blocker, { recursive: true });
    try {
      await expect(activities.applyPatch({ ...input, record })).rejects.toThrow(/store the version record in the job directory` exited with 96:\n.*Is a directory/);
      expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('1.0.0');
      expect(existsSync(join(host.dir, 'applies'))).toBe(false);
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
  });
  it('refuses a version `check` prints that a rollback command would read as an option, before anything changes', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '--no-preserve-root\n');
    rmSync(join(host.dir, 'applies'), { force: true });
    const input = { rolloutId: `test-patch-${randomUUID()}`, execution: randomUUID(), host, strategy, commandTimeoutMs: 60_000 };
    await expect(inExecution().recordVersions(input)).rejects.toThrow(
      `${host.name}: \`check\` printed "--no-preserve-root", which begins with "-": a rollback would pass it to your rollback command as {{previous}}, where it would read as an option; refusing before anything changes`,
    );
    expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('--no-preserve-root');
    expect(existsSync(join(host.dir, 'applies'))).toBe(false);
  });
  it('never reads or writes a version record through a symbolic link planted at its path, and changes nothing', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    rmSync(join(host.dir, 'applies'), { force: true });
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, execution: randomUUID(), host, strategy, commandTimeoutMs: 60_000 };
    const path = join(host.jobDir, `${rolloutId}.${host.name}.${input.execution}.record.json`);
    const outside = mkdtempSync(join(tmpdir(), 'maint-victim-'));
    const victim = join(outside, 'shadow');
    writeFileSync(victim, '{"rolloutId":"forged"}\n');
    try {
      const record = await inExecution().recordVersions(input);
      // Planted by another local user: a link to a file of root's.
      symlinkSync(victim, path);
      lchownSync(path, 65534, 65534);
      const refusal = `${path} is a symbolic link, not the runner's: refusing to follow it (someone else put it there; remove it)`;
      await expect(inExecution().applyPatch({ ...input, record })).rejects.toMatchObject({ type: 'HostStateInvalid', nonRetryable: true, message: `patch-1: cannot store the version record in the job directory: ${refusal}` });
      await expect(inExecution().recordVersions(input)).rejects.toMatchObject({ type: 'HostStateInvalid', message: `patch-1: cannot read the version record in the job directory: ${refusal}` });
      await expect(inExecution().rollbackHost(input)).rejects.toMatchObject({ type: 'HostStateInvalid', message: `patch-1: cannot read the version record in the job directory: ${refusal}` });
      expect(readFileSync(victim, 'utf8')).toBe('{"rolloutId":"forged"}\n');
      expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('1.0.0');
      expect(existsSync(join(host.dir, 'applies'))).toBe(false);
    } finally {
      rmSync(path, { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses, naming the host and the file, a record of its own execution that holds anything else, instead of taking the host as it is now for "before"', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '2.0.0\n'); // patched already: "before" must come from the record
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, execution: randomUUID(), host, strategy, commandTimeoutMs: 60_000 };
    const path = join(host.jobDir, `${rolloutId}.${host.name}.${input.execution}.record.json`);
    const cases: Array<[string, string]> = [
      ['{"before": {"version": "1.0', 'an unreadable version record (not JSON)'],
      ['', 'an empty version record'],
      [JSON.stringify({ rolloutId, host: host.name, execution: 'another-run', record: { before: { version: '0.1.0' }, target: {} } }), `a version record left by another execution of rollout ${rolloutId} (run another-run, before: version 0.1.0)`],
      [JSON.stringify({ rolloutId, host: host.name, execution: input.execution, record: { before: 'everything' } }), 'a version record in an unknown format (record.before: '],
    ];
    try {
      for (const [content, holds] of cases) {
        writeFileSync(path, content);
        const refused = { type: 'HostStateInvalid', nonRetryable: true, message: expect.stringContaining(`patch-1: ${path} should hold this rollout execution's version record but holds ${holds}`) };
        await expect(inExecution().recordVersions(input)).rejects.toMatchObject(refused);
        await expect(inExecution().rollbackHost(input)).rejects.toMatchObject(refused);
      }
      expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('2.0.0');
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('heartbeats on a timer while one SSH command runs, with the details it last sent', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    const slow: Strategy = { ...strategy, check: 'sleep 11; cat "$MAINT_HOST_DIR/version"' };
    const runId = randomUUID();
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: `rollout-batch-${runId}`, runId } }, { logger: new DefaultLogger('ERROR') });
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const record = await env.run(patch.recordVersions, { rolloutId: `test-patch-${randomUUID()}`, execution: randomUUID(), host, strategy: slow, commandTimeoutMs: 60_000 });
    expect(record).toEqual({ before: { version: '1.0.0' }, target: { version: '2.0.0' } });
    expect(beats.slice(0, 2)).toEqual([{ step: 'connecting', host: 'patch-1' }, { step: 'connected', host: 'patch-1' }]);
    // At least one beat from the timer (every 10 s) while `sleep 11` ran, repeating the last details.
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats.slice(2).every((d) => JSON.stringify(d) === JSON.stringify({ step: 'connected', host: 'patch-1' }))).toBe(true);
  }, 60_000);
  it('runs a change again on the retry when it failed for a passing reason (a held lock), instead of handing back the recorded failure', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    rmSync(join(host.dir, 'applies'), { force: true });
    rmSync(join(host.dir, 'locked-once'), { force: true });
    // The first run finds the dpkg lock held, as when unattended-upgrades runs; the next does not.
    const flaky: Strategy = {
      ...strategy,
      apply: `if [ ! -e "$MAINT_HOST_DIR/locked-once" ]; then touch "$MAINT_HOST_DIR/locked-once"; echo 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)' >&2; exit 100; fi; ${strategy.apply}`,
    };
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, execution: randomUUID(), host, strategy: flaky, commandTimeoutMs: 60_000 };
    const activities = inExecution();
    const record = await activities.recordVersions(input);
    await expect(activities.applyPatch({ ...input, record })).rejects.toMatchObject({
      type: 'HostCommandTransient', nonRetryable: false,
      message: expect.stringContaining('(the lock /var/lib/dpkg/lock-frontend is held by another process (an apt or dpkg run): retried)'),
    });
    expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('1.0.0');
    // The retry (same execution, so the same job key) runs the command again and patches.
    expect(await activities.applyPatch({ ...input, record })).toEqual({ installed: { version: '2.0.0' }, alreadyApplied: false, record });
    expect(readFileSync(join(host.dir, 'applies'), 'utf8')).toBe('applied\n');
  });
});
