import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import type { ChecksState, FileChange, GitHubPort, ManagedPullRequest, RepositoryRef } from './port';
import { redact } from '../../policies/common/redact';
import { mergePullRequestText, pullRequestSection } from '../../policies/deps/prBody';

export type GitHubAuth =
  /** A personal access token (or any token GitHub accepts as `Authorization: token …`). */
  | { kind: 'token'; token: string }
  /** A GitHub App installation: the private key signs RS256 JWTs that buy short-lived installation tokens. */
  | { kind: 'app'; appId: number | string; privateKey: string; installationId: number };

export interface GitHubOptions {
  /** REST root: `https://api.github.com` (default) or GitHub Enterprise's `https://ghe.example/api/v3`. */
  baseUrl?: string;
  auth: GitHubAuth;
  /**
   * Pace requests as GitHub asks (one write per second, notifications every 3 s). Default true. False keeps the
   * retries of rate-limit answers (403/429 with retry-after or x-ratelimit-reset) but drops the pacing: tests.
   */
  throttle?: boolean;
  /** Longest wait for a rate limit to lift before giving up (the activity's own retry takes over). Default 120 s. */
  maxRateLimitWaitSeconds?: number;
  /** Warnings (rate-limit waits). Never receives tokens. Default: stderr. */
  warn?: (message: string) => void;
}

/** The port plus the token itself, for git over HTTPS and Renovate (an installation token when auth is an app). */
export interface GitHubClient extends GitHubPort {
  token(): Promise<string>;
}

/** A GitHub answer that is not success, with the repository, what was being done, and GitHub's status and message. */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly githubMessage: string,
    /** Retrying the same call cannot help (404, 422, bad credentials, no permission). */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { data?: unknown };
}

function statusOf(err: unknown): number | undefined {
  return typeof (err as RequestErrorLike)?.status === 'number' ? (err as RequestErrorLike).status : undefined;
}

/** GitHub's own message, with the `errors[].message` of a 422 (where "A pull request already exists" lives). */
function githubMessage(err: unknown): string {
  const data = (err as RequestErrorLike)?.response?.data as { message?: unknown; errors?: Array<{ message?: unknown; code?: unknown; field?: unknown }> } | string | undefined;
  if (data && typeof data === 'object' && typeof data.message === 'string') {
    const details = (data.errors ?? []).map((e) => (typeof e.message === 'string' ? e.message : [e.field, e.code].filter(Boolean).join(' '))).filter(Boolean);
    return details.length ? `${data.message}: ${details.join('; ')}` : data.message;
  }
  return (err as RequestErrorLike)?.message ?? String(err);
}

const has = (err: unknown, status: number, pattern: RegExp) => statusOf(err) === status && pattern.test(githubMessage(err));

/** The fields of a PR that upsert compares (list and create answer with different schemas). */
interface PullSummary {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
  base: { ref: string };
  labels: Array<string | { name?: string }>;
  requested_reviewers?: Array<{ login: string }> | null;
}

const GREEN = new Set(['success', 'neutral', 'skipped']);

/** The trailer our commits end with: `Maint-Deps-Branch: maint-deps/npm-lodash`. */
const COMMIT_TRAILER = 'Maint-Deps-Branch';

/**
 * Whether a PR branch's head is a commit we made: it carries our trailer for that branch, or it is
 * one from before the trailer (a one-line "Update …" message on a single parent, as we wrote them).
 * Anything else is a person's push, which we never push over (Renovate's rule).
 */
function isOurCommit(commit: { message: string; parents: unknown[] }, branch: string): boolean {
  if (commit.message.split('\n').some((line) => line.trim() === `${COMMIT_TRAILER}: ${branch}`)) return true;
  return commit.parents.length === 1 && !commit.message.trim().includes('\n') && /^Update /.test(commit.message);
}

