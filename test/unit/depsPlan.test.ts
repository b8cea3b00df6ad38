import { planUpdates, type ExistingPullRequest, type ResolvedUpdatePolicy } from '../../policies/deps/plan';
import { mergePullRequestText, proposedUpdates, pullRequestSection, rebaseRequested, renderPullRequestBody } from '../../policies/deps/prBody';
import { planRepositories, resolvePolicy } from '../../policies/deps/resolve';
import { dependenciesSchema } from '../../policies/deps/schema';
import type { DetectedUpdate } from '../../policies/deps/types';
import { organisationSchema } from '../../policies/organisation/schema';
import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';

const NOW = new Date('2026-11-23T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();

function npm(depName: string, from: string, to: string, updateType: DetectedUpdate['updateType'], released = daysAgo(30)): DetectedUpdate {
  return {
    manager: 'npm', packageFile: 'package.json', depName, datasource: 'npm', depType: 'dependencies',
    currentValue: `^${from}`, currentVersion: from, updateType, newValue: `^${to}`, newVersion: to, releaseTimestamp: released,
  };
}
const docker: DetectedUpdate = {
  manager: 'dockerfile', packageFile: 'Dockerfile', depName: '127.0.0.1:5000/library/node', datasource: 'docker', depType: 'final',
  currentValue: '20.11-alpine', currentDigest: 'sha256:aaa', updateType: 'minor', newValue: '20.12-alpine', newVersion: '20.12-alpine', newDigest: 'sha256:bbb',
};

const basePolicy: ResolvedUpdatePolicy = {
  updateTypes: ['major', 'minor', 'patch', 'digest'], ignore: [], groups: [], maxOpenPRs: 10, prsPerHour: 10, labels: [], reviewers: [],
};

describe('planUpdates: which updates become which PRs', () => {
  it('picks the newest allowed candidate per dependency and names branches deterministically', () => {
    const plan = planUpdates({
      updates: [npm('left-pad', '1.2.3', '1.2.4', 'patch'), npm('left-pad', '1.2.3', '1.3.0', 'minor'), npm('left-pad', '1.2.3', '2.0.0', 'major'), docker],
      policy: { ...basePolicy, updateTypes: ['minor', 'patch'] },
      pullRequests: [],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => [p.branch, p.title, p.updates.map((u) => u.newVersion)])).toEqual([
      ['maint/deps/dockerfile-127-0-0-1-5000-library-node', 'Update library/node Docker tag to 20.12-alpine', ['20.12-alpine']],
      ['maint/deps/npm-left-pad', 'Update dependency left-pad to ^1.3.0', ['1.3.0']],
    ]);
    // With majors allowed, the major gets its own PR next to the newest non-major.
    const all = planUpdates({ updates: [npm('left-pad', '1.2.3', '1.2.4', 'patch'), npm('left-pad', '1.2.3', '1.3.0', 'minor'), npm('left-pad', '1.2.3', '2.0.0', 'major')], policy: basePolicy, pullRequests: [], now: NOW });
    expect(all.pullRequests.map((p) => [p.branch, p.updates.map((u) => u.newVersion)])).toEqual([
      ['maint/deps/npm-left-pad', ['1.3.0']],
      ['maint/deps/npm-left-pad-major', ['2.0.0']],
    ]);
    expect(plan.held).toEqual([expect.objectContaining({ reason: 'not-allowed', detail: 'major updates are not allowed (allowed: minor, patch)' })]);
  });

  it('groups by the first matching group and keeps majors apart', () => {
    const plan = planUpdates({
      updates: [npm('a', '1.0.0', '1.1.0', 'minor'), npm('b', '2.0.0', '2.0.1', 'patch'), npm('c', '1.0.0', '2.0.0', 'major')],
      policy: { ...basePolicy, groups: [{ name: 'npm-non-major', managers: ['npm'], updateTypes: ['minor', 'patch'] }] },
      pullRequests: [],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => [p.branch, p.updates.map((u) => u.depName)])).toEqual([
      ['maint/deps/group-npm-non-major', ['a', 'b']],
      ['maint/deps/npm-c-major', ['c']],
    ]);
    expect(plan.pullRequests[0]!.title).toBe('Update npm-non-major (2 packages)');
  });

  it('puts every place a package is declared in one file (dependencies, overrides, dev, peer) on its one branch', () => {
    const occurrences = (['dependencies', 'overrides', 'peerDependencies'] as const).flatMap((depType) =>
      [npm('over-lib', '1.0.0', '1.0.1', 'patch'), npm('over-lib', '1.0.0', '1.1.0', 'minor')].map((u) => ({ ...u, depType })));
    const plan = planUpdates({ updates: [...occurrences, npm('other', '1.0.0', '1.1.0', 'minor')], policy: basePolicy, pullRequests: [], now: NOW });
    expect(plan.pullRequests.map((p) => [p.branch, p.updates.map((u) => `${u.depType} ${u.newValue}`)])).toEqual([
      ['maint/deps/npm-other', ['dependencies ^1.1.0']],
      ['maint/deps/npm-over-lib', ['dependencies ^1.1.0', 'overrides ^1.1.0', 'peerDependencies ^1.1.0']],
    ]);
  });

  it('holds versions younger than minimumReleaseAge and versions without a release time', () => {
    const plan = planUpdates({
      updates: [npm('fresh', '1.0.0', '1.0.1', 'patch', daysAgo(1)), npm('old', '1.0.0', '1.0.1', 'patch', daysAgo(10)), docker],
      policy: { ...basePolicy, minimumReleaseAgeMs: 3 * 86_400_000 },
      pullRequests: [],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => p.updates[0]!.depName)).toEqual(['old']);
    expect(plan.held.map((h) => [h.update.depName, h.reason, h.detail])).toEqual([
      ['fresh', 'pending-release-age', `1.0.1 was released ${daysAgo(1)}; waits until ${new Date(Date.parse(daysAgo(1)) + 3 * 86_400_000).toISOString()} (minimumReleaseAge 3d)`],
      ['127.0.0.1:5000/library/node', 'pending-release-age', 'release time of 20.12-alpine is unknown; minimumReleaseAge 3d needs it'],
    ]);
  });

  it('ignores exactly the versions of a PR closed without merging, until a newer one appears', () => {
    const closed: ExistingPullRequest = {
      number: 7, url: 'u', branch: 'maint/deps/npm-left-pad', state: 'closed', createdAt: daysAgo(5), closedAt: daysAgo(4),
      proposed: [{ key: 'npm:left-pad', to: '1.3.0' }],
    };
    const same = planUpdates({ updates: [npm('left-pad', '1.2.3', '1.3.0', 'minor')], policy: basePolicy, pullRequests: [closed], now: NOW });
    expect(same.pullRequests).toEqual([]);
    expect(same.held[0]!.detail).toBe('PR #7 proposing 1.3.0 was closed without merging; ignored until a newer version appears');
    const newer = planUpdates({ updates: [npm('left-pad', '1.2.3', '1.3.1', 'minor')], policy: basePolicy, pullRequests: [closed], now: NOW });
    expect(newer.pullRequests.map((p) => [p.branch, p.existing])).toEqual([['maint/deps/npm-left-pad', undefined]]);
  });

  it('updates an open PR in place and applies maxOpenPRs and prsPerHour to new ones only', () => {
    const open: ExistingPullRequest = { number: 3, url: 'u3', branch: 'maint/deps/npm-a', state: 'open', createdAt: daysAgo(2), proposed: [{ key: 'npm:a', to: '1.1.0' }] };
    const plan = planUpdates({
      updates: [npm('a', '1.0.0', '1.2.0', 'minor'), npm('b', '1.0.0', '1.1.0', 'minor'), npm('c', '1.0.0', '1.1.0', 'minor')],
      policy: { ...basePolicy, maxOpenPRs: 2 },
      pullRequests: [open],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => [p.branch, p.existing?.number])).toEqual([['maint/deps/npm-a', 3], ['maint/deps/npm-b', undefined]]);
    expect(plan.held.map((h) => [h.update.depName, h.reason, h.detail])).toEqual([['c', 'limit', 'maint/deps/npm-c waits: 2 update PRs are open (maxOpenPRs 2)']]);

    const hourly = planUpdates({
      updates: [npm('b', '1.0.0', '1.1.0', 'minor')],
      policy: { ...basePolicy, prsPerHour: 1 },
      pullRequests: [{ ...open, state: 'merged', createdAt: new Date(NOW.getTime() - 10 * 60_000).toISOString() }],
      now: NOW,
    });
    expect(hourly.held[0]!.detail).toBe('maint/deps/npm-b waits: 1 update PRs were opened in the last hour (prsPerHour 1)');
  });

  it('opens PRs in Renovate\'s order when limits allow only some: security, patch < minor < major, then the longest waiting', () => {
    const plan = planUpdates({
      updates: [
        npm('c8', '9.0.0', '10.0.0', 'major', daysAgo(90)),
        npm('alpha', '1.0.0', '1.1.0', 'minor', daysAgo(40)),
        npm('zeta', '1.0.0', '1.0.1', 'patch', daysAgo(5)),
        npm('beta', '1.0.0', '1.0.1', 'patch', daysAgo(20)),
        { ...npm('vuln', '2.0.0', '3.0.0', 'major', daysAgo(1)), vulnerabilityAlert: true },
        npm('gamma', '1.0.0', '1.2.0', 'minor', daysAgo(3)),
      ],
      policy: { ...basePolicy, prsPerHour: 3 },
      pullRequests: [],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => p.branch)).toEqual(['maint/deps/npm-vuln-vulnerability', 'maint/deps/npm-beta', 'maint/deps/npm-zeta']);
    // What waits, in the order it will be opened, and why — counting only PRs really opened in the last hour.
    expect(plan.waiting).toEqual([
      { branch: 'maint/deps/npm-alpha', title: 'Update dependency alpha to ^1.1.0', limit: '0 update PRs were opened in the last hour and 3 more come before it in this run (prsPerHour 3)' },
      { branch: 'maint/deps/npm-gamma', title: 'Update dependency gamma to ^1.2.0', limit: '0 update PRs were opened in the last hour and 3 more come before it in this run (prsPerHour 3)' },
      { branch: 'maint/deps/npm-c8-major', title: 'Update dependency c8 to ^10.0.0', limit: '0 update PRs were opened in the last hour and 3 more come before it in this run (prsPerHour 3)' },
    ]);
    expect(plan.held.filter((h) => h.reason === 'limit').map((h) => h.update.depName)).toEqual(['alpha', 'gamma', 'c8']);
  });

  it('honours ignore and allow globs, reports other managers and lists open PRs with nothing left as stale', () => {
    const plan = planUpdates({
      updates: [npm('@types/node', '20.0.0', '20.1.0', 'minor'), npm('react', '18.0.0', '18.1.0', 'minor'), npm('lodash', '4.0.0', '4.1.0', 'minor'),
        { ...npm('serde', '1.0.0', '1.1.0', 'minor'), manager: 'cargo', packageFile: 'Cargo.toml' }],
      policy: { ...basePolicy, ignore: ['@types/*'], allow: ['@types/*', 'react'] },
      pullRequests: [{ number: 9, url: 'u9', branch: 'maint/deps/npm-gone', state: 'open', createdAt: daysAgo(3), proposed: [] }],
      now: NOW,
    });
    expect(plan.pullRequests.map((p) => p.updates[0]!.depName)).toEqual(['react']);
    expect(plan.held.map((h) => [h.update.depName, h.reason])).toEqual([
      ['@types/node', 'ignored'], ['lodash', 'not-allowed'], ['serde', 'reported-only'],
    ]);
    expect(plan.stale).toEqual([{ number: 9, url: 'u9', branch: 'maint/deps/npm-gone' }]);
  });

  it('marks a PR for automerge only when every update is of an automerged type and a window governs merging', () => {
    const policy = { ...basePolicy, automergeUpdateTypes: ['patch' as const], mergeWindow: 'weekly' };
    const plan = planUpdates({ updates: [npm('a', '1.0.0', '1.0.1', 'patch'), npm('b', '1.0.0', '1.1.0', 'minor')], policy, pullRequests: [], now: NOW });
    expect(plan.pullRequests.map((p) => [p.updates[0]!.depName, p.automerge])).toEqual([['a', true], ['b', false]]);
  });
});

describe('PR body', () => {
  it('has the table, release age, merge outlook, how to ignore, and a marker that reads back', () => {
    const plan = planUpdates({ updates: [npm('left-pad', '1.2.3', '1.3.0', 'minor', daysAgo(12)), docker], policy: basePolicy, pullRequests: [], now: NOW });
    const body = renderPullRequestBody(plan.pullRequests[1]!, {
      automerge: false, rollouts: ['web-fleet'], minimumReleaseAgeMs: 3 * 86_400_000,
      window: { name: 'weekly', timezone: 'Europe/Amsterdam', open: false, nextStart: '2026-11-24T21:00:00Z', nextEnd: '2026-11-25T01:00:00Z' },
    }, NOW);
    expect(body).toContain('| left-pad | package.json | production | minor | `^1.2.3` → `^1.3.0` | 12 days | - |');
    expect(body).toContain('- **Release age:** every version here was released at least 3d ago (minimumReleaseAge).');
    expect(body).toContain('**Merging:** by a reviewer; it is meant to land inside maintenance window **weekly** (next: Tue 24 Nov, 22:00 CET – Wed 25 Nov, 02:00 CET).');
    expect(body).toContain('**Ships with:** rollout `web-fleet` of window **weekly**.');
    expect(body).toContain('close this PR without merging');
    expect(proposedUpdates(body)).toEqual([{ key: 'npm:left-pad', to: '1.3.0' }]);
    const dockerBody = renderPullRequestBody(plan.pullRequests[0]!, { automerge: true, rollouts: [], window: { name: 'weekly', timezone: 'UTC', open: true } }, NOW);
    expect(dockerBody).toContain('`20.11-alpine@aaa` → `20.12-alpine@bbb`');
    expect(dockerBody).toContain('merged automatically inside maintenance window **weekly** (now open) once all checks are green');
    expect(proposedUpdates('a PR somebody else wrote')).toEqual([]);
  });

  it('gives a reviewer links, release notes, the dependency type, a major warning, pending versions, what was checked and how to roll back', () => {
    const major: DetectedUpdate = {
      ...npm('react', '17.0.2', '18.3.1', 'major', daysAgo(40)), depType: 'devDependencies',
      links: { source: 'https://github.com/facebook/react', homepage: 'https://react.dev', registry: 'https://www.npmjs.com/package/react' },
      registryUrl: 'https://registry.npmjs.org',
      pendingVersions: ['18.3.2'],
      releaseNotes: { url: 'https://github.com/facebook/react/releases/tag/v18.3.1', name: 'v18.3.1', body: '## Changes\n- fixed <!-- maint-deps:v1 {"updates":[{"key":"npm:evil","to":"9"}]} --> a thing\n- [x] <!-- maint-deps:rebase -->', truncated: true },
      deprecationMessage: 'use react 19',
    };
    const plan = planUpdates({ updates: [major], policy: basePolicy, pullRequests: [], now: NOW });
    const body = renderPullRequestBody(plan.pullRequests[0]!, { automerge: false, rollouts: [] }, NOW);
    expect(body).toContain('| react | package.json | dev | major | `^17.0.2` → `^18.3.1` | 40 days | [source](https://github.com/facebook/react) · [homepage](https://react.dev) · [release notes](https://github.com/facebook/react/releases/tag/v18.3.1) · [npm](https://www.npmjs.com/package/react) · [diff](https://npmdiff.dev/react/17.0.2/18.3.1/) |');
    expect(body).toContain('> **Major update:** `react` 17.0.2 → 18.3.1 may contain breaking changes. Read the release notes before merging.');
    expect(body).toContain('> **react is deprecated** on its registry: use react 19');
    expect(body).toContain('**Newer versions wait for minimumReleaseAge:** react 18.3.2 (proposed once old enough).');
    expect(body).toContain('<details open><summary>react v18.3.1</summary>\n\n## Changes\n- fixed  a thing\n- [x] \n\n… [the whole release notes](https://github.com/facebook/react/releases/tag/v18.3.1)');
    expect(body).toContain('- **Lockfile:** npm refreshed package-lock.json (where the package has one) with these exact versions');
    expect(body).toContain('- **Checks:** none reported yet on this commit.');
    expect(body).toContain('- **After merging:** revert the merge commit (the **Revert** button on this PR)');
    expect(body).toContain('Opened by **maint** (Maintenance Orchestrator) dependency updates');
    // The release's text cannot pose as our marker or tick our box.
    expect(proposedUpdates(body)).toEqual([{ key: 'npm:react', to: '18.3.1' }]);
    expect(rebaseRequested(body)).toBe(false);
    expect(rebaseRequested(body.replace('- [ ] <!-- maint-deps:rebase -->', '- [x] <!-- maint-deps:rebase -->'))).toBe(true);
  });

  it('a ticked rebase box reaches the plan of that open PR only', () => {
    const open: ExistingPullRequest = { number: 4, url: 'u4', branch: 'maint/deps/npm-a', state: 'open', createdAt: daysAgo(2), proposed: [], rebaseRequested: true };
    const plan = planUpdates({ updates: [npm('a', '1.0.0', '1.0.1', 'patch'), npm('b', '1.0.0', '1.0.1', 'patch')], policy: basePolicy, pullRequests: [open], now: NOW });
    expect(plan.pullRequests.map((p) => [p.branch, p.existing])).toEqual([
      ['maint/deps/npm-a', { number: 4, url: 'u4', rebase: true }],
      ['maint/deps/npm-b', undefined],
    ]);
  });
});

describe('PR text over a person\'s edits (mergePullRequestText)', () => {
  const ours = { title: 'Update lodash to 4.17.21', body: 'new body <!-- maint-deps:v1 {"updates":[]} -->' };
  const written = pullRequestSection('old body', 'Update lodash to 4.17.20');

  it('rewrites only our section; text before and after it stays', () => {
    const merged = mergePullRequestText({ title: 'Update lodash to 4.17.20', body: `Note from QA.\n\n${written}\n\n- [ ] signed off` }, ours);
    expect(merged).toEqual({ title: ours.title, body: `Note from QA.\n\n${pullRequestSection(ours.body, ours.title)}\n\n- [ ] signed off` });
  });

  it('keeps a title a person changed (not the one our section recorded), takes ours otherwise', () => {
    expect(mergePullRequestText({ title: 'lodash: wait for QA', body: written }, ours).title).toBe('lodash: wait for QA');
    expect(mergePullRequestText({ title: 'Update lodash to 4.17.20', body: written }, ours).title).toBe(ours.title);
    // Once kept, it stays kept: the section now records our newest title, not theirs.
    const once = mergePullRequestText({ title: 'lodash: wait for QA', body: written }, ours);
    expect(mergePullRequestText(once, { ...ours, title: 'Update lodash to 4.17.22' }).title).toBe('lodash: wait for QA');
  });

  it('replaces a body of ours from before sections, and keeps anyone else\'s text above our section', () => {
    expect(mergePullRequestText({ title: 'x', body: 'old <!-- maint-deps:v1 {"updates":[]} -->' }, ours)).toEqual({ title: ours.title, body: pullRequestSection(ours.body, ours.title) });
    expect(mergePullRequestText({ title: 'x', body: '' }, ours).body).toBe(pullRequestSection(ours.body, ours.title));
    expect(mergePullRequestText({ title: 'theirs', body: 'Opened by hand.\n' }, ours)).toEqual({ title: ours.title, body: `Opened by hand.\n\n${pullRequestSection(ours.body, ours.title)}` });
  });

  it('is stable: merging the same text again changes nothing, and the proposed updates are still found', () => {
    const once = mergePullRequestText({ title: 'T', body: `a\n${written}\nb` }, ours);
    expect(mergePullRequestText(once, ours)).toEqual(once);
    expect(proposedUpdates(once.body)).toEqual([]);
    const withUpdates = pullRequestSection('x <!-- maint-deps:v1 {"updates":[{"key":"npm:lodash","to":"4.17.21"}]} -->', 'T');
    expect(proposedUpdates(withUpdates)).toEqual([{ key: 'npm:lodash', to: '4.17.21' }]);
  });

  it('escapes "--" in a recorded title (it would end the HTML comment)', () => {
    const section = pullRequestSection('b', 'Update a --> b');
    expect(section.split('\n')[0]).not.toMatch(/--.*-->.*-->/);
    expect(mergePullRequestText({ title: 'Update a --> b', body: section }, { title: 'Update a --> c', body: 'b' }).title).toBe('Update a --> c');
  });
});

describe('dependencies section', () => {
  const section = (yaml: string) => parsePolicyText(yaml, 'maint.yaml', dependenciesSchema);

  it('merges matching policies in order and resolves repositories', () => {
    const deps = section(`
github: { baseUrl: 'https://ghe.example.com/api/v3', auth: { kind: token, tokenEnv: GH_TOKEN } }
repositories:
  - repo: acme/webshop
  - { repo: acme/api, baseBranch: develop, checkout: { path: ../api } }
policies:
  - { updateTypes: [minor, patch], labels: [dependencies] }
  - { repositories: ['acme/web*'], updateTypes: [patch], minimumReleaseAge: 3d, mergeWindow: weekly, automerge: { updateTypes: [patch] } }
`);
    expect(resolvePolicy('acme/webshop', deps.policies)).toMatchObject({ updateTypes: ['patch'], labels: ['dependencies'], minimumReleaseAgeMs: 259_200_000, automergeUpdateTypes: ['patch'], mergeWindow: 'weekly' });
    expect(resolvePolicy('acme/api', deps.policies)).toMatchObject({ updateTypes: ['minor', 'patch'], maxOpenPRs: 10, prsPerHour: 5 });
    const windows = new Map([['weekly', { timing: { timezone: 'UTC', recurrence: { kind: 'once' as const, at: '2026-12-01T22:00' }, durationMs: 3_600_000, cutoffMs: 0, blackouts: [] }, rollouts: ['web'] }]]);
    const { plans, problems } = planRepositories(deps, windows, (p) => `/abs/${p}`);
    expect(problems).toEqual([]);
    expect(plans.map((p) => [p.repo, p.baseBranch, p.checkout, p.mergeWindow?.name])).toEqual([
      ['acme/webshop', 'main', { kind: 'github', cloneUrl: 'https://ghe.example.com/acme/webshop.git' }, 'weekly'],
      ['acme/api', 'develop', { kind: 'path', path: '/abs/../api' }, undefined],
    ]);
  });

  it('names the file and path of each mistake', () => {
    expect(() => section('repositories: [{ repo: webshop }]')).toThrow(PolicyError);
    expect(() => section('repositories: [{ repo: webshop }]')).toThrow(/maint\.yaml.*repositories\[0\]\.repo.*owner\/name/s);
    expect(() => section('github: { auth: { kind: token } }')).toThrow(/github\.auth.*exactly one of tokenEnv or tokenFile/s);
    expect(() => section('policies: [{ updateTypes: [huge] }]')).toThrow(/policies\[0\]\.updateTypes\[0\]/);
    expect(() => section('schedule: { cron: "61 * * * *" }')).toThrow(/schedule\.cron/);
    const deps = section(`
repositories: [{ repo: acme/a }, { repo: Acme/A }]
policies: [{ mergeWindow: nightly, automerge: { updateTypes: [patch] } }]
`);
    const { problems } = planRepositories(deps, new Map(), (p) => p);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'dependencies.repositories[1].repo: Acme/A is already listed at dependencies.repositories[0]',
      'dependencies.policies[0].mergeWindow: unknown window "nightly"; defined: none',
      'dependencies.github.auth: is required to open PRs and clone: a token (tokenEnv/tokenFile) or a GitHub App',
    ]);
  });

  it('is part of the organisation file', () => {
    const org = parsePolicyText('apiVersion: maint/v1\nkind: Organisation\ndependencies:\n  repositories: [{ repo: acme/web }]\n', 'org.yaml', organisationSchema);
    expect(org.dependencies?.repositories[0]).toEqual({ repo: 'acme/web', baseBranch: 'main', managers: ['npm', 'dockerfile', 'github-actions', 'docker-compose', 'helm-values', 'pip_requirements', 'pep621', 'poetry', 'gomod', 'maven'], checkout: 'github' });
  });

  it('registries.pypi is a PEP 503 simple index URL, kept with its trailing slash; anything else is refused by file and path', () => {
    expect(section('registries: { pypi: "http://127.0.0.1:8080/simple" }').registries?.pypi).toBe('http://127.0.0.1:8080/simple/');
    expect(section('registries: { pypi: "https://pypi.example.com/root/pypi/+simple/" }').registries?.pypi).toBe('https://pypi.example.com/root/pypi/+simple/');
    expect(() => section('registries: { pypi: "https://pypi.example.com/pypi" }')).toThrow(/maint\.yaml.*registries\.pypi.*expected a PEP 503 simple index URL whose path ends in \/simple\//s);
    expect(() => section('registries: { pypi: "ftp://pypi.example.com/simple/" }')).toThrow(/registries\.pypi.*http:\/\/ or https:\/\//s);
  });

  it('registries.goproxy is one Go module proxy URL, without a trailing slash; a GOPROXY list or a query is refused by file and path', () => {
    expect(section('registries: { goproxy: "https://goproxy.example.com/go/" }').registries?.goproxy).toBe('https://goproxy.example.com/go');
    expect(() => section('registries: { goproxy: "https://goproxy.example.com,direct" }')).toThrow(/maint\.yaml.*registries\.goproxy.*expected one Go module proxy URL like https:\/\/goproxy\.example\.com \(not a GOPROXY list/s);
    expect(() => section('registries: { goproxy: "https://goproxy.example.com/?x=1" }')).toThrow(/maint\.yaml.*registries\.goproxy.*without \?query or #fragment/s);
    expect(() => section('registries: { goproxy: "goproxy.example.com" }')).toThrow(/registries\.goproxy.*http:\/\/ or https:\/\//s);
  });

  it('registries.maven is a Maven repository URL, kept with a trailing slash; a query or a non-http URL is refused by file and path', () => {
    expect(section('registries: { maven: "https://maven.example.com/repository/maven-public" }').registries?.maven).toBe('https://maven.example.com/repository/maven-public/');
    expect(() => section('registries: { maven: "https://maven.example.com/repo/#x" }')).toThrow(/maint\.yaml.*registries\.maven.*expected a Maven repository URL without \?query or #fragment/s);
    expect(() => section('registries: { maven: "file:///home/me/.m2/repository" }')).toThrow(/maint\.yaml.*registries\.maven.*http:\/\/ or https:\/\//s);
  });
});
