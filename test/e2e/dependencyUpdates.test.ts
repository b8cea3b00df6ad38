// Issue 5 must-show: the real Renovate finds updates in a fixture repository served by a real
// verdaccio, a real Docker registry and a GitHub fake (the only fake: GitHub cannot run here);
// the dependencyUpdates workflow, on a real Temporal dev server with the real Octokit, opens
// grouped PRs with exact file contents, updates them in place, honours closed PRs, release age,
// limits and rate limits, and automerges only inside the merge window with green checks.
// The registries are shared by the file; each test gets a GitHub fake of its own with fresh fixture
// repositories, and removes again any version it publishes, so no test relies on what another did.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { productionDependencyDeps } from '../../activities/deps/production';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { loadDependencies } from '../../control/dependencies';
import type { RepositoryPlan } from '../../policies/deps/resolve';
import { dependencyRunId, type DependencyRunSummary } from '../../policies/deps/run';
import type { dependencyScanWorkflow, dependencyUpdatesWorkflow } from '../../workflows/dependencyUpdates';
import { createWorker, type WorkerGroup } from '../../worker';
import { runMaint } from '../helpers/cli';
import { startDockerRegistry, type TestDockerRegistry } from '../helpers/dockerRegistry';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { freePort } from '../../harness/ports';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { recordHistories } from '../helpers/replayHistories';
import { startVerdaccio, type PublishOptions, type TestNpmRegistry } from '../helpers/verdaccio';

const run = promisify(execFile);
const TOKEN = 'ghp_e2e-dependency-token';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

jest.setTimeout(600_000);

