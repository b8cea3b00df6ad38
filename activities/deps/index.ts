import { readFile, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { applyUpdatesToText } from '../../policies/deps/fileChanges';
import { FileChangeError } from '../../policies/deps/managers/manager';
import { BRANCH_PREFIX, type ExistingPullRequest, type PlannedPullRequest } from '../../policies/deps/plan';
import { proposedUpdates, rebaseRequested, splitOrigin } from '../../policies/deps/prBody';
import { readSplitClosed, SPLIT_COMMENT_MARKER, splitClosedMarker, type SplitClosed } from '../../policies/deps/split';
import type { RepositoryPlan } from '../../policies/deps/resolve';
import type { RenovateScan } from '../../policies/deps/types';
import type { ChecksVerdict, FileChange, GitHubPort, RepositoryRef } from '../github/port';
import { heartbeat } from '../context';
import { GitHubError } from '../github/octokit';
import { untrustedCertificateHint } from '../network';
import type { RenovateLookupInput } from '../renovate/config';
import { CheckoutError, withCheckout } from './checkout';
import { artifactsFor } from './managers';
import { attachReleaseNotes } from './releaseNotes';
import { loadAdvisories } from './advisories';
import { matchAdvisories } from '../../policies/deps/advisories/match';
import { FAILURE } from '../../policies/common/failures';
import { redact } from '../../policies/common/redact';

export interface DependencyDeps {
  /** Scratch space for checkouts; each activity removes its own. */
  depsWorkDir: string;
  /** GitHub for a repository, with the token read from the secret the plan names (also used by git and Renovate). */
  github: (plan: RepositoryPlan) => Promise<GitHubPort & { token(): Promise<string> }>;
  renovate: (request: RenovateLookupInput) => Promise<RenovateScan>;
}

export interface PullRequestState {
  pullRequests: ExistingPullRequest[];
  /** Head commit and checks of each open PR, by branch. */
  open: Record<string, { headSha: string; checks: ChecksVerdict }>;
}

export interface PublishResult {
  number: number;
  url: string;
  created: boolean;
  /** A new commit was pushed (false: the branch already held exactly these files). */
  changed: boolean;
  commitSha: string;
  /** What GitHub refused without failing the PR (a reviewer who is not a collaborator). */
  warnings: string[];
  /** Someone else pushed to the branch: nothing was written, the PR was left as it is. */
  leftAlone?: string;
}

const ref = (plan: RepositoryPlan): RepositoryRef => ({ owner: plan.owner, repo: plan.name });

/** Permanent problems (bad config, a file that changed under us) are not retried; the run summary shows them. */
function permanent(err: unknown): never {
  if (err instanceof FileChangeError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.FileChange);
  if (err instanceof CheckoutError) throw ApplicationFailure.nonRetryable(err.message, FAILURE.Checkout);
  if (err instanceof GitHubError && err.permanent) throw ApplicationFailure.nonRetryable(err.message, FAILURE.GitHub);
  throw err;
}

export function createDependencyActivities(deps: DependencyDeps) {
  return {
    /** Renovate's lookup over a fresh checkout of the base branch. */
    async scanRepository(input: { plan: RepositoryPlan }): Promise<RenovateScan> {
      const { plan } = input;
      const github = await deps.github(plan);
      // A local checkout needs no clone: without GitHub (an App token it cannot fetch) Renovate still
      // scans, only the github datasources go without a token.
      const token = await github.token().catch((err: unknown) => {
        if (plan.checkout.kind === 'path') return undefined;
        throw err;
      });
      heartbeat('checkout');
      return await withCheckout(plan, deps.depsWorkDir, token, async (dir) => {
        // The configured npm, PyPI, Go module and Maven registries are asked once, before Renovate: unreachable, their
        // managers are not scanned (and not reported once per package after every retry), the others are.
        const unscanned: { manager: string; reason: string }[] = [];
        for (const [setting, url, managers] of [['npm', plan.registries.npm, ['npm']], ['pypi', plan.registries.pypi, PYTHON_MANAGERS], ['goproxy', plan.registries.goproxy, ['gomod']], ['maven', plan.registries.maven, ['maven']]] as const) {
          const affected = plan.managers.filter((m) => (managers as readonly string[]).includes(m));
          const down = affected.length > 0 ? await unreachable(url) : undefined;
          if (down === undefined) continue;
          const reason = redact(`${plan.file ?? 'the organisation file'}: dependencies.registries.${setting} ${url} is unreachable (${down}); fix the URL or the registry`);
          unscanned.push(...affected.map((manager) => ({ manager, reason })));
        }
        const managers = plan.managers.filter((m) => !unscanned.some((u) => u.manager === m));
        const notScanned = (scan: RenovateScan): RenovateScan => (unscanned.length === 0 ? scan : {
          ...scan,
          unscanned: [...unscanned, ...scan.unscanned ?? []],
          problems: [...unscanned.map((u) => ({ level: 'error' as const, message: `${u.manager} not scanned: ${u.reason}` })), ...scan.problems],
        });
        if (managers.length === 0) return notScanned({ updates: [], problems: [], managers: [], renovateVersion: 'not run' });
        heartbeat('renovate');
        const lookup: RenovateLookupInput = {
          checkoutDir: dir,
          managers,
          ...(plan.registries.npm !== undefined ? { npmRegistryUrl: plan.registries.npm } : {}),
          dockerRegistries: plan.registries.docker,
          ...(plan.registries.pypi !== undefined ? { pypiRegistryUrl: plan.registries.pypi } : {}),
          ...(plan.registries.goproxy !== undefined ? { goproxyUrl: plan.registries.goproxy } : {}),
          ...(plan.registries.maven !== undefined ? { mavenRegistryUrl: plan.registries.maven } : {}),
          githubApiUrl: plan.github.baseUrl,
          ...(token !== undefined ? { githubToken: token } : {}),
          ...(plan.policy.minimumReleaseAgeMs !== undefined ? { minimumReleaseAgeMs: plan.policy.minimumReleaseAgeMs } : {}),
        };
        const scan = notScanned(await withAdvisories(plan, lookup, await deps.renovate(lookup), deps.renovate));
        // Release notes for the PR body, from the configured GitHub (without a token, none).
        if (token === undefined) return scan;
        heartbeat('release notes');
        return { ...scan, updates: await attachReleaseNotes(scan.updates, plan, github) };
      }).catch(permanent);
    },

    /**
     * Our PRs (any state, with what each proposed) and the checks on the open ones. `failFast` (a
     * dry run) first asks GitHub once, briefly, so an unreachable GitHub is an answer in seconds
     * instead of after every retry.
     */
    async listDependencyPullRequests(input: { plan: RepositoryPlan; failFast?: boolean }): Promise<PullRequestState> {
      if (input.failFast) await probeGitHub(input.plan);
      const port = await deps.github(input.plan);
      const found = await port.listManagedPullRequests(ref(input.plan), BRANCH_PREFIX).catch(permanent);
      const open: PullRequestState['open'] = {};
      for (const pr of found.filter((p) => p.state === 'open')) {
        open[pr.branch] = { headSha: pr.headSha, checks: await port.checks(ref(input.plan), pr.headSha).catch(permanent) };
      }
      return {
        pullRequests: found.map((pr) => ({
          number: pr.number, url: pr.url, branch: pr.branch, state: pr.state, createdAt: pr.createdAt,
          ...(pr.closedAt !== undefined ? { closedAt: pr.closedAt } : {}),
          ...(pr.mergedAt !== undefined ? { mergedAt: pr.mergedAt } : {}),
          proposed: proposedUpdates(pr.body),
          ...(pr.state === 'open' && rebaseRequested(pr.body) ? { rebaseRequested: true } : {}),
          ...splitMarkers(pr.body),
        })),
        open,
      };
    },

    /**
     * Writes one planned PR: the files changed on a fresh checkout of the base (package-lock.json
     * refreshed by npm), one commit on the PR's branch, the PR created or updated in place.
     * Idempotent on the branch: a retry finds the commit and the PR it already made.
     */
    async publishDependencyPullRequest(input: { plan: RepositoryPlan; pr: PlannedPullRequest; body: string }): Promise<PublishResult> {
      const { plan, pr } = input;
      const github = await deps.github(plan);
      const token = await github.token();
      const files = await withCheckout(plan, deps.depsWorkDir, token, (dir) => changedFiles(dir, plan, pr)).catch(permanent);
      if (files.length === 0) throw ApplicationFailure.nonRetryable(`${plan.repo}: ${pr.branch}: the base branch already has these versions`, FAILURE.NothingToChange);
      heartbeat('commit');
      const commit = await github.commitFiles(ref(plan), {
        baseBranch: plan.baseBranch, branch: pr.branch, message: pr.title, files, ...(pr.existing?.rebase ? { overwriteForeign: true } : {}),
      }).catch(permanent);
      if (commit.foreign !== undefined) {
        const pulls = await github.listManagedPullRequests(ref(plan), pr.branch).catch(permanent);
        const open = pulls.find((p) => p.branch === pr.branch && p.state === 'open');
        return { number: open?.number ?? 0, url: open?.url ?? '', created: false, changed: false, commitSha: commit.commitSha, warnings: [], leftAlone: commit.foreign };
      }
      heartbeat('pull request');
      const opened = await github.upsertPullRequest(ref(plan), {
        branch: pr.branch, baseBranch: plan.baseBranch, title: pr.title, body: input.body, labels: plan.policy.labels, reviewers: plan.policy.reviewers,
      }).catch(permanent);
      return { number: opened.number, url: opened.url, created: opened.created, changed: commit.changed, commitSha: commit.commitSha, warnings: opened.warnings ?? [] };
    },

    /**
     * Closes a group PR that was split, once its parts are open: a comment linking them (once,
     * found again by its hidden marker on a retry), then the close with a marker in the body, so the
     * next run knows it was split and not declined.
     */
    async closeSplitPullRequest(input: { plan: RepositoryPlan; number: number; comment: string; record: SplitClosed }): Promise<void> {
      const port = await deps.github(input.plan);
      const comments = await port.pullRequestComments(ref(input.plan), input.number).catch(permanent);
      if (!comments.some((c) => c.body.includes(SPLIT_COMMENT_MARKER))) await port.commentOnPullRequest(ref(input.plan), input.number, input.comment).catch(permanent);
      heartbeat('close');
      await port.closePullRequest(ref(input.plan), { number: input.number, appendToBody: splitClosedMarker(input.record) }).catch(permanent);
    },

    /** Merges when every check on `sha` is green; otherwise says why not. */
    async mergeDependencyPullRequest(input: { plan: RepositoryPlan; number: number; sha: string; title: string }): Promise<{ merged: boolean; reason?: string }> {
      const port = await deps.github(input.plan);
      const verdict = await port.checks(ref(input.plan), input.sha, input.plan.baseBranch).catch(permanent);
      if (verdict.state !== 'success') {
        return { merged: false, reason: verdict.state === 'none' ? 'no checks reported yet' : `checks ${verdict.state}${verdict.details.length ? ` (${verdict.details.join('; ')})` : ''}` };
      }
      const merged = await port.mergePullRequest(ref(input.plan), { number: input.number, sha: input.sha, title: input.title }).catch(permanent);
      return merged.merged ? { merged: true } : { merged: false, reason: merged.reason };
    },
  };
}

/**
 * Marks security updates from the configured OSV dump. A vulnerable dependency whose fix
 * minimumReleaseAge held back is looked up again, its managers only, with the minimum lifted for
 * those packages alone (Renovate's vulnerabilityAlerts do the same). The dependency list is dropped:
 * it served the matching and need not cross into the workflow's history.
 */
async function withAdvisories(plan: RepositoryPlan, lookup: RenovateLookupInput, scan: RenovateScan, renovate: DependencyDeps['renovate']): Promise<RenovateScan> {
  const { dependencies, ...rest } = scan;
  if (plan.advisories === undefined) return rest;
  heartbeat('advisories');
  const index = await loadAdvisories(plan.advisories.osv, plan.file);
  const first = matchAdvisories(index, dependencies ?? [], scan.updates);
  let { updates, vulnerable } = first;
  if (first.needFix.length > 0 && plan.policy.minimumReleaseAgeMs !== undefined) {
    heartbeat('renovate (security fixes)');
    const again = await renovate({ ...lookup, managers: [...new Set(first.needFix.map((d) => d.manager))], securityPackages: [...new Set(first.needFix.map((d) => d.depName))] })
      .catch((err: unknown) => ({ ...rest, updates: [], problems: [{ level: 'warning' as const, message: `the lookup of security fixes without minimumReleaseAge failed: ${(err as Error).message.slice(0, 300)}` }] }));
    rest.problems = [...rest.problems, ...again.problems.filter((p) => !rest.problems.some((q) => q.message === p.message))];
    const key = (d: { manager: string; packageFile: string; depName: string }) => `${d.manager}\u0000${d.packageFile}\u0000${d.depName}`;
    const wanted = new Set(first.needFix.map(key));
    const fixes = matchAdvisories(index, first.needFix, again.updates.filter((u) => wanted.has(key(u))));
    updates = [...updates, ...fixes.updates.filter((u) => u.vulnerabilityAlert)];
    const refound = new Map(fixes.vulnerable.map((v) => [key(v), v]));
    vulnerable = vulnerable.map((v) => refound.get(key(v)) ?? v);
  }
  return { ...rest, updates, vulnerable, advisoryRecords: index.records };
}

/** What a PR body's markers say about splits: a part of a split (`split`), or closed by one (`splitInto`). */
function splitMarkers(body: string): Pick<ExistingPullRequest, 'split' | 'splitInto'> {
  const origin = splitOrigin(body);
  const closed = readSplitClosed(body);
  return { ...(origin ? { split: origin } : {}), ...(closed ? { splitInto: closed.into } : {}) };
}

/** The managers whose packages come from PyPI (dependencies.registries.pypi). */
const PYTHON_MANAGERS = ['pip_requirements', 'pep621', 'poetry'] as const;

/** Why `url` gives no HTTP answer within 5 s (any status is an answer), or undefined when it answers. */
async function unreachable(url: string | undefined): Promise<string | undefined> {
  if (url === undefined) return undefined;
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
    return undefined;
  } catch (err) {
    const e = err as { name?: string; message: string; cause?: { code?: string; message?: string } };
    const cause = e.name === 'TimeoutError' ? 'no answer within 5 s' : e.cause?.code ?? e.cause?.message ?? e.message;
    const hint = untrustedCertificateHint(cause);
    return hint ? `${cause}: ${hint}` : cause;
  }
}

