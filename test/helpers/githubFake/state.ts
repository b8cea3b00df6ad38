import type { KeyObject } from 'node:crypto';
import type { BareRepository, GitCommit } from './git';

export interface FakePull {
  number: number;
  id: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  draft: boolean;
  headRef: string;
  /** The head branch's SHA; followed while the PR is open, frozen once it is closed. */
  headSha: string;
  baseRef: string;
  labels: string[];
  requestedReviewers: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
}

export interface FakeStatus {
  id: number;
  context: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale' | null;
  startedAt: string;
  completedAt: string | null;
}

export interface FakeComment {
  id: number;
  body: string;
  user: string;
  createdAt: string;
}

/**
 * A CI that checks every commit pushed to a branch other than the default one: one check run
 * `name`, concluded from the commit's files (`fails` reads them), as a real CI would from the
 * content it builds. Run when GitHub is first asked for the commit's check runs.
 */
export interface FakeCi {
  name: string;
  fails: (readFile: (path: string) => Promise<string | null>) => Promise<boolean> | boolean;
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  git: BareRepository;
  /** Who may be asked for a review (GitHub: collaborators of the repository). */
  collaborators: Set<string>;
  pulls: FakePull[];
  /** Issues and PRs share one number sequence, as on GitHub. */
  nextNumber: number;
  statuses: Map<string, FakeStatus[]>;
  checkRuns: Map<string, FakeCheckRun[]>;
  /** CIs that run on pushed commits (see FakeCi); the commits each has checked. */
  ci: Array<FakeCi & { checked: Set<string> }>;
  /** Conversation comments by PR number (issues API). */
  comments: Map<number, FakeComment[]>;
  /** Branch protection: the status checks each protected branch requires (absent: not protected). */
  requiredChecks: Map<string, string[]>;
  /** Release dates of tags set through setTags (GraphQL `committedDate`); tags themselves are refs/tags/*. */
  tagDates: Map<string, string>;
  /** Releases by tag name (GET /repos/:owner/:repo/releases/tags/:tag). */
  releases: Map<string, FakeRelease>;
}

export interface FakeRelease {
  id: number;
  tag: string;
  name: string;
  body: string;
  createdAt: string;
}

export interface FakeState {
  /** Holds `<owner>/<repo>.git`; GIT_PROJECT_ROOT for git http-backend. */
  root: string;
  repos: Map<string, FakeRepository>;
  /** The user every token belongs to (author of PRs and commits made through the API). */
  login: string;
  /** Tokens the fake accepts and what they are; empty when the fake was created without a token or app. */
  tokens: Map<string, 'pat' | 'installation'>;
  /** A classic PAT's scopes: answers to requests made with it carry them as `X-OAuth-Scopes` (as GitHub does); undefined: a fine-grained token, no header. */
  tokenScopes?: string[];
  /** The GitHub App whose JWTs may ask for installation tokens. */
  app?: { appId: string; publicKey: KeyObject; installationId: number };
  nextId(): number;
}

export function repoKey(owner: string, name: string): string {
  return `${owner}/${name}`.toLowerCase();
}

/** GitHub's timestamps have no milliseconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function userJson(login: string, apiUrl: string, webUrl: string) {
  return { login, id: 1, node_id: 'U_fake', type: 'User', site_admin: false, url: `${apiUrl}/users/${login}`, html_url: `${webUrl}/${login}` };
}

export function repoJson(repo: FakeRepository, apiUrl: string, webUrl: string) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: full,
    owner: userJson(repo.owner, apiUrl, webUrl),
    private: false,
    visibility: 'public',
    fork: false,
    archived: false,
    disabled: false,
    default_branch: repo.defaultBranch,
    html_url: `${webUrl}/${full}`,
    url: `${apiUrl}/repos/${full}`,
    clone_url: `${webUrl}/${full}.git`,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: false,
  };
}

export function commitJson(repo: FakeRepository, commit: GitCommit, apiUrl: string, webUrl: string) {
  const base = `${apiUrl}/repos/${repo.owner}/${repo.name}`;
  return {
    sha: commit.sha,
    node_id: `C_${commit.sha}`,
    url: `${base}/git/commits/${commit.sha}`,
    html_url: `${webUrl}/${repo.owner}/${repo.name}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message.replace(/\n$/, ''),
    tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
    parents: commit.parents.map((sha) => ({ sha, url: `${base}/git/commits/${sha}`, html_url: `${webUrl}/${repo.owner}/${repo.name}/commit/${sha}` })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

export function refJson(repo: FakeRepository, ref: string, sha: string, apiUrl: string) {
  const base = `${apiUrl}/repos/${repo.owner}/${repo.name}`;
  return { ref, node_id: `REF_${ref}`, url: `${base}/git/${ref}`, object: { sha, type: 'commit', url: `${base}/git/commits/${sha}` } };
}

export function labelJson(name: string, apiUrl: string, repo: FakeRepository) {
  return { id: name.length, node_id: `L_${name}`, url: `${apiUrl}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(name)}`, name, color: 'ededed', default: false, description: null };
}

export async function pullJson(repo: FakeRepository, pull: FakePull, apiUrl: string, webUrl: string) {
  const full = `${repo.owner}/${repo.name}`;
  const baseSha = (await repo.git.resolveRef(`refs/heads/${pull.baseRef}`)) ?? '';
  const mergeable = pull.state === 'open' && baseSha !== '' ? await repo.git.isAncestor(baseSha, pull.headSha) : null;
  const repository = repoJson(repo, apiUrl, webUrl);
  const user = userJson(pull.user, apiUrl, webUrl);
  return {
    url: `${apiUrl}/repos/${full}/pulls/${pull.number}`,
    id: pull.id,
    node_id: `PR_${pull.id}`,
    html_url: `${webUrl}/${full}/pull/${pull.number}`,
    issue_url: `${apiUrl}/repos/${full}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user,
    body: pull.body,
    labels: pull.labels.map((name) => labelJson(name, apiUrl, repo)),
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    requested_reviewers: pull.requestedReviewers.map((login) => userJson(login, apiUrl, webUrl)),
    requested_teams: [],
    draft: pull.draft,
    head: { label: `${repo.owner}:${pull.headRef}`, ref: pull.headRef, sha: pull.headSha, user, repo: repository },
    base: { label: `${repo.owner}:${pull.baseRef}`, ref: pull.baseRef, sha: baseSha, user, repo: repository },
    merged: pull.merged,
    mergeable,
    mergeable_state: mergeable === null ? 'unknown' : mergeable ? 'clean' : 'dirty',
    merged_by: pull.merged ? user : null,
  };
}
