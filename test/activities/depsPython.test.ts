// Issue 21: Python dependencies (pip_requirements, pep621, poetry) on real parts — the real Renovate
// against a real PEP 503 index (wheels and sdists served by python3 -m http.server), the real
// Octokit against the GitHub fake, and pip itself resolving the edited requirements.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDependencyActivities } from '../../activities/deps';
import { productionDependencyDeps } from '../../activities/deps/production';
import { freePort } from '../../harness/ports';
import { planUpdates } from '../../policies/deps/plan';
import { resolvePolicy, type RepositoryPlan } from '../../policies/deps/resolve';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { startPypiIndex, type TestPypiIndex } from '../helpers/pypiIndex';

const run = promisify(execFile);
const TOKEN = 'ghp_deps-python-token';
const TOKEN_ENV = 'MAINT_TEST_DEPS_PYTHON_TOKEN';

jest.setTimeout(300_000);

/** pip with only the given index: no user config, no find-links of the machine. */
async function pipDownload(index: string, args: string[]): Promise<string[]> {
  const dest = mkdtempSync(join(tmpdir(), 'maint-pip-'));
  try {
    const env = { PATH: process.env.PATH, HOME: dest, PIP_CONFIG_FILE: '/dev/null', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
    await run('python3', ['-m', 'pip', 'download', '--no-deps', '--quiet', '--index-url', index, '--dest', dest, ...args], { env });
    return readdirSync(dest).filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz')).sort();
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
}

describe('Python dependencies (real Renovate, a PEP 503 index, pip and the GitHub fake)', () => {
  let pypi: TestPypiIndex;
  let github: GitHubFake;
  let work: string;
  let activities: ReturnType<typeof createDependencyActivities>;

  const planFor = (name: string, extra: Partial<RepositoryPlan> = {}): RepositoryPlan => ({
    repo: `acme/${name}`, owner: 'acme', name, baseBranch: 'main', managers: ['pip_requirements', 'pep621', 'poetry'],
    checkout: { kind: 'github', cloneUrl: github.gitUrl('acme', name) },
    github: { baseUrl: github.url, auth: { kind: 'token', tokenEnv: TOKEN_ENV } },
    registries: { docker: [], pypi: pypi.url },
    // One PR per dependency here, more than the default limits open in an hour.
    policy: { ...resolvePolicy(`acme/${name}`, []), prsPerHour: 20, maxOpenPRs: 20 },
    ...extra,
  });

  beforeAll(async () => {
    process.env[TOKEN_ENV] = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-deps-python-'));
    [pypi, github] = await Promise.all([startPypiIndex(), startGitHubFake({ token: TOKEN })]);
    activities = createDependencyActivities(productionDependencyDeps({ dataDir: work, throttle: false }));
  });

  afterAll(async () => {
    await Promise.allSettled([pypi?.stop(), github?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('requirements pins, hashed requirements, PEP 621 and Poetry dependencies: the index\'s versions are proposed and written so pip resolves them', async () => {
    for (const [name, versions] of [['tiny-alpha', ['1.0.0', '1.0.1']], ['tiny-beta', ['2.0.0', '2.0.1']], ['tiny-delta', ['1.0.0', '1.2.0']], ['tiny-epsilon', ['1.0.0', '1.1.0']], ['tiny-zeta', ['1.0.0', '1.0.1']]] as const) {
      for (const version of versions) await pypi.publish(name, version);
    }
    // The index is real: pip itself downloads from it.
    expect(await pipDownload(pypi.url, ['tiny-alpha==1.0.0'])).toEqual(['tiny_alpha-1.0.0-py3-none-any.whl']);

    const [wheel, sdist] = pypi.hashes('tiny-beta', '2.0.0');
    const requirements = '# runtime\ntiny-alpha==1.0.0  # pinned\n';
    const locked = `Tiny_Beta==2.0.0 \\\n    --hash=sha256:${wheel} \\\n    --hash=sha256:${sdist}\n    # via app\n`;
    const pep621 = '[project]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n  "tiny-delta>=1.0.0",\n  \'tiny-alpha[extra] ==1.0.0 ; python_version >= "3.8"\',\n]\n';
    const poetry = '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.9"\ntiny-epsilon = "^1.0.0"\ntiny-zeta = { version = "1.0.0", optional = true }\n';
    await github.createRepository({ owner: 'acme', name: 'pyapp', files: { 'requirements.txt': requirements, 'requirements-locked.txt': locked, 'pyproject.toml': pep621, 'svc/pyproject.toml': poetry } });

    const plan = planFor('pyapp');
    const scan = await activities.scanRepository({ plan });
    expect(scan.problems.filter((p) => p.level === 'error')).toEqual([]);
    // Renovate's poetry manager also reads PEP 621 [project] dependencies and supersedes pep621 for a file it reads.
    expect(scan.updates.map((u) => [u.manager, u.packageFile, u.depName, u.currentValue.trim(), u.newValue]).sort()).toEqual([
      ['pip_requirements', 'requirements-locked.txt', 'Tiny_Beta', '==2.0.0', '==2.0.1'],
      ['pip_requirements', 'requirements.txt', 'tiny-alpha', '==1.0.0', '==1.0.1'],
      ['poetry', 'pyproject.toml', 'tiny-alpha', '==1.0.0', '==1.0.1'],
      ['poetry', 'pyproject.toml', 'tiny-delta', '>=1.0.0', '>=1.2.0'],
      ['poetry', 'svc/pyproject.toml', 'tiny-epsilon', '^1.0.0', '^1.1.0'],
      ['poetry', 'svc/pyproject.toml', 'tiny-zeta', '1.0.0', '1.0.1'],
    ]);
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    for (const pr of planned.pullRequests) await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });
    const read = async (manager: string, depName: string, file: string) => {
      const pr = planned.pullRequests.find((p) => p.updates.some((u) => u.manager === manager && u.depName === depName && u.packageFile === file))!;
      return (await github.readFile('acme', 'pyapp', pr.branch, file))!;
    };

    const newRequirements = await read('pip_requirements', 'tiny-alpha', 'requirements.txt');
    expect(newRequirements).toBe(requirements.replace('==1.0.0', '==1.0.1'));
    const [newWheel, newSdist] = pypi.hashes('tiny-beta', '2.0.1');
    const newLocked = await read('pip_requirements', 'Tiny_Beta', 'requirements-locked.txt');
    expect(newLocked).toBe(`Tiny_Beta==2.0.1 \\\n    --hash=sha256:${newWheel} \\\n    --hash=sha256:${newSdist}\n    # via app\n`);
    // pip resolves the edited files from the index, the hashed one in hash-checking mode.
    for (const [file, text] of [['requirements.txt', newRequirements], ['requirements-locked.txt', newLocked]] as const) writeFileSync(join(work, file), text);
    expect(await pipDownload(pypi.url, ['-r', join(work, 'requirements.txt')])).toEqual(['tiny_alpha-1.0.1-py3-none-any.whl']);
    expect(await pipDownload(pypi.url, ['--require-hashes', '-r', join(work, 'requirements-locked.txt')])).toEqual(['tiny_beta-2.0.1-py3-none-any.whl']);

    expect(await read('poetry', 'tiny-delta', 'pyproject.toml')).toBe(pep621.replace('"tiny-delta>=1.0.0"', '"tiny-delta>=1.2.0"'));
    expect(await read('poetry', 'tiny-alpha', 'pyproject.toml')).toBe(pep621.replace('==1.0.0 ;', '==1.0.1 ;'));
    expect(await read('poetry', 'tiny-epsilon', 'svc/pyproject.toml')).toBe(poetry.replace('tiny-epsilon = "^1.0.0"', 'tiny-epsilon = "^1.1.0"'));
    expect(await read('poetry', 'tiny-zeta', 'svc/pyproject.toml')).toBe(poetry.replace('version = "1.0.0"', 'version = "1.0.1"'));

    // pep621 alone (poetry not among the repository's managers) reads and writes the same [project] dependencies.
    const pep621Plan = planFor('pyapp', { managers: ['pep621'] });
    const pep621Scan = await activities.scanRepository({ plan: pep621Plan });
    expect(pep621Scan.updates.map((u) => [u.manager, u.packageFile, u.depName, u.newValue]).sort()).toEqual([
      ['pep621', 'pyproject.toml', 'tiny-alpha', '==1.0.1'],
      ['pep621', 'pyproject.toml', 'tiny-delta', '>=1.2.0'],
    ]);
    const pep621Prs = planUpdates({ updates: pep621Scan.updates, policy: pep621Plan.policy, pullRequests: [], now: new Date() }).pullRequests;
    for (const pr of pep621Prs) await activities.publishDependencyPullRequest({ plan: pep621Plan, pr, body: 'test' });
    const delta = pep621Prs.find((p) => p.updates[0]!.depName === 'tiny-delta')!;
    expect(await github.readFile('acme', 'pyapp', delta.branch, 'pyproject.toml')).toBe(pep621.replace('"tiny-delta>=1.0.0"', '"tiny-delta>=1.2.0"'));
  });

  it('a pyproject.toml next to a poetry.lock gets no PR that would leave the lock stale, and says why', async () => {
    await pypi.publish('tiny-theta', '1.0.0');
    const poetry = '[tool.poetry]\nname = "locked"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.9"\ntiny-theta = "1.0.0"\n';
    await github.createRepository({ owner: 'acme', name: 'locked', files: { 'pyproject.toml': poetry, 'poetry.lock': '# This file is automatically @generated by Poetry\n[metadata]\nlock-version = "2.0"\n' } });
    await pypi.publish('tiny-theta', '1.0.1');

    const plan = planFor('locked');
    const scan = await activities.scanRepository({ plan });
    expect(scan.updates.map((u) => [u.manager, u.depName, u.newValue])).toEqual([['poetry', 'tiny-theta', '1.0.1']]);
    const [pr] = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() }).pullRequests;
    await expect(activities.publishDependencyPullRequest({ plan, pr: pr!, body: 'test' })).rejects.toThrow(
      'pyproject.toml: tiny-theta: poetry.lock would be left stale: maint does not refresh Poetry (poetry lock) lockfiles, so no PR; update it by hand or leave poetry out of the repository\'s managers',
    );
    expect(await github.readFile('acme', 'locked', pr!.branch, 'pyproject.toml').catch(() => null)).toBeNull();
  });

  it('an unreachable PyPI index is checked once, first, and named with its file and setting', async () => {
    await github.createRepository({ owner: 'acme', name: 'pyoffline', files: { 'requirements.txt': 'tiny-alpha==1.0.0\n' } });
    const dead = `http://127.0.0.1:${await freePort()}/simple/`;
    const scan = await activities.scanRepository({ plan: planFor('pyoffline', { registries: { docker: [], pypi: dead }, file: '/etc/maint/acme.yaml' }) });
    const reason = `/etc/maint/acme.yaml: dependencies.registries.pypi ${dead} is unreachable (ECONNREFUSED); fix the URL or the registry`;
    expect(scan.unscanned).toEqual(['pip_requirements', 'pep621', 'poetry'].map((manager) => ({ manager, reason })));
    expect(scan.updates).toEqual([]);
  });
});