export function createGitHub(options: GitHubOptions): GitHubClient {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  // Octokit's and the throttling plugin's warnings name request URLs (a query may carry a token): redacted before anyone sees them.
  const warnRaw = options.warn ?? ((message: string) => process.stderr.write(`github: ${message}\n`));
  const warn = (message: string) => warnRaw(redact(message));
  const maxWait = options.maxRateLimitWaitSeconds ?? 120;
  const GitHubOctokit = Octokit.plugin(retry, throttling);

  // Retry at most 3 times per request, and only when the wait is bounded; longer limits fail fast with the
  // reset time in the message, and the Temporal activity retry (with its backoff) takes it from there.
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const again = retryCount < 3 && retryAfter <= maxWait;
    warn(`${kind} on ${request.method} ${request.url}: ${again ? `retrying in ${retryAfter}s` : `giving up (retry ${retryCount}, wait ${retryAfter}s)`}`);
    return again;
  };

  const octokit = new GitHubOctokit({
    baseUrl,
    userAgent: 'maintenance-orchestrator',
    ...(options.auth.kind === 'token'
      ? { auth: options.auth.token }
      : { authStrategy: createAppAuth, auth: { appId: options.auth.appId, privateKey: options.auth.privateKey, installationId: options.auth.installationId } }),
    // Octokit's request log reports every 404 (e.g. "does the branch exist?") as an error: keep only warnings.
    log: { debug: () => undefined, info: () => undefined, warn: (m: string) => warn(m), error: () => undefined },
    // Only 5xx are retried here (after 1 s, 4 s, 9 s): a POST that landed before its 502 meets its own result on
    // the retry (422, handled below). 4xx are answers (405/409 from merge, 422 races), except rate limits (403/429),
    // which the throttling plugin retries honouring retry-after / x-ratelimit-reset.
    retry: { doNotRetry: Array.from({ length: 100 }, (_, i) => 400 + i) },
    throttle: {
      id: 'maintenance-orchestrator',
      onRateLimit: onLimit('rate limit'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
      // The plugin's default groups are process-global and hold every write for 1 s. Per-client groups without
      // minTime keep writes serial and rate-limit retries intact, without the pause.
      ...(options.throttle === false
        ? { write: new Bottleneck.Group({ maxConcurrent: 1 }), notifications: new Bottleneck.Group({ maxConcurrent: 1 }), search: new Bottleneck.Group({ maxConcurrent: 1 }) }
        : {}),
    },
  });

  // plugin-retry 8.1.1 keeps its retry counter in `options.request`, an object Octokit shares between all requests
  // of a client: after any earlier error the next retry waits 4 s, 9 s… instead of 1 s. A per-request copy fixes it.
  octokit.hook.before('request', (request) => {
    const { retryCount: _leaked, ...own } = (request.request ?? {}) as Record<string, unknown>;
    request.request = own;
  });

  /** Runs one GitHub call; failures become GitHubErrors naming the repository, the operation and GitHub's answer. */
  async function call<T>(ref: RepositoryRef, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw explain(ref, what, err);
    }
  }
  function explain(ref: RepositoryRef, what: string, err: unknown): GitHubError {
    if (err instanceof GitHubError) return err;
    const status = statusOf(err);
    const message = githubMessage(err);
    const permanent = status !== undefined && ([400, 401, 404, 410, 422].includes(status) || (status === 403 && !/rate limit/i.test(message)));
    return new GitHubError(redact(`GitHub ${ref.owner}/${ref.repo}: ${what}: ${status ?? 'no answer'} ${message}`), status, redact(message), permanent);
  }

  async function branchHead(ref: RepositoryRef, branch: string): Promise<string | null> {
    try {
      const { data } = await octokit.rest.git.getRef({ owner: ref.owner, repo: ref.repo, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (err) {
      if (statusOf(err) !== 404) throw explain(ref, `read branch ${branch}`, err);
    }
    // GitHub answers 404 for a missing branch and for a missing (or invisible) repository alike: tell them apart.
    await call(ref, 'read repository', () => octokit.rest.repos.get({ owner: ref.owner, repo: ref.repo }));
    return null;
  }

  async function commitFiles(ref: RepositoryRef, input: { baseBranch: string; branch: string; message: string; files: FileChange[]; overwriteForeign?: boolean }) {
    const { owner, repo } = ref;
    const baseHead = await branchHead(ref, input.baseBranch);
    if (!baseHead) throw new GitHubError(`GitHub ${owner}/${repo}: base branch ${input.baseBranch} does not exist`, 404, 'Not Found', true);
    const where = `branch ${input.branch} on ${input.baseBranch}@${baseHead.slice(0, 7)}`;
    const baseCommit = await call(ref, `read commit ${baseHead}`, () => octokit.rest.git.getCommit({ owner, repo, commit_sha: baseHead }));
    // File contents go inline in the tree (GitHub writes the blobs): one write instead of one per file.
    const tree = await call(ref, `create tree for ${where}`, () =>
      octokit.rest.git.createTree({
        owner,
        repo,
        base_tree: baseCommit.data.tree.sha,
        tree: input.files.map((f) => (f.content === null ? { path: f.path, mode: '100644' as const, type: 'blob' as const, sha: null } : { path: f.path, mode: '100644' as const, type: 'blob' as const, content: f.content })),
      }),
    );

    const existing = await branchHead(ref, input.branch);
    if (existing) {
      const head = await call(ref, `read commit ${existing}`, () => octokit.rest.git.getCommit({ owner, repo, commit_sha: existing }));
      if (!isOurCommit(head.data, input.branch) && !input.overwriteForeign) {
        const subject = head.data.message.split('\n')[0] ?? '';
        return { commitSha: existing, changed: false, foreign: `the branch's head ${existing.slice(0, 7)} ("${subject.slice(0, 80)}" by ${head.data.author.name}) is not ours: someone pushed to it` };
      }
      const onSameBase = head.data.parents.length === 1 && head.data.parents[0]!.sha === baseHead;
      if (onSameBase && head.data.tree.sha === tree.data.sha) return { commitSha: existing, changed: false };
    }

    const message = `${input.message}\n\n${COMMIT_TRAILER}: ${input.branch}`;
    const commit = await call(ref, `create commit for ${where}`, () => octokit.rest.git.createCommit({ owner, repo, message, tree: tree.data.sha, parents: [baseHead] }));
    const sha = commit.data.sha;
    const update = () => call(ref, `move ${where}`, () => octokit.rest.git.updateRef({ owner, repo, ref: `heads/${input.branch}`, sha, force: true }));
    if (existing) {
      await update();
    } else {
      try {
        await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${input.branch}`, sha });
      } catch (err) {
        // Created meanwhile, or by our own earlier attempt whose answer was lost (a retried POST): move it.
        if (!has(err, 422, /Reference already exists/i)) throw explain(ref, `create ${where}`, err);
        await update();
      }
    }
    return { commitSha: sha, changed: true };
  }

  async function openPullFor(ref: RepositoryRef, branch: string): Promise<PullSummary | undefined> {
    const { data } = await call(ref, `list open pull requests for ${branch}`, () =>
      octokit.rest.pulls.list({ owner: ref.owner, repo: ref.repo, state: 'open', head: `${ref.owner}:${branch}`, per_page: 100 }),
    );
    return data[0];
  }

  async function upsertPullRequest(ref: RepositoryRef, input: { branch: string; baseBranch: string; title: string; body: string; labels: string[]; reviewers: string[] }) {
    const { owner, repo } = ref;
    const where = `pull request for ${input.branch}`;
    let current = await openPullFor(ref, input.branch);
    let created = false;
    if (!current) {
      try {
        current = (await octokit.rest.pulls.create({ owner, repo, head: input.branch, base: input.baseBranch, title: input.title, body: pullRequestSection(input.body, input.title) })).data;
        created = true;
      } catch (err) {
        // Opened meanwhile, or by our own earlier attempt whose answer was lost: update that one.
        if (!has(err, 422, /A pull request already exists/i)) throw explain(ref, `create ${where} into ${input.baseBranch}`, err);
        current = await openPullFor(ref, input.branch);
        if (!current) throw explain(ref, `find ${where} after "already exists"`, err);
      }
    }
    const pull = current;
    // Our section of the body is rewritten; a person's text around it and a title they changed are kept.
    const text = mergePullRequestText({ title: pull.title, body: pull.body ?? '' }, input);
    if (!created && (pull.title !== text.title || (pull.body ?? '') !== text.body || pull.base.ref !== input.baseBranch)) {
      await call(ref, `update ${where} #${pull.number}`, () =>
        octokit.rest.pulls.update({ owner, repo, pull_number: pull.number, title: text.title, body: text.body, base: input.baseBranch }),
      );
    }
    const haveLabels = new Set(pull.labels.map((l) => (typeof l === 'string' ? l : l.name)));
    const labels = input.labels.filter((l) => !haveLabels.has(l));
    if (labels.length) await call(ref, `label #${pull.number}`, () => octokit.rest.issues.addLabels({ owner, repo, issue_number: pull.number, labels }));

    const warnings: string[] = [];
    const requested = new Set((pull.requested_reviewers ?? []).map((u) => u.login.toLowerCase()));
    const reviewers = input.reviewers.filter((r) => !requested.has(r.toLowerCase()));
    if (reviewers.length) {
      try {
        await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: pull.number, reviewers });
      } catch (err) {
        if (statusOf(err) !== 422) throw explain(ref, `request reviewers on #${pull.number}`, err);
        warnings.push(`reviewers ${reviewers.join(', ')} not requested on #${pull.number}: ${githubMessage(err)}`);
      }
    }
    return { number: pull.number, url: pull.html_url, created, ...(warnings.length ? { warnings } : {}) };
  }

  async function listManagedPullRequests(ref: RepositoryRef, branchPrefix: string): Promise<ManagedPullRequest[]> {
    const pulls = await call(ref, `list pull requests ${branchPrefix}*`, () =>
      octokit.paginate(octokit.rest.pulls.list, { owner: ref.owner, repo: ref.repo, state: 'all', sort: 'created', direction: 'desc', per_page: 100 }),
    );
    return pulls
      .filter((p) => p.head.ref.startsWith(branchPrefix) && (p.head.repo?.full_name ?? '').toLowerCase() === `${ref.owner}/${ref.repo}`.toLowerCase())
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.number - a.number)
      .map((p) => ({
        number: p.number,
        url: p.html_url,
        branch: p.head.ref,
        baseBranch: p.base.ref,
        state: p.merged_at ? 'merged' : p.state === 'open' ? 'open' : 'closed',
        title: p.title,
        body: p.body ?? '',
        headSha: p.head.sha,
        createdAt: p.created_at,
        ...(p.closed_at ? { closedAt: p.closed_at } : {}),
        ...(p.merged_at ? { mergedAt: p.merged_at } : {}),
      }));
  }

  /** The checks the branch's protection requires (none when unprotected); undefined when the token may not read it. */
  async function requiredChecks(ref: RepositoryRef, branch: string): Promise<string[] | undefined> {
    try {
      const { data } = await octokit.rest.repos.getStatusChecksProtection({ owner: ref.owner, repo: ref.repo, branch });
      return [...new Set([...(data.contexts ?? []), ...(data.checks ?? []).map((c) => c.context)])];
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return [];
      if (status === 403) return undefined;
      throw explain(ref, `read the required checks of ${branch}`, err);
    }
  }

  async function checks(ref: RepositoryRef, sha: string, baseBranch?: string) {
    const { owner, repo } = ref;
    const statuses: Array<{ context: string; state: string }> = [];
    for (let page = 1; ; page++) {
      const { data } = await call(ref, `read statuses of ${sha}`, () => octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100, page }));
      statuses.push(...data.statuses);
      if (data.statuses.length < 100 || statuses.length >= data.total_count) break;
    }
    const runs = await call(ref, `read check runs of ${sha}`, () => octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref: sha, per_page: 100 }));

    const details = [...statuses.map((s) => `${s.context}: ${s.state}`), ...runs.map((r) => `${r.name}: ${r.conclusion ?? r.status}`)];
    const required = baseBranch === undefined ? [] : await requiredChecks(ref, baseBranch);
    const reported = new Set([...statuses.map((s) => s.context), ...runs.map((r) => r.name)]);
    const missing = (required ?? []).filter((name) => !reported.has(name));
    for (const name of missing) details.push(`${name}: not reported yet (required by ${baseBranch}'s branch protection)`);
    if (required === undefined) details.push(`required checks of ${baseBranch} unknown: the token may not read its branch protection (403)`);
    const failing = [
      ...statuses.filter((s) => s.state === 'failure' || s.state === 'error').map((s) => s.context),
      ...runs.filter((r) => r.status === 'completed' && !GREEN.has(r.conclusion ?? '')).map((r) => r.name),
    ];
    const failed = failing.length > 0;
    const waiting = missing.length > 0 || statuses.some((s) => s.state === 'pending') || runs.some((r) => r.status !== 'completed');
    // A failure is final for this commit even while other checks still run: say so at once.
    const state: ChecksState = reported.size === 0 && missing.length === 0 ? 'none' : failed ? 'failure' : waiting ? 'pending' : 'success';
    return { state, details, ...(failed ? { failing: [...new Set(failing)] } : {}) };
  }

  async function mergePullRequest(ref: RepositoryRef, input: { number: number; sha: string; title: string }) {
    const { owner, repo } = ref;
    try {
      await octokit.rest.pulls.merge({ owner, repo, pull_number: input.number, sha: input.sha, merge_method: 'squash', commit_title: `${input.title} (#${input.number})` });
      return { merged: true as const };
    } catch (err) {
      const status = statusOf(err);
      if (status !== 405 && status !== 409) throw explain(ref, `merge #${input.number}`, err);
      // Our own earlier attempt may have merged it (its answer lost, the retry refused): that is success.
      const { data } = await call(ref, `read #${input.number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: input.number }));
      if (data.merged && data.head.sha === input.sha) return { merged: true as const };
      return { merged: false as const, reason: githubMessage(err) };
    }
  }

  async function releaseByTag(ref: RepositoryRef, tag: string): Promise<{ url: string; name: string; body: string } | null> {
    try {
      const { data } = await octokit.rest.repos.getReleaseByTag({ owner: ref.owner, repo: ref.repo, tag });
      return { url: data.html_url, name: data.name ?? tag, body: data.body ?? '' };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw explain(ref, `read the release of tag ${tag}`, err);
    }
  }

  async function closePullRequest(ref: RepositoryRef, input: { number: number; appendToBody?: string }): Promise<void> {
    const { owner, repo } = ref;
    const { data } = await call(ref, `read #${input.number}`, () => octokit.rest.pulls.get({ owner, repo, pull_number: input.number }));
    const body = data.body ?? '';
    const marked = input.appendToBody === undefined || body.trimEnd().endsWith(input.appendToBody);
    if (data.state === 'closed' && marked) return;
    await call(ref, `close #${input.number}`, () => octokit.rest.pulls.update({
      owner, repo, pull_number: input.number, state: 'closed', ...(marked ? {} : { body: `${body.trimEnd()}\n\n${input.appendToBody}` }),
    }));
  }

  async function pullRequestComments(ref: RepositoryRef, number: number): Promise<Array<{ id: number; body: string }>> {
    const comments = await call(ref, `read the comments of #${number}`, () =>
      octokit.paginate(octokit.rest.issues.listComments, { owner: ref.owner, repo: ref.repo, issue_number: number, per_page: 100 }));
    return comments.map((c) => ({ id: c.id, body: c.body ?? '' }));
  }

  async function commentOnPullRequest(ref: RepositoryRef, number: number, body: string): Promise<{ id: number; url: string }> {
    // Not retried on a 5xx here: a comment that landed before its 502 would be posted twice. The caller (an
    // activity) retries after reading the comments again.
    const { data } = await call(ref, `comment on #${number}`, () => octokit.rest.issues.createComment({ owner: ref.owner, repo: ref.repo, issue_number: number, body, request: { retries: 0 } }));
    return { id: data.id, url: data.html_url };
  }

  async function deleteBranch(ref: RepositoryRef, branch: string): Promise<void> {
    try {
      await octokit.rest.git.deleteRef({ owner: ref.owner, repo: ref.repo, ref: `heads/${branch}` });
    } catch (err) {
      if (statusOf(err) === 404 || has(err, 422, /Reference does not exist/i)) return;
      throw explain(ref, `delete branch ${branch}`, err);
    }
  }

  async function token(): Promise<string> {
    if (options.auth.kind === 'token') return options.auth.token;
    const auth = (await octokit.auth({ type: 'installation' })) as { token: string };
    return auth.token;
  }

  return { branchHead, commitFiles, listManagedPullRequests, upsertPullRequest, checks, mergePullRequest, releaseByTag, closePullRequest, pullRequestComments, commentOnPullRequest, deleteBranch, token };
}
