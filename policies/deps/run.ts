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
  stale: { number: number; url: string; branch: string }[];
}

/** Workflow id of a repository's dependency run: one at a time per repository. */
export function dependencyRunId(repo: string): string {
  return `deps-${repo.replace('/', '-')}`;
}

/** Schedule (and workflow) id of the organisation-wide scan. */
export const DEPENDENCY_SCHEDULE_ID = 'deps-scan';
