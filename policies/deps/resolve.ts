import type { PolicyProblem } from '../common/errors';
import type { WindowTiming } from '../windows/schema';
import { globMatches, type ResolvedUpdatePolicy } from './plan';
import type { DependenciesDefinition, RepositoryDefinition, UpdatePolicyDefinition } from './schema';
import { POLICY_UPDATE_TYPES } from './schema';
import type { DefaultGroupSwitches } from './groups';

/** Secrets by name only: the worker reads them from its environment or a file. */
export type GitHubAuthRef =
  | { kind: 'token'; tokenEnv?: string; tokenFile?: string }
  | { kind: 'app'; appId: number; installationId: number; privateKeyEnv?: string; privateKeyFile?: string };

/** Everything the dependencyUpdates workflow needs about one repository (plain data, no secrets). */
export interface RepositoryPlan {
  repo: string;
  owner: string;
  name: string;
  baseBranch: string;
  managers: string[];
  checkout: { kind: 'github'; cloneUrl: string } | { kind: 'path'; path: string };
  github: { baseUrl: string; auth?: GitHubAuthRef };
  registries: { npm?: string; docker: { host: string; insecure: boolean }[]; pypi?: string; goproxy?: string; maven?: string };
  policy: ResolvedUpdatePolicy;
  /** The OSV dump (an absolute directory) advisories are read from, when configured. */
  advisories?: { osv: string };
  /** The organisation file holding the `dependencies` section, for errors that name a setting. */
  file?: string;
  /** The window that governs merging, with its timing so the workflow can tell whether it is open. */
  mergeWindow?: { name: string; timing: WindowTiming; rollouts: string[] };
  /** The window inside which new PRs are opened (the policy's openWindow), with its timing. */
  openWindow?: { name: string; timing: WindowTiming };
}

export const DEFAULT_MAX_OPEN_PRS = 10;
export const DEFAULT_PRS_PER_HOUR = 5;

/** `defaultGroups` as written (absent, a switch for all, or per group) to one switch per default group. */
function resolveDefaultGroups(value: UpdatePolicyDefinition['defaultGroups']): DefaultGroupSwitches {
  if (value === undefined || typeof value === 'boolean') {
    const on = value ?? true;
    return { monorepos: on, types: on, devDependencies: on };
  }
  return { monorepos: value.monorepos ?? true, types: value.types ?? true, devDependencies: value.devDependencies ?? true };
}

/** Merges every policy whose `repositories` match, in order: later policies override the fields they set. */
export function resolvePolicy(repo: string, policies: UpdatePolicyDefinition[]): ResolvedUpdatePolicy {
  const merged: Partial<UpdatePolicyDefinition> = {};
  for (const p of policies) {
    if (!p.repositories.some((g) => globMatches(g, repo))) continue;
    for (const [key, value] of Object.entries(p)) if (key !== 'repositories' && value !== undefined) Object.assign(merged, { [key]: value });
  }
  return {
    updateTypes: merged.updateTypes ?? [...POLICY_UPDATE_TYPES],
    ...(merged.minimumReleaseAge !== undefined ? { minimumReleaseAgeMs: merged.minimumReleaseAge } : {}),
    ignore: merged.ignore ?? [],
    ...(merged.allow !== undefined ? { allow: merged.allow } : {}),
    groups: merged.groups ?? [],
    defaultGroups: resolveDefaultGroups(merged.defaultGroups),
    maxOpenPRs: merged.limits?.maxOpenPRs ?? DEFAULT_MAX_OPEN_PRS,
    prsPerHour: merged.limits?.prsPerHour ?? DEFAULT_PRS_PER_HOUR,
    labels: merged.labels ?? [],
    reviewers: merged.reviewers ?? [],
    ...(merged.mergeWindow !== undefined ? { mergeWindow: merged.mergeWindow } : {}),
    ...(merged.openWindow !== undefined ? { openWindow: merged.openWindow } : {}),
    ...(merged.automerge !== undefined ? { automergeUpdateTypes: merged.automerge.updateTypes } : {}),
  };
}

/** The clone URL GitHub serves a repository at, derived from the API URL when not configured. */
export function cloneUrlFor(github: { baseUrl: string; gitUrl?: string }, repo: string): string {
  let root = github.gitUrl;
  if (root === undefined) {
    const api = new URL(github.baseUrl);
    root = api.hostname === 'api.github.com' ? 'https://github.com' : `${api.protocol}//${api.host}${api.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/$/, '')}`;
  }
  return `${root.replace(/\/$/, '')}/${repo}.git`;
}

