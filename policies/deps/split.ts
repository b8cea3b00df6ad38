import { automergeFor, titleFor, updateKey, type ExistingPullRequest, type PlannedPullRequest, type ResolvedUpdatePolicy, type SplitOrigin, type UpdatePlan } from './plan';
import type { DetectedUpdate } from './types';

/**
 * Bisecting a grouped PR whose checks fail (no peer does this): the group's updates go on in two
 * smaller PRs, so one bad bump does not hold back the rest. Each half that still fails is split
 * again on the next run, until the update that breaks the checks stands alone in its PR (the
 * culprit), which stays open for a person. Pure: decided from the plan and the checks the run read.
 */

export type { SplitOrigin };

/** The checks a run read on an open PR's head (activities/github/port.ts ChecksVerdict). */
export interface HeadChecks {
  state: 'success' | 'pending' | 'failure' | 'none';
  details: string[];
  /** Names of the checks that concluded failing; older results without it: read from `details`. */
  failing?: string[];
}

/** A failing group PR this run splits: it is closed once both halves are published. */
export interface PlannedSplit {
  number: number;
  url: string;
  branch: string;
  group: string;
  failing: string[];
  /** The two halves' branches, in order (part 1, part 2). */
  into: [string, string];
}

/** A PR of a split whose only update fails the checks on its own: the update that broke its group. */
export interface SplitCulprit {
  number: number;
  url: string;
  branch: string;
  depName: string;
  /** The group PR it was split from. */
  from: number;
  failing: string[];
}

export interface SplitPlan {
  /** The plan's PRs with each split PR replaced by its two halves, in its place. */
  pullRequests: PlannedPullRequest[];
  splits: PlannedSplit[];
  culprits: SplitCulprit[];
}

/** The names of the failing checks: `ci/test` of `ci/test: failure`. */
export function failingChecks(checks: HeadChecks): string[] {
  if (checks.failing !== undefined) return checks.failing;
  return checks.details
    .map((d) => /^(.*): ([a-z_]+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null && !['success', 'neutral', 'skipped', 'pending', 'queued', 'in_progress'].includes(m[2]!))
    .map((m) => m[1]!);
}

/** One package of one manager: its occurrences (dependencies + overrides, several files) stay together in a half. */
function units(updates: DetectedUpdate[]): DetectedUpdate[][] {
  const byKey = new Map<string, DetectedUpdate[]>();
  for (const u of updates) byKey.set(updateKey(u), [...(byKey.get(updateKey(u)) ?? []), u]);
  return [...byKey.entries()].sort(([a], [b]) => byName(a, b)).map(([, us]) => us);
}

/** By package name, then manager: `npm:b` before `pip_requirements:c`. */
function byName(a: string, b: string): number {
  const [ma, na] = [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)];
  const [mb, nb] = [b.slice(0, b.indexOf(':')), b.slice(b.indexOf(':') + 1)];
  return na.localeCompare(nb) || ma.localeCompare(mb);
}

const proposal = (u: Pick<DetectedUpdate, 'manager' | 'depName' | 'newVersion' | 'newDigest'>) => `${updateKey(u)}@${u.newVersion}@${u.newDigest ?? ''}`;

/** The branch of a half: `<branch>-split-<depth>-<part>`. */
export function splitBranch(branch: string, depth: number, part: 1 | 2): string {
  return `${branch}-split-${depth}-${part}`;
}

/**
 * Which planned PRs to split, into what. A PR is split when it is open, of a group, its head's
 * checks concluded failing, this run would leave its content as it is (the checks are about what
 * it proposes now), and it holds two or more packages: sorted by name, the first ceil(n/2) go to
 * part 1, the rest to part 2. A failing PR of a split with one package left is the culprit: left
 * open, and its body says so.
 */
