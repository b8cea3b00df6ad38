import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { applyUpdatesToText } from '../../../policies/deps/fileChanges';
import type { DetectedUpdate } from '../../../policies/deps/types';
import { networkEnvironment } from '../../network';
import type { ManagerArtifacts } from './artifacts';
import { redact } from '../../../policies/common/redact';

const run = promisify(execFile);

async function npmLockOnly(dir: string, registry: string | undefined): Promise<void> {
  const args = ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-online', '--loglevel=error'];
  if (registry !== undefined) args.push(`--registry=${registry}`);
  try {
    await run('npm', args, { cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...networkEnvironment() }, timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`npm install --package-lock-only in ${dir} failed: ${redact((e.stderr ?? e.message).trim().split('\n').slice(-4).join(' | '))}`, { cause: err });
  }
}

/**
 * The package-lock.json of a changed package.json, refreshed so that `npm ci` works and the lock
 * holds exactly the versions the PR names: npm first resolves with the new versions pinned exactly
 * (a `^1.2.4` range alone would let it pick 1.3.0), then once more with the real ranges, which keeps
 * those versions. The lock is next to the package.json, or, for a package of an npm workspace, at
 * the workspace root (where npm keeps the one lock of all its packages). Undefined without a lock.
 */
async function refreshLockfile(checkoutDir: string, packageFileName: string, before: string, after: string, updates: DetectedUpdate[], registry?: string): Promise<{ lockFile: string; content: string } | undefined> {
  const packageDir = dirname(join(checkoutDir, packageFileName));
  const lockDir = await lockDirectoryOf(checkoutDir, posix.dirname(packageFileName));
  if (lockDir === undefined) return undefined;
  const packageJson = join(packageDir, 'package.json');
  const pinned = applyUpdatesToText(updates[0]!.packageFile, before, updates.map((u) => ({ ...u, newValue: u.newVersion })));
  await writeFile(packageJson, pinned);
  await npmLockOnly(join(checkoutDir, lockDir), registry);
  await writeFile(packageJson, after);
  await npmLockOnly(join(checkoutDir, lockDir), registry);
  return { lockFile: posix.join(lockDir, 'package-lock.json'), content: await readFile(join(checkoutDir, lockDir, 'package-lock.json'), 'utf8') };
}

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

/**
 * Where the lock of the package in `packageDir` (relative, posix) lives: its own directory when it
 * has a package-lock.json, else the nearest parent inside the checkout whose package.json declares
 * `workspaces` and that has one.
 */
async function lockDirectoryOf(checkoutDir: string, packageDir: string): Promise<string | undefined> {
  if (await isFile(join(checkoutDir, packageDir, 'package-lock.json'))) return packageDir;
  for (let dir = packageDir; dir !== '.' && dir !== ''; ) {
    dir = posix.dirname(dir);
    if (!(await isFile(join(checkoutDir, dir, 'package-lock.json')))) continue;
    const root = await readFile(join(checkoutDir, dir, 'package.json'), 'utf8').then((t) => JSON.parse(t) as { workspaces?: unknown }, () => undefined);
    if (root?.workspaces !== undefined) return dir;
  }
  return undefined;
}

/** package.json: its package-lock.json (its own, or its workspace root's), when it has one. */
export const npmArtifacts: ManagerArtifacts = {
  async updateArtifacts({ checkoutDir, packageFileName, updatedDeps, packageFileContent, newPackageFileContent, config }) {
    if (posix.basename(packageFileName) !== 'package.json') return [];
    config.heartbeat(`npm lockfile ${packageFileName}`);
    const lock = await refreshLockfile(checkoutDir, packageFileName, packageFileContent, newPackageFileContent, updatedDeps, config.registries.npm);
    return lock === undefined ? [] : [{ path: lock.lockFile, content: lock.content }];
  },
};
