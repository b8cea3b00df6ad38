import { matchAdvisories } from '../../policies/deps/advisories/match';
import { advisoriesFor, indexAdvisories, isAffected, parseOsvRecord, type OsvRecord } from '../../policies/deps/advisories/osv';
import { compareVersions, ecosystemOf, normalisePackageName } from '../../policies/deps/advisories/versions';
import { planUpdates, type ResolvedUpdatePolicy } from '../../policies/deps/plan';
import { renderPullRequestBody } from '../../policies/deps/prBody';
import { ADVISORIES_KEPT, openAdvisories } from '../../policies/deps/run';
import type { DetectedUpdate, VulnerableDependency } from '../../policies/deps/types';

const NOW = new Date('2026-11-23T12:00:00Z');
const sign = (n: number | undefined) => (n === undefined ? undefined : Math.sign(n));

describe('version order per ecosystem', () => {
  test.each([
    ['npm', '1.2.3', '1.2.4', -1],
    ['npm', '1.0.0-rc.1', '1.0.0', -1],
    ['npm', '1.0.0-alpha.10', '1.0.0-alpha.9', 1],
    ['Go', 'v1.2.3', '1.2.3', 0],
    ['Go', 'v0.0.0-20230101000000-abcdef123456', 'v0.1.0', -1],
    ['PyPI', '1.0', '1.0.0', 0],
    ['PyPI', '1.0rc1', '1.0', -1],
    ['PyPI', '1.0.dev1', '1.0a1', -1],
    ['PyPI', '1.0a2', '1.0b1', -1],
    ['PyPI', '1.0', '1.0.post1', -1],
    ['PyPI', '1.0-1', '1.0.post1', 0],
    ['PyPI', '1.0.post1.dev2', '1.0.post1', -1],
    ['PyPI', '1!0.1', '2.0', 1],
    ['PyPI', '2.0.0', '10.0', -1],
    ['Maven', '1.0', '1.0.0', 0],
    ['Maven', '1.0-SNAPSHOT', '1.0', -1],
    ['Maven', '1.0-rc1', '1.0', -1],
    ['Maven', '1.0-alpha1', '1.0-beta1', -1],
    ['Maven', '1.0-cr1', '1.0-RC1', 0],
    ['Maven', '1.0.Final', '1.0', 0],
    ['Maven', '1.0-sp1', '1.0', 1],
    ['Maven', '2.12.7.1', '2.12.7', 1],
    ['Maven', '1.10', '1.9', 1],
  ] as const)('%s: %s vs %s', (eco, a, b, expected) => {
    expect(sign(compareVersions(eco, a, b))).toBe(expected);
    expect(sign(compareVersions(eco, b, a))).toBe(-expected || 0);
  });

  test('an unreadable version is undefined, not a guess', () => {
    expect(compareVersions('npm', 'latest', '1.0.0')).toBeUndefined();
    expect(compareVersions('PyPI', 'not a version', '1.0')).toBeUndefined();
  });

  test('datasources map to OSV ecosystems; PyPI names are PEP 503-normalised', () => {
    expect(['npm', 'pypi', 'go', 'maven', 'docker'].map(ecosystemOf)).toEqual(['npm', 'PyPI', 'Go', 'Maven', undefined]);
    expect(normalisePackageName('PyPI', 'Zope.Interface_x')).toBe('zope-interface-x');
  });
});

const record = (over: Partial<OsvRecord> & { affected: OsvRecord['affected'] }): OsvRecord => ({ id: 'GHSA-1111-2222-3333', modified: '2026-01-01T00:00:00Z', ...over });

