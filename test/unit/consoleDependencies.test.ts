import { dependencyRepositoryView } from '../../policies/console/dependencies';
import type { DependencyRunSummary } from '../../policies/deps/run';
import { dependenciesPage } from '../../web/console/pages';

const update = (depName: string, from: string, to: string) => ({ depName, manager: 'npm', packageFile: 'package.json', from, to, type: 'minor' });

const summary: DependencyRunSummary = {
  repo: 'acme/shop', dryRun: false, startedAt: '2026-12-02T09:00:00.000Z', finishedAt: '2026-12-02T09:01:00.000Z',
  managers: [{ manager: 'npm', packageFiles: ['package.json'], dependencies: 12 }],
  problems: [{ level: 'warning', message: 'PR #7 (maint/lodash-4.x): labels could not be set' }],
  pullRequests: [
    { branch: 'maint/lodash-4.x', title: 'Update lodash to 4.17.21', outcome: 'unchanged', number: 7, url: 'https://github.example/acme/shop/pull/7', updates: [update('lodash', '4.17.20', '4.17.21')], automerge: 'waits for window deps-nightly (next 2026-12-02T22:00:00.000Z)' },
    { branch: 'maint/react-18.x', title: 'Update react to 18.3.1', outcome: 'created', number: 8, url: 'https://github.example/acme/shop/pull/8', updates: [update('react', '18.2.0', '18.3.1')], automerge: 'not merged: checks pending (ci/test)' },
    { branch: 'maint/express-4.x', title: 'Update express to 4.19.2', outcome: 'updated', number: 9, url: 'https://github.example/acme/shop/pull/9', updates: [update('express', '4.18.0', '4.19.2')] },
    { branch: 'maint/chalk-5.x', title: 'Update chalk to 5.3.0', outcome: 'merged', number: 5, url: 'https://github.example/acme/shop/pull/5', updates: [update('chalk', '5.2.0', '5.3.0')] },
    { branch: 'maint/vite-5.x', title: 'Update vite to 5.1.0', outcome: 'failed', updates: [update('vite', '5.0.0', '5.1.0')], error: 'GitHub answered 502' },
  ],
  waiting: [{ branch: 'maint/zod-3.x', title: 'Update zod to 3.23.8', limit: 'maxOpenPRs 3 reached' }],
  held: [
    { depName: 'typescript', manager: 'npm', to: '5.7.2', reason: 'pending-release-age', detail: 'released 1 day ago; minimumReleaseAge is 3 days' },
    { depName: 'eslint', manager: 'npm', to: '10.0.0', reason: 'not-allowed', detail: 'major updates are not allowed by the policy' },
  ],
  stale: [],
};

describe('the console\'s dependencies view of a repository', () => {
  it('lists the open upgrade PRs, and what waits and why: window, checks, limits, release age, policy', () => {
    const view = dependencyRepositoryView({ repo: 'acme/shop', baseBranch: 'main', mergeWindow: 'deps-nightly', state: 'completed', summary });
    expect(view.openPullRequests.map((p) => [p.number, p.outcome, p.updates])).toEqual([
      [7, 'unchanged', ['lodash 4.17.20 → 4.17.21']],
      [8, 'created', ['react 18.2.0 → 18.3.1']],
      [9, 'updated', ['express 4.18.0 → 4.19.2']],
    ]);
    expect(view.merged.map((p) => p.number)).toEqual([5]);
    expect(view.waiting.map((w) => [w.kind, w.what, w.why])).toEqual([
      ['window', 'merge of #7 Update lodash to 4.17.21', 'waits for window deps-nightly (next 2026-12-02T22:00:00.000Z)'],
      ['checks', 'merge of #8 Update react to 18.3.1', 'not merged: checks pending (ci/test)'],
      ['limits', 'new PR Update zod to 3.23.8', 'maxOpenPRs 3 reached'],
      ['release age', 'typescript → 5.7.2 (npm)', 'released 1 day ago; minimumReleaseAge is 3 days'],
      ['policy', 'eslint → 10.0.0 (npm)', 'major updates are not allowed by the policy'],
    ]);
    expect(view.problems).toEqual(['warning: PR #7 (maint/lodash-4.x): labels could not be set', 'Update vite to 5.1.0: GitHub answered 502']);
    expect(view).toMatchObject({ repo: 'acme/shop', state: 'completed', finishedAt: '2026-12-02T09:01:00.000Z', mergeWindow: 'deps-nightly', dryRun: false });
  });

  it('a repository never scanned has nothing open and nothing waiting', () => {
    expect(dependencyRepositoryView({ repo: 'acme/api', baseBranch: 'main', state: 'never run' })).toEqual({
      repo: 'acme/api', baseBranch: 'main', state: 'never run', dryRun: false, openPullRequests: [], merged: [], waiting: [], problems: [],
    });
  });

  it('renders each wait with its kind and reason, escaped; only http(s) PR addresses become links', async () => {
    const hostile = { ...summary, pullRequests: [{ ...summary.pullRequests[0]!, title: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)' }, summary.pullRequests[1]!] };
    const view = dependencyRepositoryView({ repo: 'acme/shop', baseBranch: 'main', mergeWindow: 'deps-nightly', state: 'completed', summary: hostile });
    const text = String(await dependenciesPage({ repositories: [view] }, { identity: { name: 'victor', role: 'viewer', via: 'password' }, csrf: 't' }));
    expect(text).toContain('<a href="https://github.example/acme/shop/pull/8">#8 Update react to 18.3.1</a>');
    expect(text).not.toContain('javascript:');
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toMatch(/<tr data-kind="checks"><td>merge of #8 Update react to 18.3.1<\/td><td><span class="pill p-warn">checks<\/span><\/td><td>not merged: checks pending \(ci\/test\)<\/td><\/tr>/);
    expect(text).toContain('What waits, and why (5)');
  });
});
