import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, executeChild, setHandler } from '@temporalio/workflow';
import { planUpdates, policyType } from '../policies/deps/plan';
import { renderPullRequestBody, type MergeOutlook } from '../policies/deps/prBody';
import type { RepositoryPlan } from '../policies/deps/resolve';
import { dependencyRunId, openAdvisories, recentlyMerged, type DependencyRunInput, type DependencyRunSummary, type PullRequestReport, type SplitReport } from '../policies/deps/run';
import { planSplits, splitComment } from '../policies/deps/split';
import { nextOccurrences, occurrencesBetween } from '../policies/windows/occurrences';
import { dryRunGitHubReads as dryRunGitHub, githubWrites as github, renovateRuns as renovate } from './activityProfiles';
import { causeMessage } from './failures';
import { dependencyRunQuery } from './messages';

/** The merge window's state now: open (before its cutoff, not blacked out) and its next occurrence. */
function windowOutlook(plan: RepositoryPlan, now: Date, which: 'mergeWindow' | 'openWindow' = 'mergeWindow'): MergeOutlook['window'] {
  const w = plan[which];
  if (!w) return undefined;
  const recent = occurrencesBetween(w.timing, new Date(now.getTime() - w.timing.durationMs - 86_400_000), new Date(now.getTime() + 1));
  const open = recent.some((o) => !o.blackout && Date.parse(o.start) <= now.getTime() && now.getTime() < Date.parse(o.cutoff));
  const next = nextOccurrences(w.timing, now, 1)[0];
  return { name: w.name, timezone: w.timing.timezone, open, ...(next ? { nextStart: next.start, nextEnd: next.end } : {}) };
}

/**
 * One repository's dependency run: Renovate's lookup on a fresh checkout, the update policy,
 * one PR per group (created, or updated in place on its branch), automerge inside the merge
 * window with green checks. Safe to re-run at any time: everything it writes is keyed on branch
 * names, and a re-run with nothing new changes nothing.
 */
export async function dependencyUpdatesWorkflow(input: DependencyRunInput): Promise<DependencyRunSummary> {
  const { plan } = input;
  const summary: DependencyRunSummary = {
    repo: plan.repo, dryRun: input.dryRun === true, startedAt: new Date().toISOString(), finishedAt: '',
    managers: [], problems: [], pullRequests: [], held: [], stale: [],
  };
  setHandler(dependencyRunQuery, () => summary);
  const finish = () => ({ ...summary, finishedAt: new Date().toISOString() });

  let scan;
  try {
    scan = await renovate.scanRepository({ plan });
  } catch (err) {
    summary.problems.push({ level: 'error', message: `scan failed: ${causeMessage(err)}` });
    return finish();
  }
  summary.renovateVersion = scan.renovateVersion;
  summary.managers = scan.managers;
  if (scan.unscanned?.length) summary.unscanned = scan.unscanned;
  summary.problems.push(...scan.problems);

  let state;
  try {
    state = input.dryRun ? await dryRunGitHub.listDependencyPullRequests({ plan, failFast: true }) : await github.listDependencyPullRequests({ plan });
  } catch (err) {
    if (!input.dryRun) {
      summary.problems.push({ level: 'error', message: `cannot read the PRs on GitHub: ${causeMessage(err)}` });
      return finish();
    }
    // A dry run still prints its plan, made as if no PR existed, and says so.
    summary.pullRequestsUnknown = `cannot read the PRs on GitHub: ${causeMessage(err)}`;
    summary.problems.push({ level: 'warning', message: `${summary.pullRequestsUnknown}; existing PRs unknown: the plan does not know open or closed PRs, nor the limits' counts` });
    state = { pullRequests: [], open: {} };
  }
  const now = new Date();
  const schedule = windowOutlook(plan, now, 'openWindow');
  const scheduleClosed = schedule && !schedule.open ? `outside openWindow ${schedule.name}${schedule.nextStart ? ` (next ${schedule.nextStart})` : ''}` : undefined;
  const planned = planUpdates({ updates: scan.updates, policy: plan.policy, pullRequests: state.pullRequests, now, ...(scheduleClosed ? { scheduleClosed } : {}) });
  summary.held = planned.held.map((h) => ({ depName: h.update.depName, manager: h.update.manager, to: h.update.newVersion, reason: h.reason, detail: h.detail }));
  summary.stale = planned.stale;
  if (!input.dryRun) summary.merged = recentlyMerged(state.pullRequests, now);
  if (planned.waiting.length) summary.waiting = planned.waiting;
  // A group PR whose checks failed goes on as two halves (its place in the plan); it is closed once both are open.
  const bisected = planSplits({ plan: planned, checks: state.open, pullRequests: state.pullRequests, policy: plan.policy });
  const splits: SplitReport[] = bisected.splits.map((s) => ({
    number: s.number, url: s.url, branch: s.branch, group: s.group, failing: s.failing, into: s.into.map((branch) => ({ branch })),
    outcome: input.dryRun ? 'would-split' : 'kept-open',
  }));
  if (splits.length) summary.splits = splits;
  if (bisected.culprits.length) summary.culprits = bisected.culprits;
  const window = windowOutlook(plan, now);

  for (const pr of bisected.pullRequests) {
    const report: PullRequestReport = {
      branch: pr.branch, title: pr.title, outcome: pr.existing ? 'would-update' : 'would-create',
      ...(pr.group !== undefined ? { group: pr.group } : {}),
      ...(pr.groupReason !== undefined ? { groupReason: pr.groupReason } : {}),
      ...(pr.existing ? { number: pr.existing.number, url: pr.existing.url } : {}),
      updates: pr.updates.map((u) => ({
        depName: u.depName, manager: u.manager, packageFile: u.packageFile, type: policyType(u),
        from: u.currentValue + (u.currentDigest ? `@${u.currentDigest}` : ''), to: u.newValue + (u.newDigest ? `@${u.newDigest}` : ''),
      })),
    };
    summary.pullRequests.push(report);
    const outlook: MergeOutlook = {
      automerge: pr.automerge, rollouts: plan.mergeWindow?.rollouts ?? [],
      ...(window ? { window } : {}),
      ...(state.open[pr.branch] ? { checks: state.open[pr.branch]!.checks } : {}),
      ...(plan.policy.minimumReleaseAgeMs !== undefined ? { minimumReleaseAgeMs: plan.policy.minimumReleaseAgeMs } : {}),
    };
    const body = renderPullRequestBody(pr, outlook, now);
    // A dry run shows the body it would write (`maint deps scan --dry-run --show-body`).
    if (input.dryRun) {
      report.body = body;
      continue;
    }
    try {
      const published = await github.publishDependencyPullRequest({ plan, pr, body });
      if (published.leftAlone !== undefined) {
        Object.assign(report, { ...(published.number > 0 ? { number: published.number, url: published.url } : {}), outcome: 'left-alone', error: `left alone: ${published.leftAlone}; delete the branch to let maint recreate it` });
        continue;
      }
      Object.assign(report, { number: published.number, url: published.url, outcome: published.created ? 'created' : published.changed ? 'updated' : 'unchanged' });
      for (const warning of published.warnings) summary.problems.push({ level: 'warning', message: `PR #${published.number} (${pr.branch}): ${warning}` });
      if (!pr.automerge) continue;
      if (!window?.open) {
        report.automerge = `waits for window ${window?.name}${window?.nextStart ? ` (next ${window.nextStart})` : ''}`;
        continue;
      }
      const merge = await github.mergeDependencyPullRequest({ plan, number: published.number, sha: published.commitSha, title: pr.title });
      if (merge.merged) report.outcome = 'merged';
      else report.automerge = `not merged: ${merge.reason}`;
    } catch (err) {
      report.outcome = 'failed';
      report.error = causeMessage(err);
    }
  }
  if (!input.dryRun) await closeSplitPullRequests(plan, splits, summary.pullRequests);
  if (scan.advisoryRecords !== undefined) summary.advisoryRecords = scan.advisoryRecords;
  if (scan.vulnerable?.length) {
    const open = openAdvisories(scan.vulnerable, { pullRequests: bisected.pullRequests, held: planned.held }, (branch) => (input.dryRun ? undefined : summary.pullRequests.find((r) => r.branch === branch)));
    summary.advisories = open.advisories;
    if (open.more > 0) summary.advisoriesMore = open.more;
  }
  return finish();
}