describe('OSV matching', () => {
  const affected = (ranges: unknown, versions?: string[]) => parseOsvRecord('x.json', JSON.stringify(record({ affected: [{ package: { ecosystem: 'npm', name: 'lib' }, ranges: ranges as never, ...(versions ? { versions } : {}) }] }))).affected![0]!;

  test('introduced 0 / fixed: everything before the fix', () => {
    const a = affected([{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.4' }] }]);
    expect(['0.1.0', '1.2.3', '1.2.4', '2.0.0'].map((v) => isAffected('npm', a, v))).toEqual([true, true, false, false]);
  });

  test('several introduced/fixed pairs and last_affected', () => {
    const a = affected([{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { fixed: '1.0.5' }, { introduced: '2.0.0' }, { last_affected: '2.1.0' }] }]);
    expect(['0.9.0', '1.0.0', '1.0.5', '2.0.0', '2.1.0', '2.1.1'].map((v) => isAffected('npm', a, v))).toEqual([false, true, false, true, true, false]);
  });

  test('listed versions count; GIT ranges do not', () => {
    const a = affected([{ type: 'GIT', repo: 'https://example.com/x.git', events: [{ introduced: '0' }] }], ['3.0.0']);
    expect(isAffected('npm', a, '3.0.0')).toBe(true);
    expect(isAffected('npm', a, '3.0.1')).toBe(false);
  });

  test('PyPI names match however they are written; withdrawn records are ignored', () => {
    const pypi = (id: string, withdrawn?: string) => record({ id, ...(withdrawn ? { withdrawn } : {}), aliases: ['CVE-2026-1'], summary: 'bad', affected: [{ package: { ecosystem: 'PyPI', name: 'Foo_Bar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }] });
    const index = indexAdvisories([pypi('PYSEC-1'), pypi('PYSEC-2', '2026-02-01T00:00:00Z')]);
    expect(advisoriesFor(index, 'PyPI', 'foo.bar', '1.9')).toEqual([{ id: 'PYSEC-1', aliases: ['CVE-2026-1'], summary: 'bad', url: 'https://osv.dev/vulnerability/PYSEC-1', fixed: ['2.0'] }]);
    expect(advisoriesFor(index, 'PyPI', 'foo-bar', '2.0.0')).toEqual([]);
  });

  test('a bad record names the file, the path inside it and what was expected', () => {
    const bad = JSON.stringify({ id: 'GHSA-x', modified: '2026-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'lib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }, { type: 'SEMVER', events: 'fixed 1.2' }] }] });
    expect(() => parseOsvRecord('npm/GHSA-x.json', bad)).toThrow(/^npm\/GHSA-x\.json: affected\[0\]\.ranges\[1\]\.events: expected a list of events/);
    expect(() => parseOsvRecord('a.json', '{"modified": "x"}')).toThrow(/a\.json: id: expected the advisory id/);
    expect(() => parseOsvRecord('a.json', '{')).toThrow(/a\.json: not JSON/);
  });
});

function npmUpdate(depName: string, from: string, to: string, updateType: DetectedUpdate['updateType'], released: string): DetectedUpdate {
  return { manager: 'npm', packageFile: 'package.json', depName, datasource: 'npm', depType: 'dependencies', currentValue: `^${from}`, currentVersion: from, updateType, newValue: `^${to}`, newVersion: to, releaseTimestamp: released };
}

describe('security updates', () => {
  const index = indexAdvisories([record({
    id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2026-1234'], summary: 'Prototype pollution', database_specific: { severity: 'HIGH' },
    affected: [{ package: { ecosystem: 'npm', name: 'lib' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2.4' }] }] }],
  })]);
  const dep = { manager: 'npm', packageFile: 'package.json', depName: 'lib', datasource: 'npm', depType: 'dependencies', currentVersion: '1.2.3' };
  const young = new Date(NOW.getTime() - 3_600_000).toISOString();
  const old = new Date(NOW.getTime() - 30 * 86_400_000).toISOString();

  test('the least disruptive fixing update is marked, with its advisories', () => {
    const updates = [npmUpdate('lib', '1.2.3', '2.0.0', 'major', old), npmUpdate('lib', '1.2.3', '1.3.0', 'minor', old), npmUpdate('lib', '1.2.3', '1.2.5', 'patch', young)];
    const result = matchAdvisories(index, [dep], updates);
    expect(result.updates.filter((u) => u.vulnerabilityAlert).map((u) => u.newVersion)).toEqual(['1.2.5']);
    expect(result.vulnerable).toEqual([expect.objectContaining({ depName: 'lib', currentVersion: '1.2.3', fixedBy: '1.2.5' })]);
    expect(result.needFix).toEqual([]);
  });

  test('a dependency with a released fix that no update reaches is looked up again', () => {
    const result = matchAdvisories(index, [dep], [npmUpdate('lib', '1.2.3', '1.2.3-x', 'patch', old)]);
    expect(result.needFix).toEqual([dep]);
  });

  test('the plan opens it at once, on its own branch, titled [security], despite minimumReleaseAge and a group', () => {
    const policy: ResolvedUpdatePolicy = { updateTypes: ['major', 'minor', 'patch', 'digest'], minimumReleaseAgeMs: 7 * 86_400_000, ignore: [], groups: [{ name: 'all', packages: ['*'] }], maxOpenPRs: 10, prsPerHour: 5, labels: [], reviewers: [] };
    const { updates } = matchAdvisories(index, [dep], [npmUpdate('lib', '1.2.3', '1.2.4', 'patch', young), npmUpdate('other', '1.0.0', '1.0.1', 'patch', young)]);
    const plan = planUpdates({ updates, policy, pullRequests: [], now: NOW });
    expect(plan.pullRequests.map((p) => [p.branch, p.title])).toEqual([['maint/deps/npm-lib-vulnerability', 'Update dependency lib to ^1.2.4 [security]']]);
    expect(plan.held.map((h) => [h.update.depName, h.reason])).toEqual([['other', 'pending-release-age']]);
    const body = renderPullRequestBody(plan.pullRequests[0]!, { automerge: false, rollouts: [] }, NOW);
    expect(body).toContain('[GHSA-aaaa-bbbb-cccc](https://osv.dev/vulnerability/GHSA-aaaa-bbbb-cccc)');
    expect(body).toMatch(/\| HIGH \| Prototype pollution \| CVE-2026-1234 \| 1\.2\.4 \(this PR: 1\.2\.4\) \|/);
  });

  test('outside the openWindow new PRs wait, the security fix is opened, an open PR is kept current', () => {
    const policy: ResolvedUpdatePolicy = { updateTypes: ['major', 'minor', 'patch', 'digest'], ignore: [], groups: [], maxOpenPRs: 10, prsPerHour: 5, labels: [], reviewers: [], openWindow: 'weekend' };
    const { updates } = matchAdvisories(index, [dep], [npmUpdate('lib', '1.2.3', '1.2.4', 'patch', old), npmUpdate('other', '1.0.0', '1.0.1', 'patch', old), npmUpdate('kept', '1.0.0', '1.0.2', 'patch', old)]);
    const openPr = { number: 7, url: 'https://github.example/pr/7', branch: 'maint/deps/npm-kept', state: 'open' as const, createdAt: '2026-11-01T00:00:00Z', proposed: [] };
    const plan = planUpdates({ updates, policy, pullRequests: [openPr], now: NOW, scheduleClosed: 'outside openWindow weekend' });
    expect(plan.pullRequests.map((p) => p.branch)).toEqual(['maint/deps/npm-lib-vulnerability', 'maint/deps/npm-kept']);
    expect(plan.held.map((h) => [h.update.depName, h.reason, h.detail])).toEqual([['other', 'schedule', 'maint/deps/npm-other waits: outside openWindow weekend']]);
  });
});

describe('open advisories in the run summary', () => {
  const vulnerable = (i: number, fixed: string[]): VulnerableDependency => ({
    manager: 'npm', packageFile: 'package.json', depName: `lib-${i}`, currentVersion: '1.0.0',
    advisories: [{ id: `GHSA-${i}`, aliases: [`CVE-2026-${i}`], url: `https://osv.dev/vulnerability/GHSA-${i}`, fixed }],
  });

  test('each says its PR, no fix released, or why it waits; the list is capped and the rest counted', () => {
    const many = Array.from({ length: ADVISORIES_KEPT + 7 }, (_, i) => vulnerable(i, i === 1 ? ['1.0.1'] : []));
    const fix = { ...npmUpdate('lib-1', '1.0.0', '1.0.1', 'patch', NOW.toISOString()), vulnerabilityAlert: true };
    const pr = { branch: 'maint/deps/npm-lib-1-vulnerability', title: 't', updates: [fix], automerge: false };
    const { advisories, more } = openAdvisories(many, { pullRequests: [pr], held: [] }, () => ({ number: 4, url: 'https://github.example/pr/4', outcome: 'created' }));
    expect(advisories).toHaveLength(ADVISORIES_KEPT);
    expect(more).toBe(7);
    expect(advisories[0]).toEqual({ depName: 'lib-0', manager: 'npm', packageFile: 'package.json', currentVersion: '1.0.0', ids: ['GHSA-0 (CVE-2026-0)'], fixedIn: [], status: 'no fix released' });
    expect(advisories[1]).toMatchObject({ status: 'PR #4', url: 'https://github.example/pr/4', fixedIn: ['1.0.1'] });
    const waiting = openAdvisories([vulnerable(1, ['1.0.1'])], { pullRequests: [], held: [{ update: fix, detail: 'maint/deps/npm-lib-1-vulnerability waits: 10 update PRs are open (maxOpenPRs 10)' }] }, () => undefined);
    expect(waiting.advisories[0]!.status).toBe('waiting: maint/deps/npm-lib-1-vulnerability waits: 10 update PRs are open (maxOpenPRs 10)');
  });
});