export function planSplits(input: {
  plan: Pick<UpdatePlan, 'pullRequests'>;
  /** Checks of each open PR's head, by branch (what the run read). */
  checks: Record<string, { checks: HeadChecks }>;
  /** The PRs the run read: what each open one proposes now (its body's marker). */
  pullRequests: Pick<ExistingPullRequest, 'number' | 'proposed'>[];
  policy: Pick<ResolvedUpdatePolicy, 'automergeUpdateTypes' | 'mergeWindow'>;
}): SplitPlan {
  const out: SplitPlan = { pullRequests: [], splits: [], culprits: [] };
  for (const pr of input.plan.pullRequests) {
    const checks = input.checks[pr.branch]?.checks;
    const now = [...new Set(pr.updates.map(proposal))].sort();
    const existing = pr.existing ? input.pullRequests.find((p) => p.number === pr.existing!.number) : undefined;
    const before = [...new Set((existing?.proposed ?? []).map((p) => `${p.key}@${p.to}@${p.digest ?? ''}`))].sort();
    const failingNow = pr.existing !== undefined && pr.group !== undefined && checks?.state === 'failure' && !pr.existing.rebase
      && now.length === before.length && now.every((p, i) => p === before[i]);
    if (!failingNow) {
      out.pullRequests.push(pr);
      continue;
    }
    const failing = failingChecks(checks!);
    const packages = units(pr.updates);
    if (packages.length < 2) {
      if (pr.split) out.culprits.push({ number: pr.existing!.number, url: pr.existing!.url, branch: pr.branch, depName: packages[0]![0]!.depName, from: pr.split.from, failing });
      out.pullRequests.push(pr);
      continue;
    }
    const depth = (pr.split?.depth ?? 0) + 1;
    const root = pr.split?.root ?? pr.branch;
    const cut = Math.ceil(packages.length / 2);
    const halves = [packages.slice(0, cut).flat(), packages.slice(cut).flat()] as const;
    const into = [splitBranch(pr.branch, depth, 1), splitBranch(pr.branch, depth, 2)] as [string, string];
    halves.forEach((updates, i) => {
      const split: SplitOrigin = { from: pr.existing!.number, depth, part: (i + 1) as 1 | 2, root, failing };
      out.pullRequests.push({
        branch: into[i]!,
        title: titleFor(updates, pr.group, split),
        group: pr.group!,
        ...(pr.groupReason !== undefined ? { groupReason: pr.groupReason } : {}),
        updates,
        automerge: automergeFor(input.policy, updates),
        split,
      });
    });
    out.splits.push({ number: pr.existing!.number, url: pr.existing!.url, branch: pr.branch, group: pr.group!, failing, into });
  }
  return out;
}

const SPLIT_CLOSED = /<!-- maint-deps:split-closed (\{.*?\}) -->/s;
/** The hidden line of the comment on a split PR: a retried close finds it and does not comment twice. */
export const SPLIT_COMMENT_MARKER = '<!-- maint-deps:split-comment -->';

/** What the closed PR's marker records: the halves it went on in. */
export interface SplitClosed {
  into: number[];
  failing: string[];
}

/** A hidden marker (`--` escaped: it would end the comment). */
export function hiddenJson(name: string, value: unknown): string {
  return `<!-- maint-deps:${name} ${JSON.stringify(value).replace(/--/g, '-\\u002d')} -->`;
}

/** The marker appended to the body of a PR closed because it was split. */
export function splitClosedMarker(record: SplitClosed): string {
  return hiddenJson('split-closed', record);
}

/** The split a closed PR's body records, or undefined (a PR a person closed: declined). */
export function readSplitClosed(body: string): SplitClosed | undefined {
  const match = SPLIT_CLOSED.exec(body);
  if (!match) return undefined;
  try {
    const parsed = JSON.parse(match[1]!) as Partial<SplitClosed>;
    if (!Array.isArray(parsed.into) || !parsed.into.every((n) => typeof n === 'number')) return undefined;
    return { into: parsed.into, failing: Array.isArray(parsed.failing) ? parsed.failing.filter((f): f is string => typeof f === 'string') : [] };
  } catch {
    return undefined;
  }
}

/** The comment on the closed PR: why, and where its updates went. */
export function splitComment(split: Pick<PlannedSplit, 'failing'>, halves: Array<{ number: number; updates: string[] }>): string {
  const checks = split.failing.length > 0 ? split.failing.map((f) => `\`${f.replace(/`/g, "'")}\``).join(', ') : 'its checks';
  const count = halves.reduce((n, h) => n + h.updates.length, 0);
  return [
    `**Split:** ${checks} failed on this PR: maint split its ${count} updates into two smaller PRs, so that one bad bump does not hold back the rest:`,
    '',
    ...halves.map((h, i) => `- #${h.number} (part ${i + 1}): ${h.updates.join(', ')}`),
    '',
    'A part that still fails is split again on a later run, until the update that breaks the checks stands alone. '
      + 'This PR was closed by that split, not declined: its versions stay proposed in the parts.',
    SPLIT_COMMENT_MARKER,
  ].join('\n');
}
