import { planUpdates, type ExistingPullRequest, type PlannedPullRequest, type ResolvedUpdatePolicy } from '../../policies/deps/plan';
import { proposedUpdates, renderPullRequestBody, splitOrigin } from '../../policies/deps/prBody';
import { failingChecks, planSplits, readSplitClosed, splitClosedMarker, splitComment, SPLIT_COMMENT_MARKER, type HeadChecks } from '../../policies/deps/split';
import type { DetectedUpdate } from '../../policies/deps/types';

const NOW = new Date('2026-12-01T12:00:00Z');
const GROUP = 'maint/deps/group-npm-non-major';

function npm(depName: string, to: string, depType = 'dependencies'): DetectedUpdate {
  return {
    manager: 'npm', packageFile: 'package.json', depName, datasource: 'npm', depType,
    currentValue: '^1.0.0', currentVersion: '1.0.0', updateType: 'minor', newValue: `^${to}`, newVersion: to, releaseTimestamp: '2026-11-01T00:00:00Z',
  };
}

const policy: ResolvedUpdatePolicy = {
  updateTypes: ['major', 'minor', 'patch', 'digest'], ignore: [], maxOpenPRs: 10, prsPerHour: 10, labels: [], reviewers: [],
  groups: [{ name: 'npm-non-major', managers: ['npm'], updateTypes: ['minor', 'patch'] }],
};
const four = [npm('delta', '1.1.0'), npm('bad', '1.0.1'), npm('alpha', '1.2.0'), npm('charlie', '1.3.0')];
const failed: HeadChecks = { state: 'failure', details: ['ci/test: failure', 'lint: success'], failing: ['ci/test'] };

/** An open PR of ours on `branch` proposing exactly `updates`, as its marker records. */
function openPr(number: number, branch: string, updates: DetectedUpdate[], extra: Partial<ExistingPullRequest> = {}): ExistingPullRequest {
  return {
    number, url: `https://github.example/acme/web/pull/${number}`, branch, state: 'open', createdAt: '2026-11-30T00:00:00Z',
    proposed: updates.map((u) => ({ key: `${u.manager}:${u.depName}`, to: u.newVersion })), ...extra,
  };
}

function plan(updates: DetectedUpdate[], pullRequests: ExistingPullRequest[]) {
  return planUpdates({ updates, policy, pullRequests, now: NOW });
}

const names = (pr: PlannedPullRequest) => [...new Set(pr.updates.map((u) => u.depName))];

