import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RepositoryPlan } from '../../policies/deps/resolve';
import { networkEnvironment } from '../network';
import { redact } from '../../policies/common/redact';

const run = promisify(execFile);

/** A command of the dependency pipeline failed: which command, where, and the end of its output. */
export class CheckoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckoutError';
  }
}

/**
 * git with the token in an HTTP header taken from the environment (GIT_CONFIG_*), never in the URL,
 * the argument list or a config file, so it shows up in no process listing and no log.
 */
export async function git(args: string[], opts: { cwd?: string; token?: string } = {}): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...networkEnvironment(),
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'maint', GIT_AUTHOR_EMAIL: 'maint@localhost', GIT_COMMITTER_NAME: 'maint', GIT_COMMITTER_EMAIL: 'maint@localhost',
  };
  if (opts.token !== undefined) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${Buffer.from(`x-access-token:${opts.token}`).toString('base64')}`;
  }
  try {
    const { stdout } = await run('git', args, { cwd: opts.cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const detail = (e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ');
    throw new CheckoutError(`git ${args[0]} failed: ${redact(opts.token !== undefined ? detail.split(opts.token).join('***') : detail)}`);
  }
}

/**
 * A fresh working copy of the plan's base branch for the duration of `use`, removed afterwards:
 * cloned from GitHub with the token, or from a local clone (its committed base branch, not its
 * working tree), or a plain directory copied and committed (Renovate reads only tracked files).
 */
export async function withCheckout<T>(plan: RepositoryPlan, workRoot: string, token: string | undefined, use: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(workRoot, { recursive: true });
  const dir = await mkdtemp(join(workRoot, `${plan.owner}-${plan.name}-`));
  try {
    const clone = ['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', plan.baseBranch];
    if (plan.checkout.kind === 'github') {
      await git([...clone, plan.checkout.cloneUrl, dir], token !== undefined ? { token } : {}).catch((err: Error) => {
        throw new CheckoutError(`${plan.repo}: cannot clone ${plan.checkout.kind === 'github' ? plan.checkout.cloneUrl : ''} (branch ${plan.baseBranch}): ${err.message}`);
      });
    } else {
      const source = plan.checkout.path;
      const isDir = await stat(source).then((s) => s.isDirectory(), () => false);
      if (!isDir) throw new CheckoutError(`${plan.repo}: checkout path ${source} is not a directory`);
      const isRepo = await stat(join(source, '.git')).then(() => true, () => false);
      if (isRepo) {
        await git([...clone, `file://${source}`, dir]).catch((err: Error) => {
          throw new CheckoutError(`${plan.repo}: cannot use the local clone ${source} (branch ${plan.baseBranch}): ${err.message}`);
        });
      } else {
        await cp(source, dir, { recursive: true });
        await git(['init', '--quiet', '--initial-branch', plan.baseBranch], { cwd: dir });
        await git(['add', '--all'], { cwd: dir });
        await git(['commit', '--quiet', '--allow-empty', '-m', 'snapshot'], { cwd: dir });
      }
    }
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
