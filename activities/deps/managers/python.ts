import { stat } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { FileChangeError } from '../../../policies/deps/managers/manager';
import { hashesFromSimplePage, normalizePythonName, replaceRequirementHashes, requirementHasHashes } from '../../../policies/deps/managers/python';
import { redact } from '../../../policies/common/redact';
import type { ManagerArtifacts } from './artifacts';

const PUBLIC_INDEX = 'https://pypi.org/simple/';

async function simplePage(index: string, name: string): Promise<string> {
  const url = `${index.replace(/\/*$/, '/')}${normalizePythonName(name)}/`;
  let answer: Response;
  try {
    answer = await fetch(url, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    const e = err as { message: string; cause?: { code?: string } };
    throw new Error(redact(`${url}: ${e.cause?.code ?? e.message}`), { cause: err });
  }
  if (!answer.ok) throw new Error(redact(`${url} answered HTTP ${answer.status}`));
  return answer.text();
}

/**
 * requirements files in hash-checking mode (`--hash=sha256:`): each updated requirement gets the
 * hashes of the new version's files from the index (dependencies.registries.pypi, else the simple
 * index the file names, else pypi.org),
 * as Renovate's hashin step would; pip would refuse to install it with the old ones. An index that
 * offers no hashed file for the version refuses the PR.
 */
export const pipRequirementsArtifacts: ManagerArtifacts = {
  async updateArtifacts({ packageFileName, updatedDeps, newPackageFileContent, config }) {
    let text = newPackageFileContent;
    for (const u of updatedDeps) {
      if (!requirementHasHashes(text, u.depName, u.newValue)) continue;
      config.heartbeat(`hashes ${u.depName} ${u.newVersion}`);
      // Where Renovate looked it up: the configured index, else a simple index the file names (--index-url), else pypi.org.
      const index = config.registries.pypi ?? (u.registryUrl !== undefined && /\/\+?simple\/?$/.test(u.registryUrl) ? u.registryUrl : PUBLIC_INDEX);
      const hashes = hashesFromSimplePage(await simplePage(index, u.depName), u.depName, u.newVersion);
      if (hashes.length === 0) throw new FileChangeError(packageFileName, u.depName, `pins --hash=sha256: values, but ${index} lists no file of ${u.depName} ${u.newVersion} with a sha256; the hashes cannot be updated, so no PR`);
      text = replaceRequirementHashes(packageFileName, text, u.depName, u.newValue, hashes);
    }
    return text === newPackageFileContent ? [] : [{ path: packageFileName, content: text }];
  },
};

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

/** Lockfiles maint does not refresh: a PR that changes pyproject.toml next to one would leave it stale. */
const PYTHON_LOCKS: { file: string; tool: string }[] = [
  { file: 'poetry.lock', tool: 'Poetry (poetry lock)' },
  { file: 'uv.lock', tool: 'uv (uv lock)' },
  { file: 'pdm.lock', tool: 'PDM (pdm lock)' },
];

/**
 * pyproject.toml (pep621, poetry): nothing besides the file itself, and no PR when a lockfile
 * sits next to it, since maint does not run Poetry, uv or PDM: the lock would no longer match
 * (`poetry install` refuses a stale poetry.lock).
 */
export const pyprojectArtifacts: ManagerArtifacts = {
  async updateArtifacts({ checkoutDir, packageFileName, updatedDeps }) {
    const dir = posix.dirname(packageFileName);
    for (const lock of PYTHON_LOCKS) {
      if (!(await isFile(join(checkoutDir, dirname(packageFileName), lock.file)))) continue;
      throw new FileChangeError(packageFileName, updatedDeps[0]!.depName, `${posix.join(dir, lock.file)} would be left stale: maint does not refresh ${lock.tool} lockfiles, so no PR; update it by hand or leave ${updatedDeps[0]!.manager} out of the repository's managers`);
    }
    return [];
  },
};