describe('planSplits: a failing group PR is bisected', () => {
  it('splits a failing group of 4 into two PRs of 2, sorted by name, on -split-1-1 and -split-1-2, in its place', () => {
    const prs = [openPr(7, GROUP, four)];
    const planned = plan([...four, { ...npm('solo', '2.0.0'), updateType: 'major' }], prs);
    const split = planSplits({ plan: planned, checks: { [GROUP]: { checks: failed } }, pullRequests: prs, policy });
    expect(split.pullRequests.map((p) => [p.branch, names(p), p.existing?.number, p.title])).toEqual([
      [`${GROUP}-split-1-1`, ['alpha', 'bad'], undefined, 'Update npm-non-major (2 packages, part 1 of #7)'],
      [`${GROUP}-split-1-2`, ['charlie', 'delta'], undefined, 'Update npm-non-major (2 packages, part 2 of #7)'],
      ['maint/deps/npm-solo-major', ['solo'], undefined, 'Update dependency solo to ^2.0.0'],
    ]);
    expect(split.pullRequests[0]!.split).toEqual({ from: 7, depth: 1, part: 1, root: GROUP, failing: ['ci/test'] });
    expect(split.pullRequests[1]!.group).toBe('npm-non-major');
    expect(split.splits).toEqual([{ number: 7, url: prs[0]!.url, branch: GROUP, group: 'npm-non-major', failing: ['ci/test'], into: [`${GROUP}-split-1-1`, `${GROUP}-split-1-2`] }]);
    expect(split.culprits).toEqual([]);
  });

  it('puts ceil(n/2) packages first; the occurrences of one package (dependencies and overrides) stay together', () => {
    const five = [...four, npm('echo', '1.0.1'), npm('alpha', '1.2.0', 'overrides')];
    const prs = [openPr(3, GROUP, five)];
    const split = planSplits({ plan: plan(five, prs), checks: { [GROUP]: { checks: failed } }, pullRequests: prs, policy });
    expect(split.pullRequests.map((p) => [names(p), p.updates.length])).toEqual([[['alpha', 'bad', 'charlie'], 4], [['delta', 'echo'], 2]]);
    expect(split.pullRequests[0]!.updates.filter((u) => u.depName === 'alpha').map((u) => u.depType)).toEqual(['dependencies', 'overrides']);
  });

  it('splits nothing while checks pass, wait or are missing, when the run changes the PR, or outside a group', () => {
    const prs = [openPr(7, GROUP, four)];
    for (const checks of [{ state: 'success', details: ['ci/test: success'] }, { state: 'pending', details: ['ci/test: in_progress'] }, { state: 'none', details: [] }] as HeadChecks[]) {
      const out = planSplits({ plan: plan(four, prs), checks: { [GROUP]: { checks } }, pullRequests: prs, policy });
      expect([out.splits, out.pullRequests.map((p) => p.branch)]).toEqual([[], [GROUP]]);
    }
    // A newer version: the branch gets new content, whose checks are still to come.
    const newer = [...four.slice(1), npm('delta', '1.2.0')];
    expect(planSplits({ plan: plan(newer, prs), checks: { [GROUP]: { checks: failed } }, pullRequests: prs, policy }).splits).toEqual([]);
    // A reviewer asked for a rebase: rebuilt first.
    const rebase = [openPr(7, GROUP, four, { rebaseRequested: true })];
    expect(planSplits({ plan: plan(four, rebase), checks: { [GROUP]: { checks: failed } }, pullRequests: rebase, policy }).splits).toEqual([]);
    // Not a group: a single package's PR is what it is.
    const single = [openPr(9, 'maint/deps/npm-solo', [npm('solo', '1.1.0')])];
    const alone = planUpdates({ updates: [npm('solo', '1.1.0')], policy: { ...policy, groups: [], defaultGroups: { monorepos: false, types: false, devDependencies: false } }, pullRequests: single, now: NOW });
    const out = planSplits({ plan: alone, checks: { 'maint/deps/npm-solo': { checks: failed } }, pullRequests: single, policy });
    expect([out.splits, out.culprits, out.pullRequests.map((p) => p.branch)]).toEqual([[], [], ['maint/deps/npm-solo']]);
  });

  it('a failing part is split again (depth 2, on its own branch); a failing part with one package left is the culprit, left open', () => {
    const part1 = `${GROUP}-split-1-1`;
    const part2 = `${GROUP}-split-1-2`;
    const origin = (part: 1 | 2) => ({ from: 7, depth: 1, part, root: GROUP, failing: ['ci/test'] });
    const prs = [
      { ...openPr(7, GROUP, four), state: 'closed' as const, splitInto: [8, 9] },
      openPr(8, part1, [four[2]!, four[1]!], { split: origin(1) }),
      openPr(9, part2, [four[3]!, four[0]!], { split: origin(2) }),
    ];
    const checks = { [part1]: { checks: failed }, [part2]: { checks: { state: 'success', details: ['ci/test: success'] } as HeadChecks } };
    const second = planSplits({ plan: plan(four, prs), checks, pullRequests: prs, policy });
    expect(second.pullRequests.map((p) => [p.branch, names(p), p.existing?.number])).toEqual([
      [`${part1}-split-2-1`, ['alpha'], undefined],
      [`${part1}-split-2-2`, ['bad'], undefined],
      [part2, ['charlie', 'delta'], 9],
    ]);
    expect(second.pullRequests[1]!.split).toEqual({ from: 8, depth: 2, part: 2, root: GROUP, failing: ['ci/test'] });
    expect(second.splits.map((s) => [s.number, s.into])).toEqual([[8, [`${part1}-split-2-1`, `${part1}-split-2-2`]]]);

    const badBranch = `${part1}-split-2-2`;
    const third = [
      ...prs.slice(0, 1), { ...prs[1]!, state: 'closed' as const, splitInto: [10, 11] }, prs[2]!,
      openPr(10, `${part1}-split-2-1`, [four[2]!], { split: { from: 8, depth: 2, part: 1, root: GROUP, failing: ['ci/test'] } }),
      openPr(11, badBranch, [four[1]!], { split: { from: 8, depth: 2, part: 2, root: GROUP, failing: ['ci/test'] } }),
    ];
    const last = planSplits({ plan: plan(four, third), checks: { ...checks, [badBranch]: { checks: failed } }, pullRequests: third, policy });
    expect(last.splits).toEqual([]);
    expect(last.culprits).toEqual([{ number: 11, url: third[4]!.url, branch: badBranch, depName: 'bad', from: 8, failing: ['ci/test'] }]);
    expect(last.pullRequests.find((p) => p.branch === badBranch)!.existing!.number).toBe(11);
  });
});

