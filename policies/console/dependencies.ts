/**
 * The console's Dependencies page as a model: per repository of the organisation's
 * `dependencies` section, its latest run (policies/deps/run.ts summary), the upgrade PRs open after
 * it, and what waits and why: updates held (release age, closed PR, limits, not allowed, ignored,
 * reported only), new PRs the limits hold back, and automerge PRs not merged (outside the merge
 * window, checks pending or red). Pure.
 */
import type { HeldReason } from '../deps/plan';
import type { DependencyRunSummary, PullRequestOutcome } from '../deps/run';

export interface DependencyRepositoryInput {
  repo: string;
  baseBranch: string;
  mergeWindow?: string;
  /** The run's workflow state (`completed`, `running`, `failed`, `never run`, …). */
  state: string;
  summary?: DependencyRunSummary;
}

export interface OpenPullRequest {
  number?: number;
  url?: string;
  title: string;
  branch: string;
  outcome: PullRequestOutcome;
  updates: string[];
  /** Why it is not merged yet, when it is to be merged automatically. */
  waitsFor?: string;
}

export type WaitKind = 'release age' | 'window' | 'checks' | 'limits' | 'declined' | 'policy';

export interface WaitingItem {
  what: string;
  kind: WaitKind;
  why: string;
}

export interface DependencyRepositoryView {
  repo: string;
  baseBranch: string;
  state: string;
  finishedAt?: string;
  dryRun: boolean;
  mergeWindow?: string;
  openPullRequests: OpenPullRequest[];
  merged: OpenPullRequest[];
  waiting: WaitingItem[];
  problems: string[];
}

/** PRs that stay open after the run. */
const OPEN: ReadonlySet<PullRequestOutcome> = new Set(['created', 'updated', 'unchanged', 'left-alone']);

const HELD_KIND: Record<HeldReason, WaitKind> = {
  'pending-release-age': 'release age', limit: 'limits', 'closed-pr': 'declined', 'not-allowed': 'policy', ignored: 'policy', 'reported-only': 'policy', schedule: 'window',
};

function automergeKind(text: string): WaitKind {
  return /window/i.test(text) ? 'window' : /check|status|ci\b/i.test(text) ? 'checks' : 'policy';
}

export function dependencyRepositoryView(input: DependencyRepositoryInput): DependencyRepositoryView {
  const s = input.summary;
  const pr = (p: DependencyRunSummary['pullRequests'][number]): OpenPullRequest => ({
    ...(p.number !== undefined ? { number: p.number } : {}), ...(p.url !== undefined ? { url: p.url } : {}),
    title: p.title, branch: p.branch, outcome: p.outcome,
    updates: p.updates.map((u) => `${u.depName} ${u.from} → ${u.to}`),
    ...(p.automerge ? { waitsFor: p.automerge } : p.outcome === 'left-alone' ? { waitsFor: 'someone else pushed to its branch: left alone, not merged automatically' } : {}),
  });
  const open = (s?.pullRequests ?? []).filter((p) => OPEN.has(p.outcome)).map(pr);
  const waiting: WaitingItem[] = [
    ...open.flatMap((p): WaitingItem[] => (p.waitsFor ? [{ what: `merge of ${p.number !== undefined ? `#${p.number} ` : ''}${p.title}`, kind: p.outcome === 'left-alone' ? 'policy' : automergeKind(p.waitsFor), why: p.waitsFor }] : [])),
    ...(s?.waiting ?? []).map((w): WaitingItem => ({ what: `new PR ${w.title}`, kind: 'limits', why: w.limit })),
    ...(s?.held ?? []).map((h): WaitingItem => ({ what: `${h.depName} → ${h.to} (${h.manager})`, kind: HELD_KIND[h.reason], why: h.detail })),
  ];
  return {
    repo: input.repo, baseBranch: input.baseBranch, state: input.state,
    ...(s ? { finishedAt: s.finishedAt } : {}), dryRun: s?.dryRun ?? false,
    ...(input.mergeWindow !== undefined ? { mergeWindow: input.mergeWindow } : {}),
    openPullRequests: open,
    merged: (s?.pullRequests ?? []).filter((p) => p.outcome === 'merged').map(pr),
    waiting,
    problems: [...(s?.problems ?? []).map((p) => `${p.level}: ${p.message}`), ...(s?.pullRequests ?? []).filter((p) => p.outcome === 'failed').map((p) => `${p.title}: ${p.error ?? 'failed'}`), ...(s?.unscanned ?? []).map((u) => `${u.manager} not scanned: ${u.reason}`), ...(s?.pullRequestsUnknown ? [`existing PRs unknown: ${s.pullRequestsUnknown}`] : [])],
  };
}
