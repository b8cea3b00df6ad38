/**
 * What the dependency pipeline needs from GitHub. One implementation (octokit.ts) drives the real
 * Octokit; tests point it at the stateful fake in test/helpers/githubFake.ts through `baseUrl`.
 * Every write is idempotent on its business key (the branch name), because an activity retried
 * after a worker crash or a 5xx whose POST did land must not create a second commit or PR.
 */

export interface RepositoryRef {
  owner: string;
  repo: string;
}

export interface FileChange {
  path: string;
  /** New UTF-8 content; null deletes the file. */
  content: string | null;
}

export interface ManagedPullRequest {
  number: number;
  url: string;
  branch: string;
  baseBranch: string;
  state: 'open' | 'closed' | 'merged';
  title: string;
  body: string;
  headSha: string;
  createdAt: string;
  closedAt?: string;
  mergedAt?: string;
}

export type ChecksState = 'success' | 'pending' | 'failure' | 'none';

export interface ChecksVerdict {
  /** success only when the combined status and every check run are green (and at least one exists). */
  state: ChecksState;
  /** One line per status context / check run: `ci/test: success`. */
  details: string[];
  /** Names of the status contexts and check runs that concluded failing (failure, error, cancelled, timed out, …). */
  failing?: string[];
}

export interface GitHubPort {
  /** Head SHA of a branch, or null when it does not exist. */
  branchHead(ref: RepositoryRef, branch: string): Promise<string | null>;
  /**
   * One commit on `branch` holding `files` on top of the current head of `baseBranch` (Git Data API:
   * blobs, tree with base_tree, commit, then create or force-update the ref). When the branch already
   * holds exactly that tree on top of the same base, nothing is written and `changed` is false.
   * When the branch's head is not a commit of ours (a person pushed to it), nothing is written
   * either: `foreign` says whose it is, and the caller leaves the PR alone — unless `overwriteForeign`
   * (a reviewer asked for a rebase), which replaces it with our commit.
   */
  commitFiles(
    ref: RepositoryRef,
    input: { baseBranch: string; branch: string; message: string; files: FileChange[]; overwriteForeign?: boolean },
  ): Promise<{ commitSha: string; changed: boolean; foreign?: string }>;
  /** Pull requests (any state) whose head branch starts with `branchPrefix`, newest first. */
  listManagedPullRequests(ref: RepositoryRef, branchPrefix: string): Promise<ManagedPullRequest[]>;
  /**
   * The open PR for `branch` updated in place, or a new one; labels and reviewers added. A reviewer GitHub
   * refuses (not a collaborator) does not fail the upsert: it is reported in `warnings`.
   */
  upsertPullRequest(
    ref: RepositoryRef,
    input: { branch: string; baseBranch: string; title: string; body: string; labels: string[]; reviewers: string[] },
  ): Promise<{ number: number; url: string; created: boolean; warnings?: string[] }>;
  /**
   * Combined commit status and check runs of a commit; with `baseBranch`, also the checks its branch
   * protection requires: one not reported yet keeps the verdict `pending` (never `success`).
   */
  checks(ref: RepositoryRef, sha: string, baseBranch?: string): Promise<ChecksVerdict>;
  /** Merge (squash) when the head is still `sha`; false with a reason when GitHub refuses. */
  mergePullRequest(
    ref: RepositoryRef,
    input: { number: number; sha: string; title: string },
  ): Promise<{ merged: true } | { merged: false; reason: string }>;
  /** The release published for `tag` (its page, title and Markdown body), or null when the tag has none. */
  releaseByTag(ref: RepositoryRef, tag: string): Promise<{ url: string; name: string; body: string } | null>;
  /**
   * Closes a PR without merging; `appendToBody` is added to its body first unless the body already ends with it
   * (a hidden marker the next run reads). A PR already closed is fine.
   */
  closePullRequest(ref: RepositoryRef, input: { number: number; appendToBody?: string }): Promise<void>;
  /** The comments on a PR's conversation (issues API), oldest first. */
  pullRequestComments(ref: RepositoryRef, number: number): Promise<Array<{ id: number; body: string }>>;
  /** Adds a comment to a PR's conversation (issues.createComment). */
  commentOnPullRequest(ref: RepositoryRef, number: number, body: string): Promise<{ id: number; url: string }>;
  /** Deletes a branch; a branch that is already gone is fine. */
  deleteBranch(ref: RepositoryRef, branch: string): Promise<void>;
}