describe('planUpdates after a split: the parts keep their packages; a split-closed PR declines nothing', () => {
  const part = (n: 1 | 2) => `${GROUP}-split-1-${n}`;
  const origin = (p: 1 | 2) => ({ from: 7, depth: 1, part: p, root: GROUP, failing: ['ci/test'] });
  const afterSplit = () => [
    { ...openPr(7, GROUP, four), state: 'closed' as const, splitInto: [8, 9], closedAt: '2026-12-01T00:00:00Z' },
    openPr(8, part(1), [four[2]!, four[1]!], { split: origin(1) }),
    openPr(9, part(2), [four[3]!, four[0]!], { split: origin(2) }),
  ];

  it('plans each package on its part, updated in place, and never reopens the group whole', () => {
    const planned = plan(four, afterSplit());
    expect(planned.pullRequests.map((p) => [p.branch, names(p), p.existing?.number, p.title, p.split?.part])).toEqual([
      [part(1), ['alpha', 'bad'], 8, 'Update npm-non-major (2 packages, part 1 of #7)', 1],
      [part(2), ['charlie', 'delta'], 9, 'Update npm-non-major (2 packages, part 2 of #7)', 2],
    ]);
    expect(planned.held).toEqual([]);
    expect(planned.stale).toEqual([]);
    // A newer version of a package stays in its part; a package new to the group waits on the group's branch alone.
    const later = plan([...four.slice(0, 3), npm('charlie', '1.4.0'), npm('foxtrot', '1.0.1')], afterSplit());
    expect(later.pullRequests.map((p) => [p.branch, p.updates.map((u) => `${u.depName}@${u.newVersion}`)]).sort()).toEqual([
      [GROUP, ['foxtrot@1.0.1']],
      [part(1), ['alpha@1.2.0', 'bad@1.0.1']],
      [part(2), ['charlie@1.4.0', 'delta@1.1.0']],
    ]);
  });

  it('once the parts are merged, the group branch is the home again; a part a person closed declines its versions', () => {
    const merged = afterSplit().map((p) => (p.number === 7 ? p : { ...p, state: 'merged' as const }));
    const again = plan([npm('alpha', '1.3.0')], merged);
    expect(again.pullRequests.map((p) => [p.branch, p.existing])).toEqual([[GROUP, undefined]]);

    const declined = afterSplit().map((p) => (p.number === 9 ? { ...p, state: 'closed' as const } : p));
    const planned = plan(four, declined);
    expect(planned.pullRequests.map((p) => [p.branch, names(p)])).toEqual([[part(1), ['alpha', 'bad']]]);
    expect(planned.held.map((h) => [h.update.depName, h.reason, h.detail]).sort()).toEqual([
      ['charlie', 'closed-pr', 'PR #9 proposing 1.3.0 was closed without merging; ignored until a newer version appears'],
      ['delta', 'closed-pr', 'PR #9 proposing 1.1.0 was closed without merging; ignored until a newer version appears'],
    ]);
    // Without the split marker the same closed group PR is a person's "no".
    const byPerson = plan(four, [{ ...openPr(7, GROUP, four), state: 'closed' }]);
    expect(byPerson.held.map((h) => h.reason)).toEqual(['closed-pr', 'closed-pr', 'closed-pr', 'closed-pr']);
  });
});

