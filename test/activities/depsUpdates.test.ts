// Issue 21: dependency runs on real parts at the activity level — the real Renovate against a real
// verdaccio, the real Octokit against the GitHub fake, real npm for lockfiles.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDependencyActivities } from '../../activities/deps';
import { productionDependencyDeps } from '../../activities/deps/production';
import { Octokit } from '@octokit/rest';
import { planUpdates } from '../../policies/deps/plan';
import { renderPullRequestBody } from '../../policies/deps/prBody';
import { resolvePolicy, type RepositoryPlan } from '../../policies/deps/resolve';
import { freePort } from '../../harness/ports';
import { startDockerRegistry } from '../helpers/dockerRegistry';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { startVerdaccio, type TestNpmRegistry } from '../helpers/verdaccio';

const run = promisify(execFile);
const TOKEN = 'ghp_deps-activities-token';
const TOKEN_ENV = 'MAINT_TEST_DEPS_ACTIVITIES_TOKEN';
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

jest.setTimeout(300_000);

describe('dependency activities (real Renovate, verdaccio, npm and the GitHub fake)', () => {
  let npm: TestNpmRegistry;
  let github: GitHubFake;
  let work: string;
  let activities: ReturnType<typeof createDependencyActivities>;

  const planFor = (name: string, extra: Partial<RepositoryPlan> = {}): RepositoryPlan => ({
    repo: `acme/${name}`, owner: 'acme', name, baseBranch: 'main', managers: ['npm'],
    checkout: { kind: 'github', cloneUrl: github.gitUrl('acme', name) },
    github: { baseUrl: github.url, auth: { kind: 'token', tokenEnv: TOKEN_ENV } },
    registries: { npm: npm.url, docker: [] },
    policy: resolvePolicy(`acme/${name}`, []),
    ...extra,
  });

  /** package.json and its package-lock.json resolved against verdaccio now. */
  async function withLock(pkg: object): Promise<Record<string, string>> {
    const dir = mkdtempSync(join(work, 'lock-'));
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${npm.url}`], { cwd: dir });
    return { 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'package-lock.json': readFileSync(join(dir, 'package-lock.json'), 'utf8'), '.npmrc': `registry=${npm.url}\n` };
  }

  beforeAll(async () => {
    process.env[TOKEN_ENV] = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-deps-activities-'));
    [npm, github] = await Promise.all([startVerdaccio(), startGitHubFake({ token: TOKEN })]);
    activities = createDependencyActivities(productionDependencyDeps({ dataDir: work, throttle: false }));
  });

  afterAll(async () => {
    await Promise.allSettled([npm?.stop(), github?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a dependency also in overrides is updated in both places on one branch, and npm ci installs it', async () => {
    await npm.publish('over-lib', '1.0.0', { publishedAt: ago(30) });
    const files = await withLock({
      name: 'over', version: '1.0.0', private: true,
      dependencies: { 'over-lib': '^1.0.0' },
      overrides: { 'over-lib': '^1.0.0' },
    });
    await github.createRepository({ owner: 'acme', name: 'over', files });
    await npm.publish('over-lib', '1.1.0', { publishedAt: ago(5) });

    const plan = planFor('over');
    const scan = await activities.scanRepository({ plan });
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    const pr = planned.pullRequests.find((p) => p.branch === 'maint/deps/npm-over-lib')!;
    expect(pr.updates.map((u) => [u.depType, u.currentValue, u.newValue])).toEqual([['dependencies', '^1.0.0', '^1.1.0'], ['overrides', '^1.0.0', '^1.1.0']]);
    await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });

    const pkg = JSON.parse((await github.readFile('acme', 'over', pr.branch, 'package.json'))!) as { dependencies: Record<string, string>; overrides: Record<string, string> };
    expect([pkg.dependencies['over-lib'], pkg.overrides['over-lib']]).toEqual(['^1.1.0', '^1.1.0']);
    const clone = join(work, 'over-clone');
    await run('git', ['clone', '--quiet', '--branch', pr.branch, github.gitUrl('acme', 'over'), clone]);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: clone });
    expect(JSON.parse(readFileSync(join(clone, 'node_modules/over-lib/package.json'), 'utf8')).version).toBe('1.1.0');
  });

  it('a Docker registry that is down costs only the Dockerfile: npm updates are still proposed, the summary says what was not scanned', async () => {
    // The real registry behind a front whose manifest storage is down: tags list, manifests answer 503, which
    // Renovate takes as an outage of the host (external-host-error) and aborts the whole repository for.
    const registry = await startDockerRegistry();
    const digest = await registry.pushImage('library/node', '20.11-alpine');
    await registry.pushImage('library/node', '20.12-alpine');
    const front: Server = createServer((req, res) => {
      if (/\/manifests\//.test(req.url ?? '')) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"storage backend unavailable"}]}');
        return;
      }
      const out = request({ host: '127.0.0.1', port: registry.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', (err) => res.writeHead(502).end(err.message));
      req.pipe(out);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', () => resolve()));
    const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
    try {
      await npm.publish('mixed-lib', '1.0.0', { publishedAt: ago(30) });
      const files = await withLock({ name: 'mixed', version: '1.0.0', private: true, dependencies: { 'mixed-lib': '^1.0.0' } });
      await github.createRepository({ owner: 'acme', name: 'mixed', files: { ...files, Dockerfile: `FROM ${host}/library/node:20.11-alpine@${digest}\n` } });
      await npm.publish('mixed-lib', '1.1.0', { publishedAt: ago(5) });

      const scan = await activities.scanRepository({ plan: planFor('mixed', { managers: ['npm', 'dockerfile'], registries: { npm: npm.url, docker: [{ host, insecure: true }] } }) });
      expect(scan.updates.map((u) => [u.manager, u.depName, u.newValue])).toEqual([['npm', 'mixed-lib', '^1.1.0']]);
      expect(scan.managers.map((m) => m.manager)).toEqual(['npm']);
      expect(scan.unscanned).toEqual([{ manager: 'dockerfile', reason: expect.stringMatching(/^Renovate stopped at a host it could not use \(Host error: .*503.*manifests.*\(hostType=docker\)\)$/) }]);
      expect(scan.problems[0]).toEqual({ level: 'error', message: expect.stringMatching(/^dockerfile not scanned: Renovate stopped at a host .*; npm scanned separately$/) });
    } finally {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await registry.stop();
    }
  });

  it('compose files and Helm values: image tags from a real registry are proposed and written in place, the rest of each file untouched', async () => {
    const registry = await startDockerRegistry();
    try {
      await registry.pushImage('library/redis', '7.2.4');
      await registry.pushImage('library/redis', '7.2.5');
      await registry.pushImage('library/nginx', '1.25.3');
      await registry.pushImage('library/nginx', '1.25.4');
      const r = registry.host;
      const compose = `services:\n  cache:\n    image: ${r}/library/redis:7.2.4\n  app:\n    build: .\n    image: ${r}/acme/app:1.0.0\n`;
      const values = `appVersion: "1.25.3"\nimage:\n  registry: ${r}\n  repository: library/nginx\n  tag: "1.25.3"\nreplicaCount: 2\n`;
      await github.createRepository({ owner: 'acme', name: 'stacks', files: { 'compose.yaml': compose, 'chart/values.yaml': values } });

      const plan = planFor('stacks', { managers: ['docker-compose', 'helm-values'], registries: { npm: npm.url, docker: [{ host: r, insecure: true }] } });
      const scan = await activities.scanRepository({ plan });
      expect(scan.unscanned ?? []).toEqual([]);
      // The image a service builds itself is not looked up.
      expect(scan.updates.map((u) => [u.manager, u.packageFile, u.depName, u.currentValue, u.newValue]).sort()).toEqual([
        ['docker-compose', 'compose.yaml', `${r}/library/redis`, '7.2.4', '7.2.5'],
        ['helm-values', 'chart/values.yaml', `${r}/library/nginx`, '1.25.3', '1.25.4'],
      ]);
      const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
      expect(planned.pullRequests.map((p) => p.title).sort()).toEqual(['Update library/nginx Docker tag to 1.25.4', 'Update library/redis Docker tag to 7.2.5']);
      for (const pr of planned.pullRequests) await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });
      const branch = (manager: string) => planned.pullRequests.find((p) => p.updates[0]!.manager === manager)!.branch;
      expect(await github.readFile('acme', 'stacks', branch('docker-compose'), 'compose.yaml')).toBe(compose.replace('redis:7.2.4', 'redis:7.2.5'));
      // Only the chart's image tag: appVersion says the same text and stays.
      expect(await github.readFile('acme', 'stacks', branch('helm-values'), 'chart/values.yaml')).toBe(values.replace('tag: "1.25.3"', 'tag: "1.25.4"'));
    } finally {
      await registry.stop();
    }
  });

  it('a failed lookup of one dependency (engines.node) is a warning; the other updates come through', async () => {
    await npm.publish('engine-lib', '1.0.0', { publishedAt: ago(30) });
    const files = await withLock({ name: 'engines', version: '1.0.0', private: true, engines: { node: '>=20.0.0' }, dependencies: { 'engine-lib': '^1.0.0' } });
    // node-version releases come from nodejs.org; here from a port nothing listens on.
    const renovateJson = JSON.stringify({ packageRules: [{ matchDatasources: ['node-version'], registryUrls: ['http://127.0.0.1:9/dist'] }] });
    await github.createRepository({ owner: 'acme', name: 'engines', files: { ...files, 'renovate.json': `${renovateJson}\n` } });
    await npm.publish('engine-lib', '1.1.0', { publishedAt: ago(5) });

    const scan = await activities.scanRepository({ plan: planFor('engines') });
    expect(scan.updates.map((u) => [u.depName, u.newValue])).toEqual([['engine-lib', '^1.1.0']]);
    expect(scan.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(scan.problems).toContainEqual(expect.objectContaining({ level: 'warning', depName: 'node', packageFile: 'package.json' }));
    expect(scan.problems).toContainEqual({ level: 'warning', message: expect.stringMatching(/^http:\/\/127\.0\.0\.1:9 failed: ECONNREFUSED/) });
  });

  it('minimumReleaseAge offers the newest version that is old enough instead of holding the dependency back', async () => {
    await npm.publish('fast-lib', '1.0.0', { publishedAt: ago(60) });
    const files = await withLock({ name: 'fast', version: '1.0.0', private: true, dependencies: { 'fast-lib': '^1.0.0' } });
    await github.createRepository({ owner: 'acme', name: 'fast', files });
    // A package that releases faster than the minimum age: its newest minor is always too young.
    await npm.publish('fast-lib', '1.1.0', { publishedAt: ago(10) });
    await npm.publish('fast-lib', '1.2.0', { publishedAt: ago(1) });

    const plan = planFor('fast', { policy: { ...resolvePolicy('acme/fast', []), minimumReleaseAgeMs: 3 * DAY } });
    const scan = await activities.scanRepository({ plan });
    expect(scan.updates.map((u) => [u.depName, u.updateType, u.newVersion])).toEqual([['fast-lib', 'minor', '1.1.0']]);
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    expect(planned.pullRequests.map((p) => [p.branch, p.updates.map((u) => u.newValue)])).toEqual([['maint/deps/npm-fast-lib', ['^1.1.0']]]);
    expect(planned.held).toEqual([]);
  });

  it('an unreachable npm registry is checked once, first, and named with its file and setting', async () => {
    await github.createRepository({ owner: 'acme', name: 'offline', files: { 'package.json': '{ "dependencies": { "a": "^1.0.0", "b": "^1.0.0" } }\n' } });
    const dead = `http://127.0.0.1:${await freePort()}/`;
    const started = Date.now();
    const scan = await activities.scanRepository({ plan: planFor('offline', { registries: { npm: dead, docker: [] }, file: '/etc/maint/acme.yaml' }) });
    expect(Date.now() - started).toBeLessThan(10_000);
    const reason = `/etc/maint/acme.yaml: dependencies.registries.npm ${dead} is unreachable (ECONNREFUSED); fix the URL or the registry`;
    expect(scan.unscanned).toEqual([{ manager: 'npm', reason }]);
    expect(scan.problems).toEqual([{ level: 'error', message: `npm not scanned: ${reason}` }]);
    expect(scan.updates).toEqual([]);
  });

  it('a PR body carries the package links and its GitHub release notes; a ticked rebase box takes the branch back from a person who pushed to it', async () => {
    const source = `${github.url}/acme/notes-lib`;
    await github.setRelease('acme', 'notes-lib', { tag: 'v2.1.0', name: 'notes-lib 2.1.0', body: `## Fixes\n- parses empty input\n${'- another line\n'.repeat(200)}` });
    await npm.publish('notes-lib', '2.0.0', { publishedAt: ago(30), repository: source, homepage: 'https://notes.example.org' });
    const files = await withLock({ name: 'notes', version: '1.0.0', private: true, dependencies: { 'notes-lib': '^2.0.0' } });
    await github.createRepository({ owner: 'acme', name: 'notes', files });
    await npm.publish('notes-lib', '2.1.0', { publishedAt: ago(3), repository: source, homepage: 'https://notes.example.org' });

    const plan = planFor('notes');
    const scan = await activities.scanRepository({ plan });
    const update = scan.updates.find((u) => u.depName === 'notes-lib')!;
    expect(update.links).toEqual({ source, homepage: 'https://notes.example.org' });
    expect(update.releaseNotes).toEqual({
      url: `${github.url}/acme/notes-lib/releases/tag/v2.1.0`, name: 'notes-lib 2.1.0', truncated: true,
      body: expect.stringMatching(/^## Fixes\n- parses empty input\n(- another line\n)+- another line$/),
    });
    expect(update.releaseNotes!.body.length).toBeLessThanOrEqual(1500);

    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    const pr = planned.pullRequests[0]!;
    const published = await activities.publishDependencyPullRequest({ plan, pr, body: renderPullRequestBody(pr, { automerge: false, rollouts: [] }, new Date()) });
    const body = github.listPullRequests('acme', 'notes').find((p) => p.number === published.number)!.body;
    expect(body).toContain(`| notes-lib | package.json | production | minor | \`^2.0.0\` → \`^2.1.0\` | 3 days | [source](${source}) · [homepage](https://notes.example.org) · [release notes](${github.url}/acme/notes-lib/releases/tag/v2.1.0) |`);
    expect(body).toContain('<details open><summary>notes-lib notes-lib 2.1.0</summary>\n\n## Fixes\n- parses empty input\n');
    expect(body).toContain(`… [the whole release notes](${github.url}/acme/notes-lib/releases/tag/v2.1.0)`);

    // A person pushes to the branch: the next run leaves it alone...
    const foreign = await github.pushCommit('acme', 'notes', pr.branch, { 'NOTES.md': 'mine\n' }, 'my own change');
    const again = await activities.publishDependencyPullRequest({ plan, pr: { ...pr, existing: { number: published.number, url: published.url } }, body });
    expect(again.leftAlone).toContain('is not ours: someone pushed to it');
    expect(await github.branchHead('acme', 'notes', pr.branch)).toBe(foreign);

    // ...until a reviewer ticks the rebase box: then the branch is rebuilt on the base, the box unticked.
    const octokit = new Octokit({ baseUrl: github.url, auth: TOKEN });
    await octokit.rest.pulls.update({ owner: 'acme', repo: 'notes', pull_number: published.number, body: body.replace('- [ ] <!-- maint-deps:rebase -->', '- [x] <!-- maint-deps:rebase -->') });
    const state = await activities.listDependencyPullRequests({ plan });
    expect(state.pullRequests.find((p) => p.number === published.number)?.rebaseRequested).toBe(true);
    const replanned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: state.pullRequests, now: new Date() });
    expect(replanned.pullRequests[0]!.existing).toEqual({ number: published.number, url: published.url, rebase: true });
    const rebuilt = await activities.publishDependencyPullRequest({ plan, pr: replanned.pullRequests[0]!, body: renderPullRequestBody(replanned.pullRequests[0]!, { automerge: false, rollouts: [] }, new Date()) });
    expect(rebuilt).toEqual(expect.objectContaining({ number: published.number, created: false, changed: true }));
    expect(rebuilt.leftAlone).toBeUndefined();
    const log = await github.log('acme', 'notes', pr.branch);
    expect(log[0]!.sha).toBe(rebuilt.commitSha);
    expect(log.map((c) => c.subject)).not.toContain('my own change');
    expect(await github.readFile('acme', 'notes', pr.branch, 'NOTES.md')).toBeNull();
    const after = await activities.listDependencyPullRequests({ plan });
    expect(after.pullRequests.find((p) => p.number === published.number)?.rebaseRequested).toBeUndefined();
  });

  it('a package of an npm workspace gets the root lockfile refreshed: npm ci at the root installs the new version', async () => {
    await npm.publish('ws-lib', '1.0.0', { publishedAt: ago(30) });
    const dir = mkdtempSync(join(work, 'ws-'));
    const root = { name: 'monorepo', version: '1.0.0', private: true, workspaces: ['packages/*'] };
    const app = { name: '@mono/app', version: '1.0.0', dependencies: { 'ws-lib': '^1.0.0' } };
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify(root, null, 2)}\n`);
    mkdirSync(join(dir, 'packages', 'app'), { recursive: true });
    writeFileSync(join(dir, 'packages', 'app', 'package.json'), `${JSON.stringify(app, null, 2)}\n`);
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${npm.url}`], { cwd: dir });
    await github.createRepository({
      owner: 'acme', name: 'mono', files: {
        'package.json': readFileSync(join(dir, 'package.json'), 'utf8'), 'packages/app/package.json': readFileSync(join(dir, 'packages/app/package.json'), 'utf8'),
        'package-lock.json': readFileSync(join(dir, 'package-lock.json'), 'utf8'), '.npmrc': `registry=${npm.url}\n`,
      },
    });
    await npm.publish('ws-lib', '1.1.0', { publishedAt: ago(5) });

    const plan = planFor('mono');
    const scan = await activities.scanRepository({ plan });
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    const pr = planned.pullRequests.find((p) => p.branch === 'maint/deps/npm-ws-lib')!;
    expect(pr.updates.map((u) => [u.packageFile, u.newValue])).toEqual([['packages/app/package.json', '^1.1.0']]);
    await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });

    expect(JSON.parse((await github.readFile('acme', 'mono', pr.branch, 'packages/app/package.json'))!).dependencies).toEqual({ 'ws-lib': '^1.1.0' });
    const lock = JSON.parse((await github.readFile('acme', 'mono', pr.branch, 'package-lock.json'))!) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
    expect(lock.packages['node_modules/ws-lib']!.version).toBe('1.1.0');
    expect(lock.packages['packages/app']!.dependencies).toEqual({ 'ws-lib': '^1.1.0' });
    expect(await github.readFile('acme', 'mono', pr.branch, 'packages/app/package-lock.json')).toBeNull();
    const clone = join(work, 'mono-clone');
    await run('git', ['clone', '--quiet', '--branch', pr.branch, github.gitUrl('acme', 'mono'), clone]);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: clone });
    expect(JSON.parse(readFileSync(join(clone, 'node_modules/ws-lib/package.json'), 'utf8')).version).toBe('1.1.0');
  });
});