/**
 * Compiles the `dependencies` section into one plan per repository, or problems with their paths.
 * `windows` are the organisation's windows (for mergeWindow); `resolvePath` makes checkout paths absolute.
 */
export function planRepositories(
  deps: DependenciesDefinition,
  windows: Map<string, { timing: WindowTiming; rollouts: string[] }>,
  resolvePath: (p: string) => string,
): { plans: RepositoryPlan[]; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const seen = new Map<string, number>();
  deps.repositories.forEach((r, i) => {
    const earlier = seen.get(r.repo.toLowerCase());
    if (earlier !== undefined) problems.push({ path: `dependencies.repositories[${i}].repo`, message: `${r.repo} is already listed at dependencies.repositories[${earlier}]` });
    else seen.set(r.repo.toLowerCase(), i);
  });
  deps.policies.forEach((p, i) => {
    if (p.openWindow !== undefined && !windows.has(p.openWindow)) {
      problems.push({ path: `dependencies.policies[${i}].openWindow`, message: `unknown window "${p.openWindow}"; defined: ${[...windows.keys()].join(', ') || 'none'}` });
    }
    if (p.mergeWindow !== undefined && !windows.has(p.mergeWindow)) {
      problems.push({ path: `dependencies.policies[${i}].mergeWindow`, message: `unknown window "${p.mergeWindow}"; defined: ${[...windows.keys()].join(', ') || 'none'}` });
    }
    const groupNames = new Set<string>();
    p.groups?.forEach((g, j) => {
      if (groupNames.has(g.name)) problems.push({ path: `dependencies.policies[${i}].groups[${j}].name`, message: `group "${g.name}" is defined twice in this policy` });
      groupNames.add(g.name);
    });
  });
  if (deps.repositories.length > 0 && deps.github?.auth === undefined) {
    problems.push({ path: 'dependencies.github.auth', message: 'is required to open PRs and clone: a token (tokenEnv/tokenFile) or a GitHub App' });
  }
  const github = deps.github ?? { baseUrl: 'https://api.github.com' };
  const plans: RepositoryPlan[] = [];
  deps.repositories.forEach((r: RepositoryDefinition, i) => {
    const policy = resolvePolicy(r.repo, deps.policies);
    if (policy.automergeUpdateTypes !== undefined && policy.mergeWindow === undefined) {
      problems.push({ path: `dependencies.repositories[${i}]`, message: `the policies for ${r.repo} set automerge without a mergeWindow; automerge happens only inside a maintenance window` });
    }
    const [owner, name] = r.repo.split('/') as [string, string];
    const window = policy.mergeWindow !== undefined ? windows.get(policy.mergeWindow) : undefined;
    plans.push({
      repo: r.repo,
      owner,
      name,
      baseBranch: r.baseBranch,
      managers: r.managers,
      checkout: r.checkout === 'github' ? { kind: 'github', cloneUrl: cloneUrlFor(github, r.repo) } : { kind: 'path', path: resolvePath(r.checkout.path) },
      github: { baseUrl: github.baseUrl, ...(deps.github?.auth !== undefined ? { auth: deps.github.auth } : {}) },
      registries: { ...(deps.registries?.npm !== undefined ? { npm: deps.registries.npm } : {}), docker: deps.registries?.docker ?? [], ...(deps.registries?.pypi !== undefined ? { pypi: deps.registries.pypi } : {}), ...(deps.registries?.goproxy !== undefined ? { goproxy: deps.registries.goproxy } : {}), ...(deps.registries?.maven !== undefined ? { maven: deps.registries.maven } : {}) },
      policy,
      ...(deps.advisories !== undefined ? { advisories: { osv: resolvePath(deps.advisories.osv) } } : {}),
      ...(window !== undefined ? { mergeWindow: { name: policy.mergeWindow!, ...window } } : {}),
      ...(policy.openWindow !== undefined && windows.has(policy.openWindow) ? { openWindow: { name: policy.openWindow, timing: windows.get(policy.openWindow)!.timing } } : {}),
    });
  });
  return { plans, problems };
}
