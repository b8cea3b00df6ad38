import type { HeldReason } from './plan';
import type { RepositoryPlan } from './resolve';
import type { SplitCulprit } from './split';
import type { PlannedPullRequest } from './plan';
import type { ScanProblem, VulnerableDependency } from './types';

/** At most this many open advisories are carried in a run summary (it crosses Temporal); the rest are counted. */
export const ADVISORIES_KEPT = 50;

/** A dependency with advisories, as `maint deps status` lists it. */
export interface OpenAdvisory {
  depName: string;
  manager: string;
  packageFile: string;
  currentVersion: string;
  /** Advisory ids (GHSA-…, PYSEC-…), with their first alias (a CVE id) where there is one. */
  ids: string[];
  /** Versions that fix them, from the advisories. */
  fixedIn: string[];
  /** `PR #12` (with url), `would open …` (a dry run), `no fix released`, or `waiting: why`. */
  status: string;
  url?: string;
}

/**
 * The open advisories of a run: each vulnerable dependency with the PR carrying its fix, or why
 * there is none. `published` maps a branch to the PR it became this run (absent in a dry run).
 */
export function openAdvisories(
  vulnerable: VulnerableDependency[],
  plan: { pullRequests: PlannedPullRequest[]; held: { update: { manager: string; packageFile: string; depName: string; vulnerabilityAlert?: boolean }; detail: string }[]},
  published: (branch: string) => { number?: number; url?: string; outcome: string } | undefined,
): { advisories: OpenAdvisory[]; more: number } {
  const same = (a: { manager: string; packageFile: string; depName: string }, b: typeof a) => a.manager === b.manager && a.packageFile === b.packageFile && a.depName === b.depName;
  const all = vulnerable.map((v): OpenAdvisory => {
    const base = {
      depName: v.depName, manager: v.manager, packageFile: v.packageFile, currentVersion: v.currentVersion,
      ids: v.advisories.map((a) => (a.aliases[0] !== undefined ? `${a.id} (${a.aliases[0]})` : a.id)),
      fixedIn: [...new Set(v.advisories.flatMap((a) => a.fixed))],
    };
    const pr = plan.pullRequests.find((p) => p.updates.some((u) => u.vulnerabilityAlert && same(u, v)));
    if (pr !== undefined) {
      const result = published(pr.branch);
      if (result?.number !== undefined && result.outcome !== 'failed') return { ...base, status: `PR #${result.number}`, ...(result.url !== undefined ? { url: result.url } : {}) };
      return { ...base, status: result === undefined ? `would open ${pr.branch}` : `${result.outcome}: ${pr.branch}` };
    }
    const held = plan.held.find((h) => h.update.vulnerabilityAlert && same(h.update, v));
    if (held !== undefined) return { ...base, status: `waiting: ${held.detail}` };
    if (base.fixedIn.length === 0) return { ...base, status: 'no fix released' };
    return { ...base, status: v.fixedBy === undefined ? `waiting: no update to ${base.fixedIn.join(' or ')} was found in the registry` : `waiting: the update to ${v.fixedBy} was not proposed` };
  });
  return { advisories: all.slice(0, ADVISORIES_KEPT), more: Math.max(0, all.length - ADVISORIES_KEPT) };
}

/** How far back a run lists the PRs merged on GitHub (runs are daily or weekly; a month's report reads the runs up to its end). */
export const MERGED_LOOKBACK_DAYS = 45;

/** The PRs merged in the lookback before `now`, from the PRs a run read on GitHub. */
export function recentlyMerged(pulls: ReadonlyArray<{ number: number; url: string; branch: string; createdAt: string; mergedAt?: string }>, now: Date): NonNullable<DependencyRunSummary['merged']> {
  const since = now.getTime() - MERGED_LOOKBACK_DAYS * 86_400_000;
  return pulls.flatMap((p) => (p.mergedAt !== undefined && Date.parse(p.mergedAt) >= since ? [{ number: p.number, url: p.url, branch: p.branch, createdAt: p.createdAt, mergedAt: p.mergedAt }] : []));
}

export interface DependencyRunInput {
  plan: RepositoryPlan;
  /** Print what would happen: scan and plan, no commits, no PRs, no merges. */
  dryRun?: boolean;
}

export type PullRequestOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  /** Someone else pushed to the PR's branch: we neither push over it nor merge it (Renovate's rule). */
  | 'left-alone'
  | 'merged'
  | 'would-create'
  | 'would-update'
  | 'failed';

export interface PullRequestReport {
  branch: string;
  title: string;
  group?: string;
  /** Why its updates share this PR (`policy`, `default: same scope @acme/*`). */
  groupReason?: string;
  outcome: PullRequestOutcome;
  number?: number;
  url?: string;
  updates: { depName: string; manager: string; packageFile: string; from: string; to: string; type: string }[];
  /** The PR body a dry run would write (dry runs only). */
  body?: string;
  /** Why an automerge PR was not merged this run: outside the window, checks pending or red. */
  automerge?: string;
  error?: string;
}

/** A failing group PR bisected this run (policies/deps/split.ts). */
export interface SplitReport {
  number: number;
  url: string;
  branch: string;
  group: string;
  /** The checks that failed on it. */
  failing: string[];
  /** Its two parts (number once published). */
  into: { branch: string; number?: number; url?: string }[];
  /** closed: split done; would-split: a dry run; kept-open: a part could not be published, retried next run. */
  outcome: 'closed' | 'would-split' | 'kept-open' | 'failed';
  error?: string;
}


/** What a dependency run did, as `maint deps scan` and `maint deps status` print it. */
export interface DependencyRunSummary {
  repo: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  renovateVersion?: string;
  managers: { manager: string; packageFiles: string[]; dependencies: number }[];
  /** Managers not scanned this run, and why (their updates are missing from the plan). */
  unscanned?: { manager: string; reason: string }[];
  problems: ScanProblem[];
  pullRequests: PullRequestReport[];
  /**
   * Why the existing PRs are unknown (a dry run that could not read GitHub): the plan was made as if
   * there were none, so `would-create` may be an update of an open PR, and closed PRs and limits
   * were not compared.
   */
  pullRequestsUnknown?: string;
  /** New PRs the limits (maxOpenPRs, prsPerHour) hold back, in the order they will be opened. */
  waiting?: { branch: string; title: string; limit: string }[];
  held: { depName: string; manager: string; to: string; reason: HeldReason; detail: string }[];
  /** Group PRs whose checks failed, split in two this run (or, in a dry run, that would be). */
  splits?: SplitReport[];
  /** Parts of a split that fail with one update alone: the updates that broke their groups. */
  culprits?: SplitCulprit[];
  stale: { number: number; url: string; branch: string }[];
  /** Dependencies with advisories (dependencies.advisories), at most {@link ADVISORIES_KEPT}. */
  advisories?: OpenAdvisory[];
  /** How many more vulnerable dependencies there were than `advisories` holds. */
  advisoriesMore?: number;
  /** Advisory records read this run (withdrawn ones not counted). */
  advisoryRecords?: number;
  /**
   * Our PRs GitHub had as merged (by maint or by a person) in the {@link MERGED_LOOKBACK_DAYS} days
   * before the run: what the monthly report counts merges and their time to merge from.
   */
  merged?: { number: number; url: string; branch: string; createdAt: string; mergedAt: string }[];
}

/** Workflow id of a repository's dependency run: one at a time per repository. */
export function dependencyRunId(repo: string): string {
  return `deps-${repo.replace('/', '-')}`;
}

/** Schedule (and workflow) id of the organisation-wide scan. */
export const DEPENDENCY_SCHEDULE_ID = 'deps-scan';