/** Closes each split PR whose two parts are open now, with a comment linking them; otherwise it stays open until a later run. */
async function closeSplitPullRequests(plan: RepositoryPlan, splits: SplitReport[], reports: PullRequestReport[]): Promise<void> {
  for (const split of splits) {
    const parts = split.into.map((part) => reports.find((r) => r.branch === part.branch));
    split.into = split.into.map((part, i) => ({ ...part, ...(parts[i]?.number !== undefined ? { number: parts[i]!.number, url: parts[i]!.url! } : {}) }));
    if (!parts.every((p) => p !== undefined && p.number !== undefined && ['created', 'updated', 'unchanged', 'merged'].includes(p.outcome))) {
      split.error = 'a part could not be published; the PR stays open and the split is tried again next run';
      continue;
    }
    const halves = parts.map((p) => ({ number: p!.number!, updates: p!.updates.map((u) => `${u.depName} ${u.to}`).filter((u, i, all) => all.indexOf(u) === i) }));
    try {
      await github.closeSplitPullRequest({ plan, number: split.number, comment: splitComment(split, halves), record: { into: halves.map((h) => h.number), failing: split.failing } });
      split.outcome = 'closed';
    } catch (err) {
      split.outcome = 'failed';
      split.error = causeMessage(err);
    }
  }
}

export interface DependencyScanResult {
  repo: string;
  /** `ran`, or why not (already running, failed). */
  outcome: string;
  pullRequests?: Partial<Record<PullRequestReport['outcome'], number>>;
  problems?: number;
}

/**
 * The organisation-wide run its schedule starts: every repository's dependencyUpdates run, one at
 * a time (Renovate and npm are heavy), each as a child with the repository's workflow id, so a
 * run started by hand for the same repository is never duplicated. Returns counts, not details
 * (each child's own result has those).
 */
export async function dependencyScanWorkflow(input: { repositories: RepositoryPlan[] }): Promise<DependencyScanResult[]> {
  const results: DependencyScanResult[] = [];
  for (const plan of input.repositories) {
    try {
      const summary = await executeChild(dependencyUpdatesWorkflow, { workflowId: dependencyRunId(plan.repo), args: [{ plan }] });
      const counts: Partial<Record<PullRequestReport['outcome'], number>> = {};
      for (const pr of summary.pullRequests) counts[pr.outcome] = (counts[pr.outcome] ?? 0) + 1;
      results.push({ repo: plan.repo, outcome: 'ran', pullRequests: counts, problems: summary.problems.length });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) results.push({ repo: plan.repo, outcome: 'already running' });
      else if (err instanceof ApplicationFailure || (err as Error).name === 'ChildWorkflowFailure') results.push({ repo: plan.repo, outcome: `failed: ${causeMessage(err)}` });
      else throw err;
    }
  }
  return results;
}
