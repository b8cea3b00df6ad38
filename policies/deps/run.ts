import type { HeldReason } from './plan';
import type { RepositoryPlan } from './resolve';
import type { SplitCulprit } from './split';
import type { ScanProblem } from './types';

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
