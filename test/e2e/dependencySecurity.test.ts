// Issue 21, security updates first: a mirrored OSV dump (written by this test, laid out as osv.dev
// publishes it) marks vulnerable dependencies of a fixture repository; the real Renovate looks them
// up in a real verdaccio, the dependencyUpdates workflow runs on a real Temporal dev server, and
// the GitHub fake (the only fake) receives the PRs. A fix younger than minimumReleaseAge is opened
// anyway as a `[security]` PR; other updates still wait; `maint deps status` lists open advisories.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { productionDependencyDeps } from '../../activities/deps/production';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { loadDependencies } from '../../control/dependencies';
import type { DependencyRunSummary } from '../../policies/deps/run';
import { createWorker, type WorkerGroup } from '../../worker';
import { runMaint } from '../helpers/cli';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';
import { connectTestEnv, testStore, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';
import { startVerdaccio, type TestNpmRegistry } from '../helpers/verdaccio';

const run = promisify(execFile);
const TOKEN = 'ghp_e2e-security-token';
const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms);

jest.setTimeout(600_000);

const advisory = (id: string, name: string, events: object[], extra: object = {}) => JSON.stringify({
  schema_version: '1.6.0', id, modified: '2026-11-01T00:00:00Z', published: '2026-11-01T00:00:00Z', ...extra,
  affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events }] }],
}, null, 2);

