import semver from 'semver';
import { formatMs } from '../common/durations';
import type { PolicyUpdateType } from './schema';
import { isPrManager, managerFor } from './managers';
import { dependencyTitle, shortName } from './managers/manager';
import type { DetectedUpdate } from './types';
import { ALL_DEFAULT_GROUPS, assignGroups, globMatches, slug, type DefaultGroupSwitches, type GroupAssignment, type PolicyGroup } from './groups';

export { globMatches };

/** Every branch we own starts with this; PRs on other branches are never touched. */
export const BRANCH_PREFIX = 'maint/deps/';

/** The update policy for one repository after merging every matching policy (defaults filled in). */
export interface ResolvedUpdatePolicy {
  updateTypes: PolicyUpdateType[];
  minimumReleaseAgeMs?: number;
  ignore: string[];
  allow?: string[];
  groups: PolicyGroup[];
  /** Renovate's usual groups (monorepos, types with their package, non-major dev dependencies); all on when absent. */
  defaultGroups?: DefaultGroupSwitches;
  maxOpenPRs: number;
  prsPerHour: number;
  labels: string[];
  reviewers: string[];
  mergeWindow?: string;
  /** The window inside which new PRs are opened (Renovate's schedule); security updates ignore it. */
  openWindow?: string;
  automergeUpdateTypes?: PolicyUpdateType[];
}

/** What a PR we opened proposed, as recorded in a hidden marker in its body. */
export interface ProposedUpdate {
  /** manager:depName */
  key: string;
  to: string;
  digest?: string;
}

/** What a PR's marker records when it is one part of a split group PR (policies/deps/split.ts). */
export interface SplitOrigin {
  /** The PR it was split from. */
  from: number;
  /** 1 for halves of the group PR, 2 for halves of a half, … */
  depth: number;
  part: 1 | 2;
  /** The group's own branch (`maint/deps/group-x`): its updates that a part holds go to that part. */
  root: string;
  /** The checks that failed on the PR it was split from. */
  failing: string[];
}

export interface ExistingPullRequest {
  number: number;
  url: string;
  branch: string;
  state: 'open' | 'closed' | 'merged';
  createdAt: string;
  closedAt?: string;
  /** When it was merged (by us or by a person). */
  mergedAt?: string;
  proposed: ProposedUpdate[];
  /** A reviewer ticked the rebase/retry box of this open PR. */
  rebaseRequested?: boolean;
  /** It is a part of a split group PR (its marker says so). */
  split?: SplitOrigin;
  /** It was closed because it was split into these PRs: not declined. */
  splitInto?: number[];
}

export interface PlannedPullRequest {
  branch: string;
  title: string;
  group?: string;
  /** Why the updates share this PR: `policy`, `default: same scope @acme/*`. */
  groupReason?: string;
  updates: DetectedUpdate[];
  /** The open PR on this branch, updated in place; `rebase`: its box was ticked, so the branch is rebuilt even over others' commits. */
  existing?: { number: number; url: string; rebase?: boolean };
  /** All updates are of a type the policy automerges (merging still needs the window and green checks). */
  automerge: boolean;
  /** A part of a split group PR (policies/deps/split.ts); recorded in its body's marker. */
  split?: SplitOrigin;
}

export type HeldReason = 'reported-only' | 'not-allowed' | 'ignored' | 'pending-release-age' | 'closed-pr' | 'limit' | 'schedule';

export interface HeldUpdate {
  update: DetectedUpdate;
  reason: HeldReason;
  /** A sentence for the run summary. */
  detail: string;
}

/** A new PR the limits hold back this run, in the order it will be opened. */
export interface WaitingPullRequest {
  branch: string;
  title: string;
  /** Which limit, with the counts: `maxOpenPRs 10: …`. */
  limit: string;
}

export interface UpdatePlan {
  /** In the order they are opened: security first, then digest < patch < minor < major, then the longest waiting. */
  pullRequests: PlannedPullRequest[];
  /** New PRs the limits hold back, in the same order. */
  waiting: WaitingPullRequest[];
  held: HeldUpdate[];
  /** Open PRs of ours that no longer carry any update (done on the base branch, or no longer allowed). */
  stale: { number: number; url: string; branch: string }[];
}

export function updateKey(u: Pick<DetectedUpdate, 'manager' | 'depName'>): string {
  return `${u.manager}:${u.depName}`;
}

