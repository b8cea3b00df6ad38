import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { renovateConfig } from '../../activities/renovate/config';
import { renovateVersion, runRenovateLookup, type RenovateLookupInput } from '../../activities/renovate/lookup';
import { parseRenovateReport } from '../../activities/renovate/report';
import type { DetectedUpdate, RenovateScan } from '../../policies/deps/types';
import { startDockerRegistry, type TestDockerRegistry } from '../helpers/dockerRegistry';
import { startVerdaccio, type TestNpmRegistry } from '../helpers/verdaccio';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

/** One fixture repository, real registries, a handful of real Renovate runs (each takes seconds). */
describe('Renovate lookup (real Renovate, verdaccio and docker-registry)', () => {
  let npm: TestNpmRegistry | undefined;
  let docker: TestDockerRegistry | undefined;
  const temp: string[] = [];
  let repo: string;
  const digests: Record<string, string> = {};
  const released: Record<string, Date> = {};
  let nodeImage: string;
  let baseImage: string;

  const input = (extra: Partial<RenovateLookupInput> = {}): RenovateLookupInput => ({
    checkoutDir: repo,
    managers: ['npm', 'dockerfile'],
    npmRegistryUrl: npm!.url,
    dockerRegistries: [{ host: docker!.host, insecure: true }],
    ...extra,
  });
  const find = (scan: RenovateScan, depName: string, updateType: DetectedUpdate['updateType']) => scan.updates.filter((u) => u.depName === depName && u.updateType === updateType);

  beforeAll(async () => {
    npm = await startVerdaccio();
    docker = await startDockerRegistry();
    nodeImage = `${docker.host}/library/node`;
    baseImage = `${docker.host}/base`;

    // What existed when the lockfile was written...
    released['alpha-lib@1.2.3'] = daysAgo(60);
    await npm.publish('alpha-lib', '1.2.3', { publishedAt: released['alpha-lib@1.2.3'] });
    await npm.publish('pinned-lib', '4.0.0');
    await npm.publish('dev-tool', '0.5.0');
    digests['node:20.11-alpine'] = await docker.pushImage('library/node', '20.11-alpine', { created: daysAgo(90) });
    digests['base:1.0.0'] = await docker.pushImage('base', '1.0.0');

    repo = mkdtempSync(join(tmpdir(), 'maint-renovate-fixture-'));
    temp.push(repo);
    const npmHome = mkdtempSync(join(tmpdir(), 'maint-renovate-npm-'));
    temp.push(npmHome);
    writeFileSync(join(npmHome, 'npmrc'), '');
    const manifest = {
      name: 'fixture-shop',
      version: '1.0.0',
      private: true,
      dependencies: { 'alpha-lib': '^1.2.3', 'pinned-lib': '4.0.0' } as Record<string, string>,
      devDependencies: { 'dev-tool': '~0.5.0' },
    };
    writeFileSync(join(repo, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(repo, '.npmrc'), `registry=${npm.url}\n`);
    execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', npm.url], {
      cwd: repo,
      stdio: 'pipe',
      env: { PATH: process.env.PATH, HOME: npmHome, npm_config_userconfig: join(npmHome, 'npmrc'), npm_config_cache: join(npmHome, 'cache') },
    });
    // ...a dependency that is not in the registry (a typo, an unpublished package)...
    manifest.dependencies['ghost-lib'] = '^1.0.0';
    writeFileSync(join(repo, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(repo, 'Dockerfile'), [
      `FROM ${nodeImage}:20.11-alpine@${digests['node:20.11-alpine']} AS build`,
      'RUN echo build',
      `FROM ${baseImage}:1.0.0`,
      '',
    ].join('\n'));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.test', 'commit', '-qm', 'fixture'], { cwd: repo });

    // ...and what was released afterwards.
    released['alpha-lib@1.2.4'] = daysAgo(10);
    released['alpha-lib@1.3.0'] = daysAgo(2);
    await npm.publish('alpha-lib', '1.2.4', { publishedAt: released['alpha-lib@1.2.4'] });
    await npm.publish('alpha-lib', '1.3.0', { publishedAt: released['alpha-lib@1.3.0'] });
    await npm.publish('alpha-lib', '2.0.0');
    await npm.publish('pinned-lib', '4.0.1');
    await npm.publish('pinned-lib', '4.1.0');
    await npm.publish('dev-tool', '0.5.1');
    // The same tag rebuilt (a base-image security fix): a digest update.
    digests['node:20.11-alpine (rebuilt)'] = await docker.pushImage('library/node', '20.11-alpine', { created: daysAgo(1) });
    digests['node:20.12-alpine'] = await docker.pushImage('library/node', '20.12-alpine', { created: daysAgo(3) });
    digests['node:20.12'] = await docker.pushImage('library/node', '20.12');
    digests['node:22.1-alpine'] = await docker.pushImage('library/node', '22.1-alpine');
    for (const tag of ['1.0.1', '1.1.0', '2.0.0']) digests[`base:${tag}`] = await docker.pushImage('base', tag);
  });

  afterAll(async () => {
    await npm?.stop().catch(() => undefined);
    await docker?.stop().catch(() => undefined);
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

  test('proposes each npm and Dockerfile update as its own candidate, in the file\'s own style', async () => {
    const started = Date.now();
    const scan = await runRenovateLookup(input());
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`renovate lookup (npm + dockerfile): ${seconds.toFixed(1)} s\n`);

    expect(scan.renovateVersion).toBe(renovateVersion);
    expect(scan.managers).toEqual(expect.arrayContaining([
      { manager: 'npm', packageFiles: ['package.json'], dependencies: 4 },
      { manager: 'dockerfile', packageFiles: ['Dockerfile'], dependencies: 2 },
    ]));

    // `^1.2.3` locked at 1.2.3: patch, minor and major, each bumping the range in its own style.
    const alpha = (type: DetectedUpdate['updateType']) => find(scan, 'alpha-lib', type).map((u) => [u.newValue, u.newVersion]);
    expect(alpha('patch')).toEqual([['^1.2.4', '1.2.4']]);
    expect(alpha('minor')).toEqual([['^1.3.0', '1.3.0']]);
    expect(alpha('major')).toEqual([['^2.0.0', '2.0.0']]);
    const alphaPatch = find(scan, 'alpha-lib', 'patch')[0]!;
    expect(alphaPatch).toMatchObject({
      manager: 'npm', packageFile: 'package.json', datasource: 'npm', depType: 'dependencies',
      currentValue: '^1.2.3', currentVersion: '1.2.3', registryUrl: npm!.url.replace(/\/$/, ''),
    });
    expect(alphaPatch.newDigest).toBeUndefined(); // npm's tarball integrity is not something the file pins
    // verdaccio's `time` comes through as the release time, for the policy's minimum release age.
    expect(alphaPatch.releaseTimestamp).toBe(released['alpha-lib@1.2.4']!.toISOString());
    expect(find(scan, 'alpha-lib', 'minor')[0]!.releaseTimestamp).toBe(released['alpha-lib@1.3.0']!.toISOString());

    expect(find(scan, 'pinned-lib', 'patch').map((u) => u.newValue)).toEqual(['4.0.1']);
    expect(find(scan, 'pinned-lib', 'minor').map((u) => u.newValue)).toEqual(['4.1.0']);
    expect(find(scan, 'dev-tool', 'patch')).toEqual([expect.objectContaining({ depType: 'devDependencies', currentValue: '~0.5.0', newValue: '~0.5.1' })]);

    // Docker tags keep their `-alpine` suffix and come with the new digest the file pins.
    const node = scan.updates.filter((u) => u.depName === nodeImage);
    expect(node.map((u) => [u.updateType, u.newValue, u.newDigest])).toEqual(expect.arrayContaining([
      ['digest', '20.11-alpine', digests['node:20.11-alpine (rebuilt)']],
      ['minor', '20.12-alpine', digests['node:20.12-alpine']],
      ['major', '22.1-alpine', digests['node:22.1-alpine']],
    ]));
    expect(node).toHaveLength(3); // `20.12` without the suffix is another image, never proposed
    expect(node[0]).toMatchObject({
      manager: 'dockerfile', datasource: 'docker', depType: 'stage', currentValue: '20.11-alpine',
      currentDigest: digests['node:20.11-alpine'],
      replaceString: `${nodeImage}:20.11-alpine@${digests['node:20.11-alpine']}`,
    });
    // A plain registry has no tag push times (Renovate reads them from Docker Hub only).
    expect(node.every((u) => u.releaseTimestamp === undefined)).toBe(true);
    const base = scan.updates.filter((u) => u.depName === baseImage);
    expect(base.map((u) => [u.updateType, u.newValue, u.newDigest])).toEqual([
      ['patch', '1.0.1', undefined],
      ['minor', '1.1.0', undefined],
      ['major', '2.0.0', undefined],
    ]);

    // The package the registry does not know is a warning, not a silent absence.
    expect(scan.problems).toContainEqual(expect.objectContaining({ level: 'warning', depName: 'ghost-lib', packageFile: 'package.json', message: expect.stringContaining('ghost-lib') }));
    expect(scan.updates.filter((u) => u.depName === 'ghost-lib')).toEqual([]);
    expect(scan.problems.filter((p) => p.depName !== 'ghost-lib')).toEqual([]);
  });

  test('inside an activity it heartbeats while Renovate runs; managers limit what is scanned', async () => {
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const scan: RenovateScan = await env.run(() => runRenovateLookup(input({ managers: ['dockerfile'], githubApiUrl: 'http://127.0.0.1:9/', githubToken: 'ghp_secret-never-on-disk' }), { heartbeatMs: 200 }));
    expect(scan.managers.map((m) => m.manager)).toEqual(['dockerfile']);
    expect(scan.updates.every((u) => u.manager === 'dockerfile')).toBe(true);
    expect(scan.updates.length).toBeGreaterThanOrEqual(6);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    expect(heartbeats[0]).toMatchObject({ step: 'renovate lookup' });
  });

  test('a failed or impossible run is an error carrying Renovate\'s own last lines', async () => {
    // Renovate itself exits 0 here, having scanned nothing.
    const refused = await runRenovateLookup(input({ managers: ['no-such-manager'] })).catch((err: unknown) => err);
    expect(refused).toMatchObject({ type: 'RenovateConfigInvalid', nonRetryable: true, message: expect.stringContaining('enabledManagers are not supported: "no-such-manager"') });
    await expect(runRenovateLookup(input(), { timeoutMs: 300 })).rejects.toMatchObject({ type: 'RenovateTimeout', message: expect.stringContaining('did not finish within') });
    const operator = new AbortController();
    setTimeout(() => operator.abort(new Error('the operator stopped the scan')), 300);
    await expect(runRenovateLookup(input(), { signal: operator.signal })).rejects.toThrow('the operator stopped the scan');

    // A CLI that dies: its exit code and last lines, log records rendered readably.
    const fake = join(temp[0]!, '..', `${temp[0]!.split('/').pop()}-fake-renovate.sh`);
    temp.push(fake);
    writeFileSync(fake, '#!/bin/sh\necho \'{"level":60,"msg":"Unknown error","err":{"message":"boom"}}\'\necho "a plain stderr line" >&2\nexit 2\n', { mode: 0o755 });
    await expect(runRenovateLookup(input(), { renovatePath: fake })).rejects.toThrow(/Renovate exited with 2 in .*; last output:\n(FATAL Unknown error: boom\na plain stderr line|a plain stderr line\nFATAL Unknown error: boom)$/);
    await expect(runRenovateLookup(input({ npmRegistryUrl: 'http://localhost:4873/' }))).rejects.toThrow(/use 127\.0\.0\.1/);
  });

  test('an unreachable registry is a problem naming it, not an empty success', async () => {
    const url = npm!.url;
    await npm!.stop();
    npm = undefined;
    // No npmRegistryUrl: the repository's own .npmrc names the (now stopped) registry.
    const scan = await runRenovateLookup({ checkoutDir: repo, managers: ['npm', 'dockerfile'], dockerRegistries: [{ host: docker!.host, insecure: true }] });
    const origin = new URL(url).origin;
    expect(scan.problems).toContainEqual({ level: 'error', message: expect.stringMatching(new RegExp(`^${origin} failed: ECONNREFUSED \\(GET ${origin}/[a-z-]+ and \\d+ more requests\\)`)) });
    expect(scan.problems).toContainEqual(expect.objectContaining({ level: 'warning', depName: 'alpha-lib', packageFile: 'package.json' }));
    expect(scan.updates.filter((u) => u.manager === 'npm')).toEqual([]);
    // The Docker registry still answered: its updates are there.
    expect(scan.updates.filter((u) => u.manager === 'dockerfile')).toHaveLength(6);
  });

  test('the configuration keeps secrets out of files and a report it does not understand names the place', () => {
    const config = JSON.stringify(renovateConfig({ checkoutDir: '/r', managers: ['github-actions'], githubApiUrl: 'http://127.0.0.1:9/', githubToken: 'ghp_secret' }, { cacheDir: '/c', baseDir: '/b' }));
    expect(config).not.toContain('ghp_secret');
    expect(JSON.parse(config)).toMatchObject({ packageRules: [{ matchDatasources: ['github-tags', 'github-releases', 'github-digest'], registryUrls: ['http://127.0.0.1:9'] }] });

    const report = { problems: [], repositories: { local: { problems: [], packageFiles: { npm: [{ packageFile: 'package.json', deps: [{ depName: 'x', updates: [{ updateType: 'sideways' }] }] }] } } } };
    expect(() => parseRenovateReport(JSON.stringify(report))).toThrow('report.repositories.local.packageFiles.npm[0].deps[0].updates[0].updateType');
    expect(() => parseRenovateReport('{"problems": []')).toThrow(/not JSON/);
  });
});
