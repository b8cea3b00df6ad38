// Issue 21: Go modules (gomod) on real parts — the real Renovate against a real Go module proxy (the
// GOPROXY layout served over HTTP, module zips go accepts), the real Octokit against the GitHub fake,
// and go itself building the edited go.mod/go.sum read-only.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDependencyActivities } from '../../activities/deps';
import { productionDependencyDeps } from '../../activities/deps/production';
import { freePort } from '../../harness/ports';
import { planUpdates } from '../../policies/deps/plan';
import { resolvePolicy, type RepositoryPlan } from '../../policies/deps/resolve';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { startGoProxy, type TestGoProxy } from '../helpers/goProxy';

const run = promisify(execFile);
const TOKEN = 'ghp_deps-go-token';
const TOKEN_ENV = 'MAINT_TEST_DEPS_GO_TOKEN';

jest.setTimeout(300_000);

const ALPHA = 'example.test/tiny/alpha';
const BETA = 'example.test/tiny/beta';
const GAMMA = 'example.test/tiny/gamma';

describe('Go modules (real Renovate, a Go module proxy, go itself and the GitHub fake)', () => {
  let proxy: TestGoProxy;
  let github: GitHubFake;
  let work: string;
  let activities: ReturnType<typeof createDependencyActivities>;
  const saved = process.env.GONOSUMDB;

  const planFor = (name: string, extra: Partial<RepositoryPlan> = {}): RepositoryPlan => ({
    repo: `acme/${name}`, owner: 'acme', name, baseBranch: 'main', managers: ['gomod'],
    checkout: { kind: 'github', cloneUrl: github.gitUrl('acme', name) },
    github: { baseUrl: github.url, auth: { kind: 'token', tokenEnv: TOKEN_ENV } },
    registries: { docker: [], goproxy: proxy.url },
    policy: { ...resolvePolicy(`acme/${name}`, []), prsPerHour: 20, maxOpenPRs: 20 },
    ...extra,
  });

  /** go in a fresh directory holding these files, against the proxy only; its stdout. */
  const goIn = async (files: Record<string, string>, args: string[]): Promise<string> => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-go-check-'));
    try {
      for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
      return (await run('go', args, { cwd: dir, env: proxy.goEnv(join(dir, '.home')) })).stdout;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  beforeAll(async () => {
    process.env[TOKEN_ENV] = TOKEN;
    // As an operator of a private proxy sets it: sum.golang.org does not know these modules.
    process.env.GONOSUMDB = 'example.test';
    work = mkdtempSync(join(tmpdir(), 'maint-deps-go-'));
    [proxy, github] = await Promise.all([startGoProxy(), startGitHubFake({ token: TOKEN })]);
    activities = createDependencyActivities(productionDependencyDeps({ dataDir: work, throttle: false }));
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.GONOSUMDB;
    else process.env.GONOSUMDB = saved;
    await Promise.allSettled([proxy?.stop(), github?.close()]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('direct and // indirect requirements: the proxy\'s versions are proposed, go.mod keeps its layout, go.sum gets the new hashes and go builds it read-only', async () => {
    await proxy.publish(BETA, 'v1.0.0');
    await proxy.publish(ALPHA, 'v1.0.0', { requires: { [BETA]: 'v1.0.0' }, source: `package alpha\n\nimport "${BETA}"\n\nfunc Version() string { return "alpha-1.0.0+" + beta.Version() }\n` });
    const goMod = `module example.test/app\n\ngo 1.21\n\nrequire ${ALPHA} v1.0.0\n\nrequire (\n\t${BETA} v1.0.0 // indirect\n)\n`;
    const main = `package main\n\nimport (\n\t"fmt"\n\n\t"${ALPHA}"\n)\n\nfunc main() { fmt.Println(alpha.Version()) }\n`;
    // go itself writes the go.sum of the base branch from the proxy.
    const goSum = await goIn({ 'go.mod': goMod, 'main.go': main }, ['mod', 'tidy']).then(() => goIn({ 'go.mod': goMod, 'main.go': main }, ['mod', 'download', '-json', ALPHA, BETA]));
    const sums = (text: string) => text.trim().split(/\n(?=\{)/).map((j) => JSON.parse(j) as { Path: string; Version: string; Sum: string; GoModSum: string })
      .flatMap((m) => [`${m.Path} ${m.Version} ${m.Sum}`, `${m.Path} ${m.Version}/go.mod ${m.GoModSum}`]).sort().join('\n') + '\n';
    const baseSum = sums(goSum);
    await github.createRepository({ owner: 'acme', name: 'goapp', files: { 'go.mod': goMod, 'go.sum': baseSum, 'main.go': main } });
    await proxy.publish(ALPHA, 'v1.1.0', { requires: { [BETA]: 'v1.0.0' }, source: `package alpha\n\nimport "${BETA}"\n\nfunc Version() string { return "alpha-1.1.0+" + beta.Version() }\n` });
    await proxy.publish(BETA, 'v1.0.1');

    const plan = planFor('goapp');
    const scan = await activities.scanRepository({ plan });
    expect(scan.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(scan.updates.map((u) => [u.manager, u.packageFile, u.depName, u.depType, u.currentValue, u.newValue, u.updateType]).sort()).toEqual([
      ['gomod', 'go.mod', ALPHA, 'require', 'v1.0.0', 'v1.1.0', 'minor'],
      ['gomod', 'go.mod', BETA, 'indirect', 'v1.0.0', 'v1.0.1', 'patch'],
    ]);
    const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() });
    expect(planned.pullRequests.map((p) => p.title).sort()).toEqual([`Update module ${ALPHA} to v1.1.0`, `Update module ${BETA} to v1.0.1`]);
    for (const pr of planned.pullRequests) await activities.publishDependencyPullRequest({ plan, pr, body: 'test' });
    const branch = (depName: string) => planned.pullRequests.find((p) => p.updates[0]!.depName === depName)!.branch;

    // The expected go.sum: what go mod download says the new versions' hashes are, in place of the old ones.
    const newSums = sums(await goIn({ 'go.mod': goMod, 'main.go': main }, ['mod', 'download', '-json', `${ALPHA}@v1.1.0`, `${BETA}@v1.0.1`]));
    const line = (text: string, module: string, version: string) => text.split('\n').filter((l) => l.startsWith(`${module} ${version}`));
    for (const [depName, from, to, other] of [[ALPHA, 'v1.0.0', 'v1.1.0', BETA], [BETA, 'v1.0.0', 'v1.0.1', ALPHA]] as const) {
      const newMod = (await github.readFile('acme', 'goapp', branch(depName), 'go.mod'))!;
      const newSum = (await github.readFile('acme', 'goapp', branch(depName), 'go.sum'))!;
      expect(newMod).toBe(depName === ALPHA ? goMod.replace(`${ALPHA} v1.0.0`, `${ALPHA} v1.1.0`) : goMod.replace(`\t${BETA} v1.0.0 // indirect`, `\t${BETA} v1.0.1 // indirect`));
      expect(line(newSum, depName, to)).toEqual(line(newSums, depName, to));
      expect(line(newSum, depName, from)).toEqual([]);
      expect(line(newSum, other, 'v1.0.0')).toEqual(line(baseSum, other, 'v1.0.0'));
      // go builds the PR's files without touching them (-mod=readonly: a missing or wrong go.sum line fails) and runs the new version.
      const out = await goIn({ 'go.mod': newMod, 'go.sum': newSum, 'main.go': main }, ['run', '-mod=readonly', '.']);
      expect(out.trim()).toBe(depName === ALPHA ? 'alpha-1.1.0+v1.0.0' : 'alpha-1.0.0+v1.0.1');
    }
  });

  it('a major update that renames the module (/v2) gets no PR, and says why', async () => {
    await proxy.publish(GAMMA, 'v1.0.0');
    const goMod = `module example.test/major\n\ngo 1.21\n\nrequire ${GAMMA} v1.0.0\n`;
    await github.createRepository({ owner: 'acme', name: 'gomajor', files: { 'go.mod': goMod } });
    await proxy.publish(`${GAMMA}/v2`, 'v2.0.0');
    const plan = planFor('gomajor');
    const scan = await activities.scanRepository({ plan });
    expect(scan.updates.map((u) => [u.depName, u.newValue, u.updateType])).toEqual([[GAMMA, 'v2.0.0', 'major']]);
    const [pr] = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: [], now: new Date() }).pullRequests;
    await expect(activities.publishDependencyPullRequest({ plan, pr: pr!, body: 'test' })).rejects.toThrow(
      `go.mod: ${GAMMA}: v2.0.0 is the module ${GAMMA}/v2: a major update renames the module, so every import in the .go files changes too; maint does not rewrite imports, so no PR (update it by hand)`,
    );
  });

  it('an unreachable Go module proxy is checked once, first, and named with its file and setting', async () => {
    await github.createRepository({ owner: 'acme', name: 'gooffline', files: { 'go.mod': `module example.test/off\n\ngo 1.21\n\nrequire ${ALPHA} v1.0.0\n` } });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const scan = await activities.scanRepository({ plan: planFor('gooffline', { registries: { docker: [], goproxy: dead }, file: '/etc/maint/acme.yaml' }) });
    expect(scan.unscanned).toEqual([{ manager: 'gomod', reason: `/etc/maint/acme.yaml: dependencies.registries.goproxy ${dead} is unreachable (ECONNREFUSED); fix the URL or the registry` }]);
    expect(scan.updates).toEqual([]);
  });
});