/** The policy's type for an update: Renovate's pin/pinDigest count as digest, bump/rollback/replacement by their semver distance. */
export function policyType(u: Pick<DetectedUpdate, 'updateType' | 'currentVersion' | 'newVersion'>): PolicyUpdateType {
  switch (u.updateType) {
    case 'major':
    case 'minor':
    case 'patch':
    case 'digest':
      return u.updateType;
    case 'pin':
    case 'pinDigest':
    case 'lockFileMaintenance':
      return 'digest';
    default: {
      const from = semver.coerce(u.currentVersion ?? '');
      const to = semver.coerce(u.newVersion);
      if (!from || !to) return 'major';
      const diff = semver.diff(from, to);
      return diff === 'patch' || diff === 'minor' ? diff : diff === null ? 'digest' : 'major';
    }
  }
}

/** Orders candidate versions: semver where both parse (loosely), otherwise the update type's size. */
function newer(a: DetectedUpdate, b: DetectedUpdate): DetectedUpdate {
  const va = semver.coerce(a.newVersion, { includePrerelease: true });
  const vb = semver.coerce(b.newVersion, { includePrerelease: true });
  if (va && vb && semver.neq(va, vb)) return semver.gt(va, vb) ? a : b;
  const rank: Record<PolicyUpdateType, number> = { digest: 0, patch: 1, minor: 2, major: 3 };
  return rank[policyType(a)] >= rank[policyType(b)] ? a : b;
}

/** A group's branch: `group-<name>`, its majors on `group-<name>-major` (as Renovate's separateMajorMinor). */
export function groupBranch(group: Pick<GroupAssignment, 'name' | 'major'>): string {
  return `${BRANCH_PREFIX}group-${group.name}${group.major ? '-major' : ''}`;
}

function branchFor(u: DetectedUpdate, group: GroupAssignment | undefined): string {
  if (group !== undefined) return groupBranch(group);
  // Its own branch, as Renovate's vulnerabilityAlerts branchTopic `{datasource}-{depName}-vulnerability`.
  if (u.vulnerabilityAlert) return `${BRANCH_PREFIX}${u.manager}-${slug(u.depName)}-vulnerability`;
  return `${BRANCH_PREFIX}${u.manager}-${slug(u.depName)}${policyType(u) === 'major' ? '-major' : ''}`;
}

export function titleFor(updates: DetectedUpdate[], group: string | undefined, split?: Pick<SplitOrigin, 'from' | 'part'>): string {
  // Renovate's vulnerabilityAlerts commitMessageSuffix `[SECURITY]`.
  if (updates.some((u) => u.vulnerabilityAlert)) return `${plainTitle(updates, group, split)} [security]`;
  return plainTitle(updates, group, split);
}

function plainTitle(updates: DetectedUpdate[], group: string | undefined, split?: Pick<SplitOrigin, 'from' | 'part'>): string {
  if (group !== undefined) {
    const names = [...new Set(updates.map((u) => shortName(u.depName)))];
    const major = updates.every((u) => policyType(u) === 'major') ? 'major: ' : '';
    const part = split ? `, part ${split.part} of #${split.from}` : '';
    return `Update ${group} (${major}${names.length === 1 ? names[0] : `${names.length} packages`}${part})`;
  }
  const u = updates[0]!;
  const to = u.newValue === u.currentValue && u.newDigest ? `${u.newValue} (digest ${u.newDigest.slice(0, 19)})` : u.newValue;
  return (managerFor(u.manager)?.prTitle ?? dependencyTitle)(u, to);
}

/** All updates are of a type the policy automerges, and a merge window governs when. */
export function automergeFor(policy: Pick<ResolvedUpdatePolicy, 'automergeUpdateTypes' | 'mergeWindow'>, updates: DetectedUpdate[]): boolean {
  const types = policy.automergeUpdateTypes;
  return types !== undefined && policy.mergeWindow !== undefined && updates.every((u) => types.includes(policyType(u)));
}

/**
 * Decides which detected updates become which PRs. Pure and deterministic: the same scan, policy,
 * PRs and clock give the same plan, so a re-run updates PRs in place instead of adding new ones.
 */