/** Any HTTP answer from the API URL within 5 s; one that fails is a non-retryable failure saying so. */
async function probeGitHub(plan: RepositoryPlan): Promise<void> {
  const down = await unreachable(plan.github.baseUrl);
  if (down !== undefined) throw ApplicationFailure.nonRetryable(redact(`GitHub ${plan.github.baseUrl} (dependencies.github.baseUrl) is unreachable: ${down}`), 'GitHubUnreachable');
}

async function changedFiles(dir: string, plan: RepositoryPlan, pr: PlannedPullRequest): Promise<FileChange[]> {
  const byFile = new Map<string, PlannedPullRequest['updates']>();
  for (const u of pr.updates) byFile.set(u.packageFile, [...(byFile.get(u.packageFile) ?? []), u]);
  // By path: a workspace's packages share the root's lockfile, refreshed once per package file; the last holds them all.
  const changes = new Map<string, FileChange>();
  for (const [file, updates] of byFile) {
    const normalized = posix.normalize(file);
    if (normalized.startsWith('../') || posix.isAbsolute(normalized)) throw new FileChangeError(file, updates[0]!.depName, 'is outside the repository');
    const path = join(dir, normalized);
    const before = await readFile(path, 'utf8').catch(() => {
      throw new FileChangeError(file, updates[0]!.depName, `does not exist on ${plan.baseBranch}`);
    });
    const after = applyUpdatesToText(file, before, updates);
    if (after === before) continue;
    const artifacts = await artifactsFor(updates[0]!.manager).updateArtifacts({
      checkoutDir: dir, packageFileName: normalized, updatedDeps: updates, packageFileContent: before, newPackageFileContent: after,
      config: { registries: plan.registries, heartbeat },
    });
    // An artifact may rewrite the package file itself (a requirements file's hashes).
    changes.set(normalized, { path: normalized, content: after });
    for (const change of artifacts) changes.set(change.path, change);
    await writeFile(path, changes.get(normalized)!.content ?? after);
  }
  return [...changes.values()];
}
