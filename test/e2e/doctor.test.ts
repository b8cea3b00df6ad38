import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';

interface Check { name: string; ok: boolean; detail: string; hint?: string }

/**
 * `maint doctor` on a worker machine checks what that worker serves (MAINT_TASK_QUEUES): a worker
 * that only runs dependency updates needs no SSH key, but Renovate, git and npm, and a poller on
 * its own queue; a hosts worker still needs its key.
 */
describe('maint doctor checks what the worker serves', () => {
  const workers: LongRunning[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'maint-doctor-'));
  const queue = `doctor-${randomUUID().slice(0, 8)}`;
  const base = {
    TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!,
    MAINT_TASK_QUEUE: queue,
    MAINT_SSH_IDENTITY_FILE: join(dir, 'no-such-key'),
    SSH_AUTH_SOCK: '',
    MAINT_DATA_DIR: join(dir, 'data'),
  };
  afterAll(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
  });

  async function doctor(env: NodeJS.ProcessEnv): Promise<{ code: number | null; checks: Map<string, Check> }> {
    const result = await runMaint(['doctor', '--json'], env);
    const checks = JSON.parse(result.stdout) as Check[];
    return { code: result.code, checks: new Map(checks.map((c) => [c.name, c])) };
  }

  it('a dependencies-only worker without an SSH key passes once its queue has a poller; Renovate, git and npm are checked', async () => {
    const env = { ...base, MAINT_TASK_QUEUES: 'dependencies' };
    const before = await doctor(env);
    expect(before.checks.get('ssh-key')).toEqual(expect.objectContaining({ ok: true, detail: 'not needed: this worker serves dependencies, not hosts (MAINT_TASK_QUEUES)' }));
    // scripts/test.sh exports MAINT_RENOVATE_PATH (the bootstrap's Renovate); run bare, the bundled one is found: the check names which.
    const from = process.env.MAINT_RENOVATE_PATH !== undefined ? 'MAINT_RENOVATE_PATH' : '\\.tools/renovate';
    expect(before.checks.get('renovate')).toEqual(expect.objectContaining({ ok: true, detail: expect.stringMatching(new RegExp(`^Renovate 44\\.121\\.2 \\(.*\\.tools/renovate/node_modules/\\.bin/renovate, from ${from}\\)$`)) }));
    expect(before.checks.get('git')).toEqual(expect.objectContaining({ ok: true, detail: expect.stringMatching(/^git version /) }));
    expect(before.checks.get('npm')?.ok).toBe(true);
    // No worker yet: the one failure is the queue, named.
    expect(before.checks.get('worker:dependencies')).toEqual(expect.objectContaining({ ok: false, detail: `no worker polls task queue "${queue}-dependencies" (dependencies activities)` }));
    expect(before.checks.has('worker:workflows')).toBe(false);
    expect(before.code).toBe(1);

    const worker = startMaint(['worker'], env);
    workers.push(worker);
    await worker.waitFor(/worker: polling activity task queue "doctor-[0-9a-f]+-dependencies"/, 90_000);
    const after = await doctor(env);
    expect([...after.checks.values()].filter((c) => !c.ok)).toEqual([]);
    expect(after.checks.get('worker:dependencies')?.detail).toMatch(new RegExp(`^\\d+ poller\\(s\\) on task queue "${queue}-dependencies"$`));
    expect(after.code).toBe(0);
  }, 180_000);

  it('a hosts worker without an SSH key fails the ssh-key check, naming the file; no Renovate check', async () => {
    const { code, checks } = await doctor({ ...base, MAINT_TASK_QUEUES: 'hosts' });
    expect(checks.get('ssh-key')).toEqual(expect.objectContaining({ ok: false, detail: `${base.MAINT_SSH_IDENTITY_FILE} is not readable and SSH_AUTH_SOCK is unset` }));
    expect(checks.has('renovate')).toBe(false);
    expect(code).toBe(1);
  });

  it('a missing Renovate is a failure naming where it was looked for and what to run', async () => {
    const missing = join(dir, 'renovate-missing');
    const { checks } = await doctor({ ...base, MAINT_TASK_QUEUES: 'dependencies', MAINT_RENOVATE_PATH: missing });
    expect(checks.get('renovate')).toEqual({
      name: 'renovate', ok: false, detail: `${missing} (from MAINT_RENOVATE_PATH) does not exist`,
      hint: 'run scripts/bootstrap.sh (it installs the pinned Renovate into .tools/renovate) or set MAINT_RENOVATE_PATH',
    });
  });
});