describe('dependency updates end to end', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let npm: TestNpmRegistry;
  let docker: TestDockerRegistry;
  let github: GitHubFake;
  /** The file's own temporary directory (lockfiles, the worker's checkouts). */
  let work: string;
  /** The current test's temporary directory (its maint.yaml, clones). */
  let testDir: string;
  let taskQueue: string;
  let orgFile: string;
  let plans: Map<string, RepositoryPlan>;
  const digests: Record<string, string> = {};
  /** The fixture repositories' files, as they were written before any newer version existed. */
  const fixtures: Record<'webshop' | 'api', Record<string, string>> = { webshop: {}, api: {} };

  const orgYaml = (mergeWindow: string, npmRegistry = npm.url) => `
apiVersion: maint/v1
kind: Organisation
organisation: { name: Acme Dependencies, contact: { email: ops@acme.example } }
services: [{ name: webshop }]
windows:
  - name: open-now
    timezone: UTC
    recurrence: { kind: once, at: "${new Date(Date.now() - 10 * 60_000).toISOString().slice(0, 16)}" }
    duration: 3h
    services: [webshop]
    notices: { leadTimes: [1m] }
    preflight: false
  - name: next-month
    timezone: Europe/Amsterdam
    recurrence: { kind: once, at: "${new Date(Date.now() + 30 * DAY).toISOString().slice(0, 11)}22:00" }
    duration: 4h
    services: [webshop]
    notices: { leadTimes: [1m] }
    preflight: false
dependencies:
  github: { baseUrl: "${github.url}", auth: { kind: token, tokenEnv: MAINT_E2E_GITHUB_TOKEN } }
  registries: { npm: "${npmRegistry}", docker: [{ host: "${docker.host}", insecure: true }] }
  repositories:
    - { repo: acme/webshop, managers: [npm, dockerfile, github-actions] }
    - { repo: acme/api, managers: [npm] }
  policies:
    - labels: [dependencies]
      reviewers: [dev-alice]
      groups: [{ name: npm-non-major, managers: [npm], updateTypes: [minor, patch] }]
      limits: { maxOpenPRs: 10, prsPerHour: 20 }
      mergeWindow: ${mergeWindow}
      automerge: { updateTypes: [patch] }
    - repositories: [acme/api]
      minimumReleaseAge: 3d
`;

  async function loadPlans(yaml: string): Promise<Map<string, RepositoryPlan>> {
    writeFileSync(orgFile, yaml);
    const setup = await loadDependencies([orgFile]);
    return new Map(setup.repositories.map((p) => [p.repo, p]));
  }

  /** One run of the repository's workflow; `record` names its history file (MAINT_RECORD_HISTORIES=1). */
  async function runRepo(plan: RepositoryPlan, opts: { dryRun?: boolean; record?: string } = {}): Promise<DependencyRunSummary> {
    const workflowId = `${dependencyRunId(plan.repo)}-${Date.now()}`;
    const summary = await env.client.workflow.execute<typeof dependencyUpdatesWorkflow>('dependencyUpdatesWorkflow', {
      taskQueue, workflowId, args: [{ plan, ...(opts.dryRun ? { dryRun: true } : {}) }],
    });
    if (opts.record) recordHistories([{ workflowId, file: opts.record }]);
    return summary;
  }

  /** Publishes versions for one test and takes them back out afterwards, even when the test fails. */
  async function withPublished<T>(versions: Array<[name: string, version: string, options: PublishOptions]>, body: () => Promise<T>): Promise<T> {
    const published: Array<[string, string]> = [];
    try {
      for (const [name, version, options] of versions) {
        await npm.publish(name, version, options);
        published.push([name, version]);
      }
      return await body();
    } finally {
      for (const [name, version] of published.reverse()) npm.unpublish(name, version);
    }
  }

  /** A given step: a first real run, which opens the six PRs the later steps act on. */
  async function openPullRequests(): Promise<void> {
    const summary = await runRepo(plans.get('acme/webshop')!);
    expect(summary.pullRequests.map((p) => p.outcome)).toEqual(Array(6).fill('created'));
  }

  const pulls = (repo: string) => github.listPullRequests('acme', repo);
  const openPulls = (repo: string) => pulls(repo).filter((p) => p.state === 'open');
  const read = async (repo: string, branch: string, path: string) => (await github.readFile('acme', repo, branch, path)) ?? '';
  const byBranch = (s: DependencyRunSummary) => Object.fromEntries(s.pullRequests.map((p) => [p.branch.replace(docker.host.replace(/[.:]/g, '-'), 'REG'), p]));

  beforeAll(async () => {
    process.env.MAINT_E2E_GITHUB_TOKEN = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-deps-e2e-'));
    [npm, docker] = await Promise.all([startVerdaccio(), startDockerRegistry()]);

    // The versions the repositories were written against; the lockfiles are resolved before newer ones exist.
    await npm.publish('@acme/util', '1.2.3', { publishedAt: ago(60) });
    await npm.publish('tiny-lib', '1.0.0', { publishedAt: ago(60) });
    await npm.publish('dev-tool', '3.0.0', { publishedAt: ago(60) });
    for (const tag of ['20.11-alpine', '20.12-alpine', '21.1-alpine']) digests[`node:${tag}`] = await docker.pushImage('library/node', tag);
    for (const tag of ['1.0.0', '1.0.1']) digests[`base:${tag}`] = await docker.pushImage('base', tag);

    // The fixture repositories, with a real lockfile resolved against verdaccio.
    const lockFor = async (pkg: object) => {
      const dir = mkdtempSync(join(work, 'lock-'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
      await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${npm.url}`], { cwd: dir });
      return readFileSync(join(dir, 'package-lock.json'), 'utf8');
    };
    const webPkg = { name: 'webshop', version: '1.0.0', private: true, dependencies: { '@acme/util': '^1.2.3', 'tiny-lib': '1.0.0' }, devDependencies: { 'dev-tool': '~3.0.0' } };
    fixtures.webshop = {
      'package.json': `${JSON.stringify(webPkg, null, 2)}\n`,
      'package-lock.json': await lockFor(webPkg),
      '.npmrc': `registry=${npm.url}\n`,
      Dockerfile: `FROM ${docker.host}/library/node:20.11-alpine@${digests['node:20.11-alpine']} AS build\nRUN echo build\nFROM ${docker.host}/base:1.0.0\nCOPY --from=build /app /app\n`,
      '.github/workflows/ci.yml': 'name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci\n',
    };
    const apiPkg = { name: 'api', version: '1.0.0', private: true, dependencies: { '@acme/util': '^1.2.3' } };
    fixtures.api = { 'package.json': `${JSON.stringify(apiPkg, null, 2)}\n`, 'package-lock.json': await lockFor(apiPkg), '.npmrc': `registry=${npm.url}\n` };

    // Published since: what Renovate should find.
    for (const [version, days] of [['1.2.4', 10], ['1.3.0', 1], ['2.0.0', 20]] as const) await npm.publish('@acme/util', version, { publishedAt: ago(days) });
    await npm.publish('tiny-lib', '1.0.1', { publishedAt: ago(10) });
    await npm.publish('dev-tool', '3.0.1', { publishedAt: ago(10) });

    env = await connectTestEnv();
    taskQueue = uniqueTaskQueue('deps');
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: {
        ssh: new NodeSshConnector({}), store: await testStore(),
        dependencies: productionDependencyDeps({ dataDir: work, throttle: false }),
      },
    });
    running = worker.run();
  });

  // A GitHub of its own for each test: the two fixture repositories as first written, no PRs.
  beforeEach(async () => {
    testDir = mkdtempSync(join(work, 'test-'));
    orgFile = join(testDir, 'maint.yaml');
    github = await startGitHubFake({ token: TOKEN });
    await github.setTags('actions', 'checkout', [{ name: 'v4' }, { name: 'v4.1.0' }, { name: 'v5' }]);
    await github.createRepository({ owner: 'acme', name: 'webshop', collaborators: ['dev-alice'], files: fixtures.webshop });
    await github.createRepository({ owner: 'acme', name: 'api', files: fixtures.api });
    plans = await loadPlans(orgYaml('next-month'));
  });

  afterEach(async () => {
    await github?.close().catch(() => undefined); // a test may have stopped it already
    if (testDir) rmSync(testDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await Promise.allSettled([npm?.stop({ rmStorage: true }), docker?.stop()]);
    await env?.teardown();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a dry run prints the PRs it would open and writes nothing', async () => {
    const summary = await runRepo(plans.get('acme/webshop')!, { dryRun: true });
    expect(summary.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(summary.pullRequests.map((p) => p.outcome)).toEqual(summary.pullRequests.map(() => 'would-create'));
    expect(summary.pullRequests.length).toBeGreaterThan(0);
    expect(pulls('webshop')).toEqual([]);
    // Reads only: git fetches and GraphQL queries are POSTs too.
    expect(github.requests.filter((r) => r.method !== 'GET' && !r.path.includes('.git/') && !r.path.endsWith('graphql'))).toEqual([]);
    expect(summary.problems).toEqual([]);
    expect(summary.managers.map((m) => [m.manager, m.packageFiles, m.dependencies])).toEqual([
      ['dockerfile', ['Dockerfile'], 2], ['github-actions', ['.github/workflows/ci.yml'], 2], ['npm', ['package.json'], 3],
    ]);
  });

  it('a dry run with a local checkout prints its plan with GitHub unreachable, saying existing PRs are unknown', async () => {
    await run('git', ['clone', '--quiet', github.gitUrl('acme', 'webshop'), join(testDir, 'webshop-clone')]);
    writeFileSync(orgFile, orgYaml('next-month')
      .replace('- { repo: acme/webshop, managers: [npm, dockerfile, github-actions] }', '- { repo: acme/webshop, managers: [npm, dockerfile, github-actions], checkout: { path: ./webshop-clone } }')
      .replace('prsPerHour: 20', 'prsPerHour: 2'));
    await github.close();
    const started = Date.now();
    const scan = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/webshop', '--dry-run'], { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, MAINT_TASK_QUEUE: taskQueue });
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`dry run without GitHub: ${seconds.toFixed(1)} s\n`);
    expect([scan.code, scan.stderr]).toEqual([0, '']);
    expect(scan.stdout).toContain('acme/webshop (dry run: nothing written)');
    expect(scan.stdout).toMatch(/existing PRs unknown \(cannot read the PRs on GitHub: GitHub http:\/\/127\.0\.0\.1:\d+ \(dependencies\.github\.baseUrl\) is unreachable: ECONNREFUSED\)/);
    // The limit lets the patch and the oldest minor through; the others are listed as waiting, in order.
    expect(scan.stdout).toMatch(/would-create +Update base Docker tag to 1\.0\.1 +maint\/deps\/dockerfile-.*-base/);
    expect(scan.stdout).toMatch(/would-create +Update library\/node Docker tag to 20\.12-alpine +maint\/deps\/dockerfile-.*-library-node /);
    expect(scan.stdout).toContain('Waiting for the limits (opened in this order as they allow):');
    expect(scan.stdout).toMatch(/maint\/deps\/group-npm-non-major +Update npm-non-major \(3 packages\) +0 update PRs were opened in the last hour and 2 more come before it in this run \(prsPerHour 2\)/);
    expect(scan.stdout.indexOf('maint/deps/group-npm-non-major')).toBeLessThan(scan.stdout.indexOf('maint/deps/npm-acme-util-major'));
    // The one action looked up against the stopped GitHub is a warning, not a failed run.
    expect(scan.stdout).toMatch(/warning: .*actions\/checkout/);
    expect(scan.stdout).not.toMatch(/^ {2}error:/m);
    expect(seconds).toBeLessThan(90); // it took 162 s and printed nothing
  });

  it('opens one PR per group with exactly the right files; the lockfile installs with npm ci', async () => {
    const summary = await runRepo(plans.get('acme/webshop')!, { record: 'deps-updates-opens-one-pr-per-group' });
    const prs = byBranch(summary);
    expect(Object.keys(prs).sort()).toEqual([
      'maint/deps/dockerfile-REG-base',
      'maint/deps/dockerfile-REG-library-node',
      'maint/deps/dockerfile-REG-library-node-major',
      'maint/deps/github-actions-actions-checkout-major',
      'maint/deps/group-npm-non-major',
      'maint/deps/npm-acme-util-major',
    ]);
    expect(Object.values(prs).map((p) => p.outcome)).toEqual(Object.values(prs).map(() => 'created'));
    expect(openPulls('webshop')).toHaveLength(6);

    const group = prs['maint/deps/group-npm-non-major']!;
    const pkg = JSON.parse(await read('webshop', group.branch, 'package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual({ '@acme/util': '^1.3.0', 'tiny-lib': '1.0.1' });
    expect(pkg.devDependencies).toEqual({ 'dev-tool': '~3.0.1' });
    const lock = JSON.parse(await read('webshop', group.branch, 'package-lock.json')) as { packages: Record<string, { version: string }> };
    expect(lock.packages['node_modules/@acme/util']!.version).toBe('1.3.0');
    expect(lock.packages['node_modules/tiny-lib']!.version).toBe('1.0.1');
    expect(lock.packages['node_modules/dev-tool']!.version).toBe('3.0.1');
    // Only those two files changed on the branch.
    for (const file of ['Dockerfile', '.npmrc', '.github/workflows/ci.yml']) expect(await read('webshop', group.branch, file)).toBe(await read('webshop', 'main', file));
    // The lockfile is consistent: npm ci from a clone of the branch installs against verdaccio.
    const clone = join(testDir, 'ci-clone');
    await run('git', ['clone', '--quiet', '--branch', group.branch, github.gitUrl('acme', 'webshop'), clone]);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: clone });
    expect(JSON.parse(readFileSync(join(clone, 'node_modules/@acme/util/package.json'), 'utf8')).version).toBe('1.3.0');

    expect(await read('webshop', prs['maint/deps/npm-acme-util-major']!.branch, 'package.json')).toContain('"@acme/util": "^2.0.0"');
    const dockerfile = await read('webshop', prs['maint/deps/dockerfile-REG-library-node']!.branch, 'Dockerfile');
    expect(dockerfile.split('\n')[0]).toBe(`FROM ${docker.host}/library/node:20.12-alpine@${digests['node:20.12-alpine']} AS build`);
    expect(dockerfile.split('\n')[2]).toBe(`FROM ${docker.host}/base:1.0.0`);
    expect(await read('webshop', prs['maint/deps/dockerfile-REG-base']!.branch, 'Dockerfile')).toContain(`FROM ${docker.host}/base:1.0.1\n`);
    expect(await read('webshop', prs['maint/deps/github-actions-actions-checkout-major']!.branch, '.github/workflows/ci.yml')).toContain('      - uses: actions/checkout@v5\n');

    // What a reviewer reads.
    const pr = openPulls('webshop').find((p) => p.headRef === group.branch)!;
    expect(pr.title).toBe('Update npm-non-major (3 packages)');
    expect(pr.body).toContain('| @acme/util | package.json | production | minor | `^1.2.3` → `^1.3.0` | 1 day | - |');
    expect(pr.body).toContain('| dev-tool | package.json | dev | patch | `~3.0.0` → `~3.0.1` | 10 days | - |');
    expect(pr.body).toContain('- [ ] <!-- maint-deps:rebase --> **Rebase/retry:**');
    expect(pr.body).toContain('maintenance window **next-month**');
    expect(pr.body).toContain('close this PR without merging');
    expect(pr.labels).toEqual(['dependencies']);
    expect(pr.requestedReviewers).toEqual(['dev-alice']);
    // The patch PR is automerge, but the merge window is a month away.
    expect(prs['maint/deps/dockerfile-REG-base']!.automerge).toMatch(/^waits for window next-month \(next /);
  });

  it('a second run changes nothing: no new PR, no new commit', async () => {
    await openPullRequests();
    const before = github.requests.length;
    const heads = Object.fromEntries(await Promise.all(openPulls('webshop').map(async (p) => [p.headRef, await github.branchHead('acme', 'webshop', p.headRef)])));
    const summary = await runRepo(plans.get('acme/webshop')!);
    expect(summary.pullRequests.map((p) => p.outcome)).toEqual(summary.pullRequests.map(() => 'unchanged'));
    const writes = github.requests.slice(before).filter((r) => r.method === 'POST' && /\/(pulls|git\/commits|git\/refs)$/.test(r.path));
    expect(writes).toEqual([]);
    expect(openPulls('webshop')).toHaveLength(6);
    for (const [branch, sha] of Object.entries(heads)) expect(await github.branchHead('acme', 'webshop', branch)).toBe(sha);
  });

  it('a newer version updates the group PR in place, through rate limits, without duplicates', async () => {
    await openPullRequests();
    await withPublished([['@acme/util', '1.3.1', { publishedAt: ago(2), tag: 'next' }]], async () => {
      const group = openPulls('webshop').find((p) => p.headRef === 'maint/deps/group-npm-non-major')!;
      github.injectFailures([
        { method: 'POST', pathRegex: /\/git\/commits$/, status: 403, times: 1, retryAfterSeconds: 1 },
        { method: 'PATCH', pathRegex: /\/pulls\/\d+$/, status: 429, times: 1, retryAfterSeconds: 1 },
        { method: 'PATCH', pathRegex: /\/git\/refs\/heads\/maint\/deps\/group-npm-non-major$/, status: 502, times: 1, afterApply: true },
      ]);
      const summary = await runRepo(plans.get('acme/webshop')!, { record: 'deps-updates-in-place-through-rate-limits' });
      expect(github.pendingFailures()).toEqual([]);
      const report = byBranch(summary)['maint/deps/group-npm-non-major']!;
      expect([report.outcome, report.number]).toEqual(['updated', group.number]);
      expect(await read('webshop', group.headRef, 'package.json')).toContain('"@acme/util": "^1.3.1"');
      const lock = JSON.parse(await read('webshop', group.headRef, 'package-lock.json')) as { packages: Record<string, { version: string }> };
      expect(lock.packages['node_modules/@acme/util']!.version).toBe('1.3.1');
      // One commit on top of main per branch, one open PR per branch.
      expect((await github.log('acme', 'webshop', group.headRef)).filter((c) => c.subject.startsWith('Update'))).toHaveLength(1);
      const heads = openPulls('webshop').map((p) => p.headRef);
      expect(new Set(heads).size).toBe(heads.length);
      expect(heads).toHaveLength(6);
    });
  });

  it('a PR closed without merging is not proposed again, until a newer version appears', async () => {
    await openPullRequests();
    const major = openPulls('webshop').find((p) => p.headRef === 'maint/deps/npm-acme-util-major')!;
    github.closePullRequest('acme', 'webshop', major.number);
    const ignored = await runRepo(plans.get('acme/webshop')!);
    expect(byBranch(ignored)['maint/deps/npm-acme-util-major']).toBeUndefined();
    expect(ignored.held).toContainEqual(expect.objectContaining({
      depName: '@acme/util', to: '2.0.0', reason: 'closed-pr',
      detail: `PR #${major.number} proposing 2.0.0 was closed without merging; ignored until a newer version appears`,
    }));
    expect(pulls('webshop').filter((p) => p.headRef === major.headRef)).toHaveLength(1);

    await withPublished([['@acme/util', '2.0.1', { publishedAt: ago(4) }]], async () => {
      const renewed = await runRepo(plans.get('acme/webshop')!);
      const report = byBranch(renewed)['maint/deps/npm-acme-util-major']!;
      expect(report.outcome).toBe('created');
      expect(report.number).not.toBe(major.number);
      expect(await read('webshop', major.headRef, 'package.json')).toContain('"@acme/util": "^2.0.1"');
    });
  });

  it('minimumReleaseAge holds young versions; the org-level run reports unreachable registries and bad repositories', async () => {
    await withPublished([['@acme/util', '1.3.1', { publishedAt: ago(2), tag: 'next' }]], async () => {
      const api = await runRepo(plans.get('acme/api')!);
      const group = byBranch(api)['maint/deps/group-npm-non-major']!;
      expect(group.updates).toEqual([expect.objectContaining({ depName: '@acme/util', from: '^1.2.3', to: '^1.2.4', type: 'patch' })]);
      expect(api.held).toContainEqual(expect.objectContaining({ depName: '@acme/util', to: '1.3.1', reason: 'pending-release-age' }));
      expect(api.held.find((h) => h.to === '1.3.1')!.detail).toMatch(/^1\.3\.1 was released .*; waits until .* \(minimumReleaseAge 3d\)$/);

      // A registry that does not answer and a repository GitHub does not have: each a clear problem in its run summary.
      const deadPort = await freePort();
      const broken = await loadPlans(orgYaml('next-month', `http://127.0.0.1:${deadPort}/`).replace('- { repo: acme/api, managers: [npm] }', '- { repo: acme/api, managers: [npm] }\n    - { repo: acme/missing, managers: [npm] }'));
      const scanId = `deps-scan-e2e-${Date.now()}`;
      const results = await env.client.workflow.execute<typeof dependencyScanWorkflow>('dependencyScanWorkflow', {
        taskQueue, workflowId: scanId, args: [{ repositories: [broken.get('acme/api')!, broken.get('acme/missing')!] }],
      });
      recordHistories([
        { workflowId: scanId, file: 'deps-scan-two-repositories' },
        { workflowId: dependencyRunId('acme/api'), file: 'deps-scan-child-unreachable-registry' },
        { workflowId: dependencyRunId('acme/missing'), file: 'deps-scan-child-missing-repository' },
      ]);
      expect(results.map((r) => [r.repo, r.outcome])).toEqual([['acme/api', 'ran'], ['acme/missing', 'ran']]);
      const apiRun = await env.client.workflow.getHandle<typeof dependencyUpdatesWorkflow>(dependencyRunId('acme/api')).result();
      expect(apiRun.problems.map((p) => p.message).join('\n')).toContain(`127.0.0.1:${deadPort}`);
      expect(apiRun.pullRequests.filter((p) => p.outcome === 'created')).toEqual([]);
      const missing = await env.client.workflow.getHandle<typeof dependencyUpdatesWorkflow>(dependencyRunId('acme/missing')).result();
      expect(missing.problems).toEqual([expect.objectContaining({ level: 'error', message: expect.stringMatching(/^scan failed: acme\/missing: cannot clone .*acme\/missing\.git \(branch main\)/) })]);
    });
  });

  it('automerge happens only inside the merge window and only with green checks', async () => {
    plans = await loadPlans(orgYaml('open-now'));
    const patch = () => openPulls('webshop').find((p) => p.headRef.endsWith('-base'))!;
    const first = await runRepo(plans.get('acme/webshop')!);
    const report = (s: DependencyRunSummary) => byBranch(s)['maint/deps/dockerfile-REG-base']!;
    expect(report(first).automerge).toBe('not merged: no checks reported yet');

    github.setStatus('acme', 'webshop', patch().headSha, { context: 'ci/test', state: 'failure' });
    expect(report(await runRepo(plans.get('acme/webshop')!)).automerge).toBe('not merged: checks failure (ci/test: failure)');
    // The group PR is not all-patch: never automerged, whatever its checks say.
    const group = openPulls('webshop').find((p) => p.headRef === 'maint/deps/group-npm-non-major')!;
    github.setStatus('acme', 'webshop', group.headSha, { context: 'ci/test', state: 'success' });

    github.setStatus('acme', 'webshop', patch().headSha, { context: 'ci/test', state: 'success' });
    github.addCheckRun('acme', 'webshop', patch().headSha, { name: 'build', status: 'completed', conclusion: 'success' });
    const merged = await runRepo(plans.get('acme/webshop')!, { record: 'deps-updates-automerge-in-window' });
    expect(report(merged).outcome).toBe('merged');
    expect(await read('webshop', 'main', 'Dockerfile')).toContain(`FROM ${docker.host}/base:1.0.1\n`);
    expect(pulls('webshop').find((p) => p.headRef === 'maint/deps/group-npm-non-major')!.state).toBe('open');
    expect(pulls('webshop').find((p) => p.headRef.endsWith('-base'))!.merged).toBe(true);
    // The next run lists it among the PRs GitHub has merged (what the monthly report counts merges from, whoever merged).
    const next = await runRepo(plans.get('acme/webshop')!);
    expect(next.merged).toEqual([{ number: report(merged).number, url: report(merged).url, branch: expect.stringMatching(/-base$/), createdAt: expect.any(String), mergedAt: expect.any(String) }]);
  });

  it('maint deps scan --dry-run and maint deps status print what a person needs', async () => {
    await openPullRequests();
    await withPublished([['@acme/util', '1.3.1', { publishedAt: ago(2), tag: 'next' }]], async () => {
      const cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, MAINT_TASK_QUEUE: taskQueue };
      // A real run for acme/api first, by hand: what `maint deps status` then shows.
      const apiScan = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/api', '--json'], cliEnv);
      expect([apiScan.code, apiScan.stderr]).toEqual([0, '']);
      const apiRun = JSON.parse(apiScan.stdout) as DependencyRunSummary;
      const scan = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/webshop', '--dry-run', '--show-body'], cliEnv);
      expect(scan.stderr).toBe('');
      expect(scan.code).toBe(0);
      expect(scan.stdout).toContain('acme/webshop (dry run: nothing written), Renovate 44.121.2');
      expect(scan.stdout).toMatch(/would-update +Update npm-non-major \(3 packages\) +maint\/deps\/group-npm-non-major +@acme\/util \^1\.2\.3 → \^1\.3\.1 \(minor\)\n\s*dev-tool ~3\.0\.0 → ~3\.0\.1 \(patch\)/);
      // --show-body: each PR's title and the body it would write.
      expect(scan.stdout).toContain('── Update npm-non-major (3 packages) (maint/deps/group-npm-non-major) ────────\nThis PR updates 3 dependencies of group **npm-non-major**.');
      expect(scan.stdout).toContain('| @acme/util | package.json | production | minor | `^1.2.3` → `^1.3.1` | 2 days | - |');
      expect(scan.stdout).toContain('### Rolling back');
      expect(scan.stdout).toMatch(/library\/node 20\.11-alpine@sha256:[0-9a-f]{12}… → 20\.12-alpine@sha256:[0-9a-f]{12}… \(minor\)/);
      expect(scan.stdout).not.toContain('Problems:');
      const status = await runMaint(['deps', 'status', '-f', orgFile], cliEnv);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`acme/api\\s+completed\\s+${apiRun.finishedAt.replace(/\./g, '\\.')}\\s`));

      // maint apply keeps the organisation-wide scan on a Temporal Schedule; applying again changes nothing.
      writeFileSync(orgFile, readFileSync(orgFile, 'utf8').replace('dependencies:\n', 'dependencies:\n  schedule: { cron: "0 6 * * 1-5", timezone: Europe/Amsterdam }\n'));
      const applied = await runMaint(['apply', '-f', orgFile], cliEnv);
      expect([applied.code, applied.stderr]).toEqual([0, '']);
      expect(applied.stdout).toContain('dependency scan: deps-scan create: scans 2 repositories at "0 6 * * 1-5" (Europe/Amsterdam)');
      try {
        const schedule = await env.client.schedule.getHandle('deps-scan').describe();
        expect(schedule.spec.calendars?.length ?? schedule.spec.intervals?.length ?? 0).toBeGreaterThan(0);
        expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dependencyScanWorkflow', taskQueue });
        const next = schedule.info.nextActionTimes[0]!;
        expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(next)).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 06:00$/);
        const again = await runMaint(['apply', '-f', orgFile], cliEnv);
        expect(again.stdout).toContain('dependency scan: deps-scan unchanged');
      } finally {
        for (const id of ['deps-scan', 'window-open-now', 'window-next-month']) await env.client.schedule.getHandle(id).delete().catch(() => undefined);
      }

      const bad = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/nope'], cliEnv);
      expect([bad.code, bad.stderr.trim()]).toEqual([2, 'maint: --repo acme/nope: not in dependencies.repositories (listed: acme/webshop, acme/api)']);
      const badFile = join(testDir, 'bad.yaml');
      writeFileSync(badFile, readFileSync(orgFile, 'utf8').replace('- { repo: acme/api, managers: [npm] }', '- { repo: acme/api, managers: [npm], checkout: { path: ./no-such-clone } }'));
      const badPath = await runMaint(['deps', 'scan', '-f', badFile, '--repo', 'acme/api'], cliEnv);
      expect([badPath.code, badPath.stderr.trim()]).toEqual([2, `maint: ${badFile} is invalid (1 problem):\n  ${badFile}: dependencies.repositories[1].checkout.path: ${join(testDir, 'no-such-clone')} is not a directory`]);
    });
  });
});