describe('split markers, bodies and comments', () => {
  const prs = [openPr(7, GROUP, four)];
  const split = planSplits({ plan: plan(four, prs), checks: { [GROUP]: { checks: failed } }, pullRequests: prs, policy });

  it("a part's body says where it came from and why; its marker reads back; with one package failing it names the culprit", () => {
    const body = renderPullRequestBody(split.pullRequests[0]!, { automerge: false, rollouts: [] }, NOW);
    expect(body).toContain('> **Split from #7:** `ci/test` failed on that PR of group **npm-non-major**, so maint split its updates in two; this is part 1 of 2.');
    expect(body).not.toContain('This is the update that fails');
    expect(splitOrigin(body)).toEqual({ from: 7, depth: 1, part: 1, root: GROUP, failing: ['ci/test'] });
    expect(proposedUpdates(body).map((p) => p.key)).toEqual(['npm:alpha', 'npm:bad']);
    // A plain PR's body has no split.
    expect(splitOrigin(renderPullRequestBody(plan(four, [])[`pullRequests`][0]!, { automerge: false, rollouts: [] }, NOW))).toBeUndefined();

    const culprit: PlannedPullRequest = { ...split.pullRequests[0]!, updates: [four[1]!], split: { from: 8, depth: 2, part: 2, root: GROUP, failing: ['ci/test'] } };
    const failingBody = renderPullRequestBody(culprit, { automerge: false, rollouts: [], checks: failed }, NOW);
    expect(failingBody).toContain('> **This is the update that fails:** `ci/test` fails with `bad` 1.0.1 alone. The rest of the group goes on in its other parts.');
    // A check name with `--` cannot end the hidden marker early.
    const odd = renderPullRequestBody({ ...culprit, split: { ...culprit.split!, failing: ['ci --> test'] } }, { automerge: false, rollouts: [] }, NOW);
    expect(splitOrigin(odd)!.failing).toEqual(['ci --> test']);
  });

  it('the closed PR records its parts in a marker, and its comment links them', () => {
    const marker = splitClosedMarker({ into: [8, 9], failing: ['ci/test', 'x--y'] });
    expect(marker).toMatch(/^<!-- maint-deps:split-closed \{.*\} -->$/);
    expect(marker.slice(4, -3)).not.toContain('--y');
    expect(readSplitClosed(`some body\n\n${marker}`)).toEqual({ into: [8, 9], failing: ['ci/test', 'x--y'] });
    expect(readSplitClosed('a body a person wrote')).toBeUndefined();
    expect(readSplitClosed('<!-- maint-deps:split-closed {"into":"8"} -->')).toBeUndefined();

    const comment = splitComment(split.splits[0]!, [{ number: 8, updates: ['alpha 1.2.0', 'bad 1.0.1'] }, { number: 9, updates: ['charlie 1.3.0', 'delta 1.1.0'] }]);
    expect(comment).toContain('**Split:** `ci/test` failed on this PR: maint split its 4 updates into two smaller PRs');
    expect(comment).toContain('- #8 (part 1): alpha 1.2.0, bad 1.0.1\n- #9 (part 2): charlie 1.3.0, delta 1.1.0');
    expect(comment).toContain('closed by that split, not declined');
    expect(comment.endsWith(SPLIT_COMMENT_MARKER)).toBe(true);
  });

  it('failing check names come from the verdict, or from its detail lines for results recorded before it named them', () => {
    expect(failingChecks(failed)).toEqual(['ci/test']);
    expect(failingChecks({ state: 'failure', details: ['ci/test: failure', 'build: success', 'e2e: timed_out', 'docs: skipped', 'ci/lint: error'] })).toEqual(['ci/test', 'e2e', 'ci/lint']);
  });
});