describe('security updates from an OSV dump', () => {
  let env: TestWorkflowEnvironment;
  let worker: WorkerGroup;
  let running: Promise<void>;
  let npm: TestNpmRegistry;
  let github: GitHubFake;
  let work: string;
  let taskQueue: string;
  let orgFile: string;
  let osvDir: string;
  let fixture: Record<string, string>;

  const orgYaml = (osv: string) => `
apiVersion: maint/v1
kind: Organisation
organisation: { name: Acme Security, contact: { email: ops@acme.example } }
services: [{ name: shop }]
windows:
  - name: next-month
    timezone: UTC
    recurrence: { kind: once, at: "${new Date(Date.now() + 30 * DAY).toISOString().slice(0, 11)}22:00" }
    duration: 4h
    services: [shop]
    notices: { leadTimes: [1m] }
    preflight: false
dependencies:
  github: { baseUrl: "${github.url}", auth: { kind: token, tokenEnv: MAINT_E2E_GITHUB_TOKEN } }
  registries: { npm: "${npm.url}" }
  advisories: { osv: ${osv} }
  repositories:
    - { repo: acme/shop, managers: [npm] }
  policies:
    - minimumReleaseAge: 3d
      openWindow: next-month
      groups: [{ name: npm-all, managers: [npm] }]
`;
  const cliEnv = () => ({ TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, MAINT_TASK_QUEUE: taskQueue });

  beforeAll(async () => {
    process.env.MAINT_E2E_GITHUB_TOKEN = TOKEN;
    work = mkdtempSync(join(tmpdir(), 'maint-security-e2e-'));
    npm = await startVerdaccio();
    for (const name of ['vuln-lib', 'nofix-lib', 'plain-lib', 'sched-lib']) await npm.publish(name, '1.0.0', { publishedAt: ago(60 * DAY) });
    const pkg = { name: 'shop', version: '1.0.0', private: true, dependencies: { 'vuln-lib': '1.0.0', 'nofix-lib': '^1.0.0', 'plain-lib': '^1.0.0', 'sched-lib': '^1.0.0' } };
    const lockDir = mkdtempSync(join(work, 'lock-'));
    writeFileSync(join(lockDir, 'package.json'), JSON.stringify(pkg, null, 2));
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${npm.url}`], { cwd: lockDir });
    fixture = { 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'package-lock.json': readFileSync(join(lockDir, 'package-lock.json'), 'utf8'), '.npmrc': `registry=${npm.url}\n` };
    // Since then: 1.0.1 is old enough but still vulnerable; the fix 1.0.2 is an hour old (minimumReleaseAge 3d holds it).
    await npm.publish('vuln-lib', '1.0.1', { publishedAt: ago(10 * DAY) });
    await npm.publish('vuln-lib', '1.0.2', { publishedAt: ago(3_600_000) });
    await npm.publish('plain-lib', '1.0.1', { publishedAt: ago(3_600_000) });
    // Old enough, but the policy's openWindow (Renovate's schedule) is a month away.
    await npm.publish('sched-lib', '1.0.1', { publishedAt: ago(10 * DAY) });

    // The mirrored dump: <Ecosystem>/<ID>.json as osv.dev's all.zip unpacks, one withdrawn record.
    osvDir = join(work, 'osv');
    mkdirSync(join(osvDir, 'npm'), { recursive: true });
    writeFileSync(join(osvDir, 'npm', 'GHSA-vu1n-1111-aaaa.json'), advisory('GHSA-vu1n-1111-aaaa', 'vuln-lib', [{ introduced: '0' }, { fixed: '1.0.2' }], {
      aliases: ['CVE-2026-40001'], summary: 'Prototype pollution in vuln-lib', database_specific: { severity: 'HIGH' },
    }));
    writeFileSync(join(osvDir, 'npm', 'GHSA-nofx-2222-bbbb.json'), advisory('GHSA-nofx-2222-bbbb', 'nofix-lib', [{ introduced: '0' }], { summary: 'ReDoS in nofix-lib' }));
    writeFileSync(join(osvDir, 'npm', 'GHSA-gone-3333-cccc.json'), advisory('GHSA-gone-3333-cccc', 'plain-lib', [{ introduced: '0' }], { withdrawn: '2026-11-02T00:00:00Z' }));

    env = await connectTestEnv();
    taskQueue = uniqueTaskQueue('deps-security');
    worker = await createWorker({
      connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(),
      deps: { ssh: new NodeSshConnector({}), store: await testStore(), dependencies: productionDependencyDeps({ dataDir: work, throttle: false }) },
    });
    running = worker.run();
    github = await startGitHubFake({ token: TOKEN });
    await github.createRepository({ owner: 'acme', name: 'shop', files: fixture });
    orgFile = join(work, 'maint.yaml');
  });

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await github?.close().catch(() => undefined);
    await npm?.stop({ rmStorage: true });
    await env?.teardown();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('opens a [security] PR for a fix younger than minimumReleaseAge; other updates wait; status lists open advisories', async () => {
    writeFileSync(orgFile, orgYaml('./osv'));
    expect((await loadDependencies([orgFile])).repositories[0]!.advisories).toEqual({ osv: osvDir });
    const scan = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/shop', '--json'], cliEnv(), 300_000);
    expect(scan.stderr).toBe('');
    const summary = JSON.parse(scan.stdout) as DependencyRunSummary;
    expect(summary.problems.filter((p) => p.level === 'error')).toEqual([]);
    expect(summary.pullRequests.map((p) => [p.branch, p.title, p.outcome])).toEqual([
      ['maint/deps/npm-vuln-lib-vulnerability', 'Update dependency vuln-lib to 1.0.2 [security]', 'created'],
    ]);
    // Renovate first offered only 1.0.1 (old enough, still vulnerable): the fix came from the second lookup without the minimum.
    // The non-security updates still wait: for minimumReleaseAge, and for the schedule (openWindow) closed now.
    expect(summary.held.map((h) => [h.depName, h.to, h.reason])).toEqual(expect.arrayContaining([['plain-lib', '1.0.1', 'pending-release-age'], ['sched-lib', '1.0.1', 'schedule']]));
    expect(summary.held.find((h) => h.depName === 'sched-lib')!.detail).toMatch(/^maint\/deps\/group-npm-all waits: outside openWindow next-month \(next 20\d\d-/);
    expect(summary.advisoryRecords).toBe(2);

    const [pr] = github.listPullRequests('acme', 'shop');
    expect(pr!.title).toBe('Update dependency vuln-lib to 1.0.2 [security]');
    expect(pr!.body).toContain('**Security update:** `vuln-lib` has a known vulnerability that this version fixes.');
    expect(pr!.body).toContain('| [GHSA-vu1n-1111-aaaa](https://osv.dev/vulnerability/GHSA-vu1n-1111-aaaa) | vuln-lib 1.0.0 | HIGH | Prototype pollution in vuln-lib | CVE-2026-40001 | 1.0.2 (this PR: 1.0.2) |');
    // The branch installs.
    const clone = join(work, 'ci-clone');
    await run('git', ['clone', '--quiet', '--branch', pr!.headRef, github.gitUrl('acme', 'shop'), clone]);
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: clone });
    expect(JSON.parse(readFileSync(join(clone, 'node_modules/vuln-lib/package.json'), 'utf8')).version).toBe('1.0.2');

    const status = await runMaint(['deps', 'status', '-f', orgFile], cliEnv());
    expect([status.code, status.stderr]).toEqual([0, '']);
    expect(status.stdout).toContain('Open advisories in acme/shop:');
    expect(status.stdout).toMatch(/nofix-lib \(npm, package\.json\) +1\.0\.0 +GHSA-nofx-2222-bbbb +- +no fix released/);
    expect(status.stdout).toMatch(new RegExp(`vuln-lib \\(npm, package\\.json\\) +1\\.0\\.0 +GHSA-vu1n-1111-aaaa \\(CVE-2026-40001\\) +1\\.0\\.2 +PR #${pr!.number} `));
    expect(status.stdout).not.toContain('plain-lib (npm');
  });

  it('a bad OSV record names the file, the path inside it and what was expected; a missing dump names the setting', async () => {
    const bad = join(work, 'osv-bad');
    mkdirSync(join(bad, 'npm'), { recursive: true });
    writeFileSync(join(bad, 'npm', 'GHSA-bad0-0000-0000.json'), JSON.stringify({ id: 'GHSA-bad0-0000-0000', modified: '2026-11-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'vuln-lib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }, { type: 'SEMVER', events: { fixed: '1.0.2' } }] }] }));
    writeFileSync(orgFile, orgYaml('./osv-bad'));
    const scan = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/shop', '--dry-run'], cliEnv(), 300_000);
    expect(scan.code).not.toBe(0);
    expect(scan.stdout).toMatch(/error: scan failed: .*maint\.yaml: dependencies\.advisories\.osv: npm\/GHSA-bad0-0000-0000\.json: affected\[0\]\.ranges\[1\]\.events: expected a list of events/);
    writeFileSync(orgFile, orgYaml('./no-such-dump'));
    const missing = await runMaint(['deps', 'scan', '-f', orgFile, '--repo', 'acme/shop', '--dry-run'], cliEnv(), 300_000);
    expect(missing.stdout).toMatch(/error: scan failed: .*maint\.yaml: dependencies\.advisories\.osv .*no-such-dump is not a directory/);
  });
});
