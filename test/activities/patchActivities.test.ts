import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_DIR } from '../../activities/hosts/jobs';
import { NodeSshConnector, type SshConnector } from '../../activities/hosts/ssh';
import { createPatchActivities } from '../../activities/patch';
import type { Strategy } from '../../policies/rollout';
import { startSshdFleet, type SshdFleet } from '../helpers/sshdFleet';

const strategy: Strategy = {
  kind: 'command',
  target: '2.0.0',
  check: 'cat "$MAINT_HOST_DIR/version"',
  apply: 'echo applied >> "$MAINT_HOST_DIR/applies"; echo {{target}} > "$MAINT_HOST_DIR/version"',
  rollback: 'echo {{previous}} > "$MAINT_HOST_DIR/version"',
};

/**
 * The patch activities of one host on a real sshd, called as a workflow would (outside an activity
 * the job keys use the rollout id). Counts SSH sessions: each starts the user's login shell on the
 * host, which is most of what a wave of hosts costs them.
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
  const activities = createPatchActivities({ ssh: counting });

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
    const input = { rolloutId, host, strategy, commandTimeoutMs: 60_000 };

    sessions.length = 0;
    const record = await activities.recordVersions(input);
    expect(record).toEqual({ before: { version: '1.0.0' }, target: { version: '2.0.0' } });
    expect(sessions).toHaveLength(1);

    sessions.length = 0;
    expect(await activities.applyPatch({ ...input, record })).toEqual({ installed: { version: '2.0.0' }, alreadyApplied: false, record });
    expect(version()).toBe('2.0.0');
    // Check, then the job's start, its wait and the check after it: two sessions; the record was stored in the first.
    expect(sessions).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(JOB_DIR, `${rolloutId}.${host.name}.record.json`), 'utf8'))).toEqual(record);

    // Asked again (a rerun of the rollout), the host answers with the first, true "before", not 2.0.0.
    expect(await activities.recordVersions(input)).toEqual(record);
    expect(await activities.applyPatch({ ...input, record })).toEqual({ installed: { version: '2.0.0' }, alreadyApplied: true, record });
    expect(applies()).toBe('applied\n');

    // Without a record in hand (an all-patched rollback of an earlier batch), the host's own record is enough.
    expect(await activities.rollbackHost({ rolloutId, host, strategy, commandTimeoutMs: 60_000 })).toEqual({ version: '1.0.0' });
    expect(version()).toBe('1.0.0');
  });

  it('fails clearly, and changes nothing, when the record cannot be stored', async () => {
    const host = fleet.hosts[0]!;
    writeFileSync(join(host.dir, 'version'), '1.0.0\n');
    rmSync(join(host.dir, 'applies'), { force: true });
    const rolloutId = `test-patch-${randomUUID()}`;
    const input = { rolloutId, host, strategy, commandTimeoutMs: 60_000 };
    const record = await activities.recordVersions(input);
    // A directory where the store writes the record first: it cannot.
    const blocker = join(JOB_DIR, `${rolloutId}.${host.name}.record.json.tmp`);
    mkdirSync(blocker, { recursive: true });
    try {
      await expect(activities.applyPatch({ ...input, record })).rejects.toThrow(/store the version record in \/var\/tmp\/maint-jobs` exited with 96:\n.*Is a directory/);
      expect(readFileSync(join(host.dir, 'version'), 'utf8').trim()).toBe('1.0.0');
      expect(existsSync(join(host.dir, 'applies'))).toBe(false);
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
  });
});
