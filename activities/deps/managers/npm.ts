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
 * The package-lock.json next to a changed package.json, refreshed so that `npm ci` works and the
 * lock holds exactly the versions the PR names: npm first resolves with the new versions pinned
 * exactly (a `^1.2.4` range alone would let it pick 1.3.0), then once more with the real ranges,
 * which keeps those versions. Undefined when the package has no lockfile.
 */
async function refreshLockfile(dir: string, before: string, after: string, updates: DetectedUpdate[], registry?: string): Promise<string | undefined> {
  const lockPath = join(dir, 'package-lock.json');
  if (!(await stat(lockPath).then((s) => s.isFile(), () => false))) return undefined;
  const pinned = applyUpdatesToText(updates[0]!.packageFile, before, updates.map((u) => ({ ...u, newValue: u.newVersion })));
  await writeFile(join(dir, 'package.json'), pinned);
  await npmLockOnly(dir, registry);
  await writeFile(join(dir, 'package.json'), after);
  await npmLockOnly(dir, registry);
  return await readFile(lockPath, 'utf8');
}

/** package.json: its package-lock.json, when the package has one. */
export const npmArtifacts: ManagerArtifacts = {
  async updateArtifacts({ checkoutDir, packageFileName, updatedDeps, packageFileContent, newPackageFileContent, config }) {
    if (posix.basename(packageFileName) !== 'package.json') return [];
    config.heartbeat(`npm lockfile ${packageFileName}`);
    const lock = await refreshLockfile(dirname(join(checkoutDir, packageFileName)), packageFileContent, newPackageFileContent, updatedDeps, config.registries.npm);
    return lock === undefined ? [] : [{ path: posix.join(posix.dirname(packageFileName), 'package-lock.json'), content: lock }];
  },
};
