import type { HeldReason } from './plan';
import type { RepositoryPlan } from './resolve';
import type { ScanProblem } from './types';

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

/** A part of a split whose one update fails the checks alone: left open for a person. */
export interface CulpritReport {
  number: number;
  url: string;
  branch: string;
  depName: string;
  from: number;
  failing: string[];
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
  culprits?: CulpritReport[];
  stale: { number: number; url: string; branch: string }[];
}

/** Workflow id of a repository's dependency run: one at a time per repository. */
export function dependencyRunId(repo: string): string {
  return `deps-${repo.replace('/', '-')}`;
}

/** Schedule (and workflow) id of the organisation-wide scan. */
export const DEPENDENCY_SCHEDULE_ID = 'deps-scan';
