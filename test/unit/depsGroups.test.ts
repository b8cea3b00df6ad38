import { sourceRepositoryKey, typedPackage } from '../../policies/deps/groups';
import { planUpdates, type ResolvedUpdatePolicy } from '../../policies/deps/plan';
import { renderPullRequestBody } from '../../policies/deps/prBody';
import { resolvePolicy } from '../../policies/deps/resolve';
import { dependenciesSchema } from '../../policies/deps/schema';
import type { DetectedUpdate } from '../../policies/deps/types';

const NOW = new Date('2026-11-23T12:00:00Z');

function dep(depName: string, updateType: DetectedUpdate['updateType'], extra: Partial<DetectedUpdate> = {}): DetectedUpdate {
  const [from, to] = updateType === 'major' ? ['1.0.0', '2.0.0'] : updateType === 'minor' ? ['1.0.0', '1.1.0'] : ['1.0.0', '1.0.1'];
  return {
    manager: 'npm', packageFile: 'package.json', depName, datasource: 'npm', depType: 'dependencies',
    currentValue: `^${from}`, currentVersion: from, updateType, newValue: `^${to}`, newVersion: to, releaseTimestamp: '2026-10-01T00:00:00Z',
    ...extra,
  };
}
const src = (url: string): Partial<DetectedUpdate> => ({ links: { source: url } });
const dev: Partial<DetectedUpdate> = { depType: 'devDependencies' };

const policy = (extra: Partial<ResolvedUpdatePolicy> = {}): ResolvedUpdatePolicy => ({
  ...resolvePolicy('acme/web', []), maxOpenPRs: 50, prsPerHour: 50, ...extra,
});

/** branch → the packages on it, sorted by branch. */
function branches(updates: DetectedUpdate[], p: ResolvedUpdatePolicy = policy()): Record<string, string[]> {
  const plan = planUpdates({ updates, policy: p, pullRequests: [], now: NOW });
  return Object.fromEntries(plan.pullRequests.map((pr) => [pr.branch, [...new Set(pr.updates.map((u) => u.depName))]] as [string, string[]]).sort(([a], [b]) => a.localeCompare(b)));
}