export function planUpdates(input: {
  updates: DetectedUpdate[];
  policy: ResolvedUpdatePolicy;
  pullRequests: ExistingPullRequest[];
  now: Date;
  /** The policy's openWindow is closed now (why, for the summary): new PRs other than security fixes wait. */
  scheduleClosed?: string;
}): UpdatePlan {
  const { policy, now } = input;
  const held: HeldUpdate[] = [];
  const hold = (update: DetectedUpdate, reason: HeldReason, detail: string) => held.push({ update, reason, detail });

  // A PR closed without merging means "not this version": remember what each proposed.
  const declined = new Map<string, { number: number }>();
  for (const pr of input.pullRequests) {
    // A PR closed because it was split declines nothing: its updates went on in its parts.
    if (pr.state !== 'closed' || pr.splitInto !== undefined) continue;
    // On its branch only: a per-package PR closed because its update moved into a group declines nothing in the group.
    // A part of a split group counts as the group's branch (its root).
    for (const p of pr.proposed) declined.set(`${pr.split?.root ?? pr.branch}@${p.key}@${p.to}@${p.digest ?? ''}`, { number: pr.number });
  }
  // While a split group's parts are open, each of its packages stays in the part that holds it: the group is not reopened whole.
  const splitHome = new Map<string, ExistingPullRequest>();
  for (const pr of input.pullRequests) {
    if (pr.state !== 'open' || pr.split === undefined) continue;
    for (const p of pr.proposed) splitHome.set(`${pr.split.root}\u0000${p.key}`, pr);
  }

  const eligible: DetectedUpdate[] = [];
  const candidates: DetectedUpdate[] = [];
  for (const u of input.updates) {
    const type = policyType(u);
    const name = u.depName;
    if (!isPrManager(u.manager)) hold(u, 'reported-only', `${u.manager} updates are reported, not opened as PRs`);
    else if (policy.allow !== undefined && !policy.allow.some((g) => globMatches(g, name))) hold(u, 'not-allowed', `${name} is not in the allow list`);
    else if (policy.ignore.some((g) => globMatches(g, name))) hold(u, 'ignored', `${name} is on the ignore list`);
    else if (!policy.updateTypes.includes(type)) hold(u, 'not-allowed', `${type} updates are not allowed (allowed: ${policy.updateTypes.join(', ')})`);
    // A security fix does not wait for minimumReleaseAge (Renovate's vulnerabilityAlerts: minimumReleaseAge null).
    else if (u.vulnerabilityAlert) eligible.push(u);
    else if (policy.minimumReleaseAgeMs !== undefined && u.releaseTimestamp === undefined) {
      hold(u, 'pending-release-age', `release time of ${u.newVersion} is unknown; minimumReleaseAge ${formatMs(policy.minimumReleaseAgeMs)} needs it`);
    } else if (policy.minimumReleaseAgeMs !== undefined && now.getTime() - Date.parse(u.releaseTimestamp!) < policy.minimumReleaseAgeMs) {
      const ready = new Date(Date.parse(u.releaseTimestamp!) + policy.minimumReleaseAgeMs);
      hold(u, 'pending-release-age', `${u.newVersion} was released ${u.releaseTimestamp}; waits until ${ready.toISOString()} (minimumReleaseAge ${formatMs(policy.minimumReleaseAgeMs)})`);
    } else eligible.push(u);
  }
  // The branch each update would be on, to compare with the branches of closed PRs.
  const predicted = assignGroups(eligible.filter((u) => !u.vulnerabilityAlert), policy.groups, policy.defaultGroups ?? ALL_DEFAULT_GROUPS, policyType);
  for (const u of eligible) {
    const closed = declined.get(`${branchFor(u, predicted.get(u))}@${updateKey(u)}@${u.newVersion}@${u.newDigest ?? ''}`);
    if (closed) hold(u, 'closed-pr', `PR #${closed.number} proposing ${u.newVersion} was closed without merging; ignored until a newer version appears`);
    else candidates.push(u);
  }

  // One target per dependency occurrence, and a major apart (as Renovate's separateMajorMinor): the newest allowed candidate.
  // An occurrence is a place in a file: the same package in `dependencies` and `overrides` (or dev/peer/optional,
  // resolutions) is two, both on the package's one branch, so the PR edits every place and npm accepts it
  // (npm refuses an override that differs from the direct dependency's spec: EOVERRIDE).
  const best = new Map<string, DetectedUpdate>();
  for (const u of candidates) {
    const key = `${u.packageFile}\u0000${updateKey(u)}\u0000${u.depType ?? ''}\u0000${policyType(u) === 'major'}`;
    const seen = best.get(key);
    // The security fix wins over a newer update of the same occurrence: it is the one that must land.
    best.set(key, !seen ? u : seen.vulnerabilityAlert !== u.vulnerabilityAlert ? (u.vulnerabilityAlert ? u : seen) : newer(seen, u));
  }

  const chosen = [...best.values()].sort(byFileThenName);
  // Security fixes are never grouped (Renovate's vulnerabilityAlerts: groupName null): each gets its own PR.
  const assignments = assignGroups(chosen.filter((u) => !u.vulnerabilityAlert), policy.groups, policy.defaultGroups ?? ALL_DEFAULT_GROUPS, policyType);
  const branches = new Map<string, { group?: GroupAssignment; updates: DetectedUpdate[] }>();
  for (const u of chosen) {
    const group = assignments.get(u);
    const own = branchFor(u, group);
    const branch = splitHome.get(`${own}\u0000${updateKey(u)}`)?.branch ?? own;
    const entry = branches.get(branch) ?? { ...(group !== undefined ? { group } : {}), updates: [] };
    entry.updates.push(u);
    branches.set(branch, entry);
  }

  const open = new Map(input.pullRequests.filter((pr) => pr.state === 'open').map((pr) => [pr.branch, pr]));
  let openCount = open.size;
  const hourAgo = now.getTime() - 3_600_000;
  const openedLastHour = input.pullRequests.filter((pr) => Date.parse(pr.createdAt) > hourAgo).length;
  let plannedNew = 0;
  const pullRequests: PlannedPullRequest[] = [];
  const waiting: WaitingPullRequest[] = [];
  for (const [branch, { group, updates }] of [...branches.entries()].sort(([a, x], [b, y]) => byPriority(a, x.updates, b, y.updates))) {
    const existing = open.get(branch);
    // Outside the schedule only new PRs wait (Renovate's updateNotScheduled: open ones stay current); security fixes do not.
    if (!existing && input.scheduleClosed !== undefined && !updates.some((u) => u.vulnerabilityAlert)) {
      for (const u of updates) hold(u, 'schedule', `${branch} waits: ${input.scheduleClosed}`);
      continue;
    }
    if (!existing) {
      const planned = plannedNew > 0 ? ` and ${plannedNew} more come before it in this run` : '';
      const limit = openCount >= policy.maxOpenPRs
        ? `${openCount} update PRs are open (maxOpenPRs ${policy.maxOpenPRs})`
        : openedLastHour + plannedNew >= policy.prsPerHour ? `${openedLastHour} update PRs were opened in the last hour${planned} (prsPerHour ${policy.prsPerHour})` : undefined;
      if (limit !== undefined) {
        for (const u of updates) hold(u, 'limit', `${branch} waits: ${limit}`);
        waiting.push({ branch, title: titleFor(updates, group?.name), limit });
        continue;
      }
      openCount += 1;
      plannedNew += 1;
    }
    const split = existing?.split;
    pullRequests.push({
      branch,
      title: titleFor(updates, group?.name, split),
      ...(group !== undefined ? { group: group.name, groupReason: group.reason } : {}),
      updates,
      ...(existing ? { existing: { number: existing.number, url: existing.url, ...(existing.rebaseRequested ? { rebase: true } : {}) } } : {}),
      automerge: automergeFor(policy, updates),
      ...(split ? { split } : {}),
    });
  }
  const planned = new Set(pullRequests.map((p) => p.branch));
  const stale = [...open.values()].filter((pr) => !planned.has(pr.branch) && !branches.has(pr.branch)).map((pr) => ({ number: pr.number, url: pr.url, branch: pr.branch }));
  return { pullRequests, waiting, held, stale };
}

const TYPE_ORDER: Record<PolicyUpdateType, number> = { digest: 0, patch: 1, minor: 2, major: 3 };

/**
 * The order PRs are opened in when limits allow only some, as Renovate's sortBranches: security
 * fixes first, then by update type (a branch counts as its largest), then the one waiting longest
 * (its oldest release; a release time unknown counts as oldest), then by branch name.
 */
function byPriority(a: string, x: DetectedUpdate[], b: string, y: DetectedUpdate[]): number {
  const security = (us: DetectedUpdate[]) => (us.some((u) => u.vulnerabilityAlert) ? 0 : 1);
  const type = (us: DetectedUpdate[]) => Math.max(...us.map((u) => TYPE_ORDER[policyType(u)]));
  const released = (us: DetectedUpdate[]) => Math.min(...us.map((u) => (u.releaseTimestamp !== undefined ? Date.parse(u.releaseTimestamp) : -Infinity)));
  return security(x) - security(y) || type(x) - type(y) || released(x) - released(y) || a.localeCompare(b);
}

function byFileThenName(a: DetectedUpdate, b: DetectedUpdate): number {
  return a.packageFile.localeCompare(b.packageFile) || a.depName.localeCompare(b.depName);
}
