// Issue 21, grouping: a grouped upgrade PR whose checks fail is split. The real Renovate finds four
// minor updates in one policy group (verdaccio serves the packages), the dependencyUpdates workflow
// on a real Temporal dev server opens their group PR through the real Octokit against the GitHub
// fake, whose CI fails any commit whose lockfile installs the bad version (computed from the
// branch's content, not from its name). Run after run the group is bisected until the bad bump
// stands alone in a failing PR while the other three sit in passing PRs.
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
import type { dependencyUpdatesWorkflow } from '../../workflows/dependencyUpdates';
import { createWorker, type WorkerGroup } from '../../worker';
import { runMaint } from '../helpers/cli';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { recordHistories } from '../helpers/replayHistories';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { startVerdaccio, type TestNpmRegistry } from '../helpers/verdaccio';

const run = promisify(execFile);
const TOKEN = 'ghp_e2e-split-token';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const GROUP = 'maint/deps/group-npm-non-major';
const PACKAGES = ['alpha-lib', 'bad-lib', 'charlie-lib', 'delta-lib'];

jest.setTimeout(900_000);

describe('a grouped PR whose checks fail is split until the bad bump stands alone', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let npm: TestNpmRegistry;
  let github: GitHubFake;
  let work: string;
  let taskQueue: string;
  let orgFile: string;
  let plan: RepositoryPlan;

  async function runRepo(record?: string): Promise<DependencyRunSummary> {
    const workflowId = `${dependencyRunId(plan.repo)}-${Date.now()}`;
    const summary = await env.client.workflow.execute<typeof dependencyUpdatesWorkflow>('dependencyUpdatesWorkflow', { taskQueue, workflowId, args: [{ plan }] });
    if (record) recordHistories([{ workflowId, file: record }]);
    return summary;
  }

  const pulls = () => github.listPullRequests('acme', 'shop');
  const openPulls = () => pulls().filter((p) => p.state === 'open');
  /** The packages a branch installs at their new 1.1.0, from its lockfile. */
  const bumped = async (branch: string) => {
    const lock = JSON.parse((await github.readFile('acme', 'shop', branch, 'package-lock.json'))!) as { packages: Record<string, { version: string }> };
    return PACKAGES.filter((p) => lock.packages[`node_modules/${p}`]?.version === '1.1.0');
  };
  /** What the fake's CI concluded on a PR's head. */
  const ci = async (branch: string) => {
    const sha = (await github.branchHead('acme', 'shop', branch))!;
    const answer = await fetch(`${github.url}/repos/acme/shop/commits/${sha}/check-runs`, { headers: { authorization: `token ${TOKEN}` } });
    return ((await answer.json()) as { check_runs: Array<{ name: string; conclusion: string }> }).check_runs.map((r) => `${r.name}: ${r.conclusion}`);
  };

  beforeAll(async () => {
    process.env.MAINT_E2E_SPLIT_TOKEN = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-deps-split-'));
    npm = await startVerdaccio();
    for (const name of PACKAGES) await npm.publish(name, '1.0.0', { publishedAt: ago(60) });
    const pkg = { name: 'shop', version: '1.0.0', private: true, dependencies: Object.fromEntries(PACKAGES.map((p) => [p, '^1.0.0'])) };
    const lockDir = mkdtempSync(join(work, 'lock-'));
    writeFileSync(join(lockDir, 'package.json'), JSON.stringify(pkg, null, 2));
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${npm.url}`], { cwd: lockDir });
    for (const name of PACKAGES) await npm.publish(name, '1.1.0', { publishedAt: ago(10) });

    github = await startGitHubFake({ token: TOKEN });
    await github.createRepository({
      owner: 'acme', name: 'shop',
      files: { 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'package-lock.json': readFileSync(join(lockDir, 'package-lock.json'), 'utf8'), '.npmrc': `registry=${npm.url}\n` },
    });
    // bad-lib 1.1.0 breaks the build: any commit that installs it fails `ci/test`, whatever its branch is called.
    github.addCi('acme', 'shop', {
      name: 'ci/test',
      fails: async (read) => {
        const lock = JSON.parse((await read('package-lock.json')) ?? '{}') as { packages?: Record<string, { version?: string }> };
        return lock.packages?.['node_modules/bad-lib']?.version === '1.1.0';
      },
    });

    orgFile = join(work, 'maint.yaml');
    writeFileSync(orgFile, `
apiVersion: maint/v1
kind: Organisation
organisation: { name: Acme Shop, contact: { email: ops@acme.example } }
services: [{ name: shop }]
dependencies:
  github: { baseUrl: "${github.url}", auth: { kind: token, tokenEnv: MAINT_E2E_SPLIT_TOKEN } }
  registries: { npm: "${npm.url}" }
  repositories:
    - { repo: acme/shop, managers: [npm] }
  policies:
    - groups: [{ name: npm-non-major, managers: [npm], updateTypes: [minor, patch] }]
      limits: { maxOpenPRs: 10, prsPerHour: 20 }
`);
    plan = (await loadDependencies([orgFile])).repositories[0]!;

    env = await connectTestEnv();
    taskQueue = uniqueTaskQueue('deps-split');
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector({}), store: await testStore(), dependencies: productionDependencyDeps({ dataDir: work, throttle: false }) },
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await Promise.allSettled([npm?.stop({ rmStorage: true }), github?.close()]);
    await env?.teardown();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('bisects the failing group PR run after run; the bad update ends alone in a failing PR, the other three in passing PRs', async () => {
    // Run 1: one PR for the group of four.
    const first = await runRepo();
    expect(first.pullRequests.map((p) => [p.branch, p.outcome, p.updates.map((u) => u.depName)])).toEqual([[GROUP, 'created', PACKAGES]]);
    const group = openPulls()[0]!;
    expect(await ci(GROUP)).toEqual(['ci/test: failure']);

    // A dry run prints the split it would do, and writes nothing.
    const requestsBefore = github.requests.length;
    const dry = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/shop', '--dry-run'], { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, MAINT_TASK_QUEUE: taskQueue });
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toContain('Would split (group PRs whose checks failed go on as two smaller PRs):');
    expect(dry.stdout).toMatch(new RegExp(`#${group.number} maint/deps/group-npm-non-major +would-split +ci/test +maint/deps/group-npm-non-major-split-1-1\\n.*maint/deps/group-npm-non-major-split-1-2`));
    expect(dry.stdout).toMatch(new RegExp(`would-create +Update npm-non-major \\(2 packages, part 1 of #${group.number}\\) +maint/deps/group-npm-non-major-split-1-1 +alpha-lib \\^1\\.0\\.0 → \\^1\\.1\\.0 \\(minor\\)\\n\\s*bad-lib`));
    expect(github.requests.slice(requestsBefore).filter((r) => r.method !== 'GET' && !r.path.includes('.git/'))).toEqual([]);
    expect(openPulls().map((p) => p.number)).toEqual([group.number]);

    // Run 2: the group PR is split in two, sorted by name; it is closed with a comment linking both,
    // once, though GitHub's answer to the comment is lost (a 502 after it landed) and the step is retried.
    github.injectFailures([{ method: 'POST', pathRegex: /\/issues\/\d+\/comments$/, status: 502, times: 1, afterApply: true }]);
    const second = await runRepo('deps-updates-splits-a-failing-group');
    expect(github.pendingFailures()).toEqual([]);
    const [part1, part2] = [`${GROUP}-split-1-1`, `${GROUP}-split-1-2`];
    expect(second.pullRequests.map((p) => [p.branch, p.outcome, p.updates.map((u) => u.depName)])).toEqual([
      [part1, 'created', ['alpha-lib', 'bad-lib']],
      [part2, 'created', ['charlie-lib', 'delta-lib']],
    ]);
    const numbers = second.pullRequests.map((p) => p.number!);
    expect(second.splits).toEqual([expect.objectContaining({
      number: group.number, branch: GROUP, outcome: 'closed', failing: ['ci/test'],
      into: [expect.objectContaining({ branch: part1, number: numbers[0] }), expect.objectContaining({ branch: part2, number: numbers[1] })],
    })]);
    const closed = pulls().find((p) => p.number === group.number)!;
    expect([closed.state, closed.merged]).toEqual(['closed', false]);
    const comments = github.comments('acme', 'shop', group.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('**Split:** `ci/test` failed on this PR: maint split its 4 updates into two smaller PRs');
    expect(comments[0]!.body).toContain(`- #${numbers[0]} (part 1): alpha-lib ^1.1.0, bad-lib ^1.1.0\n- #${numbers[1]} (part 2): charlie-lib ^1.1.0, delta-lib ^1.1.0`);
    const firstPart = pulls().find((p) => p.number === numbers[0])!;
    expect(firstPart.title).toBe(`Update npm-non-major (2 packages, part 1 of #${group.number})`);
    expect(firstPart.body).toContain(`> **Split from #${group.number}:** \`ci/test\` failed on that PR of group **npm-non-major**, so maint split its updates in two; this is part 1 of 2.`);
    expect([await bumped(part1), await bumped(part2)]).toEqual([['alpha-lib', 'bad-lib'], ['charlie-lib', 'delta-lib']]);

    // Run 3: the half with the bad bump fails and is split again; the passing half is left as it is.
    const third = await runRepo();
    const [alpha, bad] = [`${part1}-split-2-1`, `${part1}-split-2-2`];
    expect(third.pullRequests.map((p) => [p.branch, p.outcome, p.updates.map((u) => u.depName)])).toEqual([
      [alpha, 'created', ['alpha-lib']],
      [bad, 'created', ['bad-lib']],
      [part2, 'unchanged', ['charlie-lib', 'delta-lib']],
    ]);
    expect(third.splits).toEqual([expect.objectContaining({ number: numbers[0], outcome: 'closed', into: [expect.objectContaining({ branch: alpha }), expect.objectContaining({ branch: bad })] })]);

    // Run 4: bad-lib alone fails: the culprit, left open and named; nothing is split any more, nothing declined.
    const fourth = await runRepo();
    expect(fourth.splits).toBeUndefined();
    const badPr = fourth.pullRequests.find((p) => p.branch === bad)!;
    expect(fourth.culprits).toEqual([{ number: badPr.number, url: badPr.url, branch: bad, depName: 'bad-lib', from: numbers[0], failing: ['ci/test'] }]);
    expect(fourth.pullRequests.map((p) => p.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    for (const summary of [first, second, third, fourth]) expect(summary.held.filter((h) => h.reason === 'closed-pr')).toEqual([]);
    for (const summary of [first, second, third, fourth]) expect(summary.problems).toEqual([]);

    const open = openPulls();
    const outcome = await Promise.all(open.map(async (p) => [await bumped(p.headRef), await ci(p.headRef)]));
    expect(outcome.sort()).toEqual([
      [['alpha-lib'], ['ci/test: success']],
      [['bad-lib'], ['ci/test: failure']],
      [['charlie-lib', 'delta-lib'], ['ci/test: success']],
    ]);
    expect(open.find((p) => p.headRef === bad)!.body).toContain('> **This is the update that fails:** `ci/test` fails with `bad-lib` 1.1.0 alone.');
    expect(pulls().filter((p) => p.state === 'closed').map((p) => p.number).sort()).toEqual([group.number, numbers[0]].sort());
    // The closed ones carry the marker the next run reads: split, not declined.
    for (const p of pulls().filter((x) => x.state === 'closed')) expect(p.body).toMatch(/<!-- maint-deps:split-closed \{"into":\[\d+,\d+\],"failing":\["ci\/test"\]\} -->$/);

    // The summary as a person reads it.
    const status = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/shop', '--dry-run'], { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, MAINT_TASK_QUEUE: taskQueue });
    expect(status.stdout).toContain('Failing alone (the update that breaks its group; left open for a person):');
    expect(status.stdout).toMatch(new RegExp(`#${badPr.number} ${bad.replace(/[/]/g, '\\/')} +bad-lib +#${numbers[0]} +ci/test`));
    expect(status.stdout).not.toContain('Would split');
  });
});