describe('default groups: which update lands in which group', () => {
  it('packages of one source repository share a monorepo group (eslint + @eslint/js), found from registry metadata', () => {
    expect(branches([
      dep('eslint', 'minor', src('https://github.com/eslint/eslint')),
      dep('@eslint/js', 'patch', src('git+https://github.com/eslint/eslint.git')),
      dep('left-pad', 'patch', src('https://github.com/stevemao/left-pad')),
    ])).toEqual({
      'maint/deps/group-monorepo-eslint': ['@eslint/js', 'eslint'],
      'maint/deps/npm-left-pad': ['left-pad'],
    });
  });

  it('without a source, one npm scope is one group (@langchain/*); a package alone keeps its own branch', () => {
    expect(branches([dep('@langchain/core', 'minor'), dep('@langchain/openai', 'patch'), dep('@acme/util', 'patch'), dep('tiny', 'patch')])).toEqual({
      'maint/deps/group-scope-langchain': ['@langchain/core', '@langchain/openai'],
      'maint/deps/npm-acme-util': ['@acme/util'],
      'maint/deps/npm-tiny': ['tiny'],
    });
  });

  it('the source wins over the scope: one scope released from two repositories is two groups', () => {
    expect(branches([
      dep('@langchain/core', 'minor', src('https://github.com/langchain-ai/langchainjs')),
      dep('@langchain/openai', 'minor', src('https://github.com/langchain-ai/langchainjs/tree/main/libs/langchain-openai')),
      dep('@langchain/langgraph', 'minor', src('https://github.com/langchain-ai/langgraphjs')),
      dep('@langchain/langgraph-sdk', 'patch', src('https://github.com/langchain-ai/langgraphjs')),
    ])).toEqual({
      'maint/deps/group-monorepo-langchain-ai-langchainjs': ['@langchain/core', '@langchain/openai'],
      'maint/deps/group-monorepo-langchain-ai-langgraphjs': ['@langchain/langgraph', '@langchain/langgraph-sdk'],
    });
  });

  it('majors stay separate: a group\'s majors get group-<name>-major, a lone major its package branch', () => {
    expect(branches([
      dep('@babel/core', 'major', src('https://github.com/babel/babel')),
      dep('@babel/preset-env', 'major', src('https://github.com/babel/babel')),
      dep('@babel/parser', 'minor', src('https://github.com/babel/babel')),
      dep('@babel/types', 'patch', src('https://github.com/babel/babel')),
      dep('@babel/cli', 'major', { ...src('https://github.com/babel/babel'), manager: 'npm' }),
    ])).toEqual({
      'maint/deps/group-monorepo-babel': ['@babel/parser', '@babel/types'],
      'maint/deps/group-monorepo-babel-major': ['@babel/cli', '@babel/core', '@babel/preset-env'],
    });
    expect(branches([dep('eslint', 'major', src('https://github.com/eslint/eslint')), dep('@eslint/js', 'minor', src('https://github.com/eslint/eslint'))])).toEqual({
      'maint/deps/npm-eslint-major': ['eslint'],
      'maint/deps/npm-eslint-js': ['@eslint/js'],
    });
  });

  it('@types/x goes with x: into x\'s group, or both into x-with-types; never @types alone into a monorepo', () => {
    expect(branches([dep('react', 'minor'), dep('@types/react', 'patch', dev), dep('@types/node', 'patch'), dep('@types/lodash', 'minor')])).toEqual({
      'maint/deps/group-react-with-types': ['@types/react', 'react'],
      // Two @types without their package: DefinitelyTyped is one repository for all, not a monorepo.
      'maint/deps/npm-types-lodash': ['@types/lodash'],
      'maint/deps/npm-types-node': ['@types/node'],
    });
    expect(branches([
      dep('@babel/core', 'minor', src('https://github.com/babel/babel')), dep('@babel/parser', 'minor', src('https://github.com/babel/babel')),
      dep('@types/babel__core', 'patch', { ...dev, ...src('https://github.com/DefinitelyTyped/DefinitelyTyped') }),
    ])).toEqual({ 'maint/deps/group-monorepo-babel': ['@babel/core', '@babel/parser', '@types/babel__core'] });
    // Major with major only: a minor of the types does not ride on the package's major.
    expect(branches([dep('react', 'major'), dep('@types/react', 'minor')])).toEqual({
      'maint/deps/npm-react-major': ['react'],
      'maint/deps/npm-types-react': ['@types/react'],
    });
    expect(typedPackage('@types/babel__core')).toBe('@babel/core');
    expect(typedPackage('@types/node')).toBe('node');
    expect(typedPackage('node')).toBeUndefined();
  });

  it('non-major devDependencies share npm-dev-non-major; a dev major, a production update and other managers do not', () => {
    expect(branches([
      dep('jest', 'minor', dev), dep('prettier', 'patch', dev), dep('typescript', 'major', dev), dep('express', 'patch'),
      dep('actions/checkout', 'minor', { manager: 'github-actions', datasource: 'github-tags', depType: 'action' }),
    ])).toEqual({
      'maint/deps/github-actions-actions-checkout': ['actions/checkout'],
      'maint/deps/group-npm-dev-non-major': ['jest', 'prettier'],
      'maint/deps/npm-express': ['express'],
      'maint/deps/npm-typescript-major': ['typescript'],
    });
    // A package that is dev in one place and an override in another is not a dev dependency only: its own branch, both places on it.
    expect(branches([dep('undici', 'patch', dev), dep('undici', 'patch', { depType: 'overrides' }), dep('jest', 'minor', dev)])).toEqual({
      'maint/deps/group-npm-dev-non-major': ['jest'],
      'maint/deps/npm-undici': ['undici'],
    });
  });

  it('the policy\'s groups win over the default groups', () => {
    const p = policy({ groups: [{ name: 'frontend', packages: ['eslint', 'react'] }] });
    expect(branches([
      dep('eslint', 'minor', src('https://github.com/eslint/eslint')), dep('@eslint/js', 'minor', src('https://github.com/eslint/eslint')),
      dep('@eslint/eslintrc', 'minor', src('https://github.com/eslint/eslint')),
      dep('react', 'patch'), dep('@types/react', 'patch', dev), dep('jest', 'patch', dev),
    ], p)).toEqual({
      'maint/deps/group-frontend': ['@types/react', 'eslint', 'react'],
      // eslint is in the policy's group; the other two still form the monorepo group.
      'maint/deps/group-monorepo-eslint': ['@eslint/eslintrc', '@eslint/js'],
      'maint/deps/group-npm-dev-non-major': ['jest'],
    });
    // A policy group whose updateTypes leave majors out: the major falls to the defaults.
    const nonMajor = policy({ groups: [{ name: 'npm-non-major', managers: ['npm'], updateTypes: ['minor', 'patch'] }] });
    expect(branches([dep('@x/a', 'major'), dep('@x/b', 'major'), dep('c', 'minor', dev), dep('@types/c', 'patch', dev)], nonMajor)).toEqual({
      'maint/deps/group-npm-non-major': ['@types/c', 'c'],
      'maint/deps/group-scope-x-major': ['@x/a', '@x/b'],
    });
  });

  it('switched off: defaultGroups false, or one by one; the policy file says so', () => {
    const updates = [dep('@x/a', 'minor'), dep('@x/b', 'minor'), dep('react', 'minor'), dep('@types/react', 'minor'), dep('jest', 'minor', dev), dep('vitest', 'patch', dev)];
    const off = (text: unknown) => resolvePolicy('acme/web', dependenciesSchema.parse({ policies: [{ defaultGroups: text }] }).policies);
    expect(Object.keys(branches(updates, policy({ defaultGroups: off(false).defaultGroups! })))).toEqual([
      'maint/deps/npm-jest', 'maint/deps/npm-react', 'maint/deps/npm-types-react', 'maint/deps/npm-vitest', 'maint/deps/npm-x-a', 'maint/deps/npm-x-b',
    ]);
    expect(Object.keys(branches(updates, policy({ defaultGroups: off({ types: false, devDependencies: false }).defaultGroups! })))).toEqual([
      'maint/deps/group-scope-x', 'maint/deps/npm-jest', 'maint/deps/npm-react', 'maint/deps/npm-types-react', 'maint/deps/npm-vitest',
    ]);
    expect(Object.keys(branches(updates, policy({ defaultGroups: off({ monorepos: false }).defaultGroups! })))).toEqual([
      'maint/deps/group-npm-dev-non-major', 'maint/deps/group-react-with-types', 'maint/deps/npm-x-a', 'maint/deps/npm-x-b',
    ]);
    expect(resolvePolicy('acme/web', []).defaultGroups).toEqual({ monorepos: true, types: true, devDependencies: true });
    // A later policy overrides the field, as every other.
    const merged = dependenciesSchema.parse({ policies: [{ defaultGroups: false }, { repositories: ['acme/api'], defaultGroups: { types: false } }] }).policies;
    expect(resolvePolicy('acme/api', merged).defaultGroups).toEqual({ monorepos: true, types: false, devDependencies: true });
    expect(resolvePolicy('acme/web', merged).defaultGroups).toEqual({ monorepos: false, types: false, devDependencies: false });
    const bad = dependenciesSchema.safeParse({ policies: [{ defaultGroups: { monorepo: false } }] });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toContain('defaultGroups');
  });

  it('branch names and titles are stable: the same updates in any order give the same plan; the dry run says why each group exists', () => {
    const updates = [
      dep('eslint', 'minor', src('https://github.com/eslint/eslint')), dep('@eslint/js', 'patch', src('https://github.com/eslint/eslint')),
      dep('react', 'minor'), dep('@types/react', 'patch', dev), dep('jest', 'minor', dev), dep('prettier', 'patch', dev),
    ];
    const plan = (list: DetectedUpdate[]) => planUpdates({ updates: list, policy: policy(), pullRequests: [], now: NOW }).pullRequests
      .map((p) => [p.branch, p.title, p.group, p.groupReason, p.updates.map((u) => u.depName)]);
    const forward = plan(updates);
    expect(plan([...updates].reverse())).toEqual(forward);
    expect(forward).toEqual([
      ['maint/deps/group-monorepo-eslint', 'Update monorepo-eslint (2 packages)', 'monorepo-eslint', 'default: same source github.com/eslint/eslint', ['@eslint/js', 'eslint']],
      ['maint/deps/group-npm-dev-non-major', 'Update npm-dev-non-major (2 packages)', 'npm-dev-non-major', 'default: non-major devDependencies', ['jest', 'prettier']],
      ['maint/deps/group-react-with-types', 'Update react-with-types (2 packages)', 'react-with-types', 'default: react with @types/react', ['@types/react', 'react']],
    ]);
    const majors = planUpdates({ updates: [dep('@x/a', 'major'), dep('@x/b', 'major')], policy: policy(), pullRequests: [], now: NOW }).pullRequests;
    expect(majors.map((p) => [p.branch, p.title])).toEqual([['maint/deps/group-scope-x-major', 'Update scope-x (major: 2 packages)']]);
    const body = renderPullRequestBody(planUpdates({ updates, policy: policy(), pullRequests: [], now: NOW }).pullRequests[0]!, { automerge: false, rollouts: [] }, NOW);
    expect(body).toContain('This PR updates 2 dependencies of group **monorepo-eslint**. A default group (same source github.com/eslint/eslint); `defaultGroups: false` in the policy switches default groups off.');
  });

  it('upgrading with a per-package PR open: closing it once its update is in a group declines nothing; closing the group PR does', () => {
    const updates = [dep('@x/a', 'minor'), dep('@x/b', 'patch')];
    const closed = (branch: string, number: number) => ({
      number, url: `https://github.example/acme/web/pull/${number}`, branch, state: 'closed' as const, createdAt: '2026-11-01T00:00:00Z', closedAt: '2026-11-20T00:00:00Z',
      proposed: [{ key: 'npm:@x/a', to: '1.1.0' }],
    });
    const old = planUpdates({ updates, policy: policy(), pullRequests: [closed('maint/deps/npm-x-a', 3)], now: NOW });
    expect(old.pullRequests.map((p) => [p.branch, p.updates.map((u) => u.depName)])).toEqual([['maint/deps/group-scope-x', ['@x/a', '@x/b']]]);
    expect(old.held).toEqual([]);
    const group = planUpdates({ updates, policy: policy(), pullRequests: [closed('maint/deps/group-scope-x', 4)], now: NOW });
    expect(group.pullRequests.map((p) => [p.branch, p.updates.map((u) => u.depName)])).toEqual([['maint/deps/npm-x-b', ['@x/b']]]);
    expect(group.held).toEqual([expect.objectContaining({ reason: 'closed-pr', detail: 'PR #4 proposing 1.1.0 was closed without merging; ignored until a newer version appears' })]);
  });

  it('reads source repositories the ways registries write them', () => {
    for (const url of ['https://github.com/eslint/eslint', 'git+https://github.com/eslint/eslint.git', 'git://github.com/eslint/eslint.git', 'git@github.com:eslint/eslint.git',
      'https://github.com/eslint/eslint/tree/main/packages/js', 'HTTPS://GitHub.com/ESLint/eslint/', 'git+ssh://git@github.com/eslint/eslint.git']) {
      expect([url, sourceRepositoryKey(url)]).toEqual([url, 'github.com/eslint/eslint']);
    }
    expect(sourceRepositoryKey('https://eslint.org')).toBeUndefined();
    expect(sourceRepositoryKey(undefined)).toBeUndefined();
  });
});
