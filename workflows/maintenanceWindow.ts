import { ApplicationFailure, condition, executeChild, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { FAILURE } from '../policies/common/failures';
import type { NoticeContext, NoticeKind } from '../policies/notices/render';
import { taskTargets } from '../policies/windows/tasks';
import type { NoticeRecipient, SpentBudget, WindowPhase, WindowPlan, WindowRunInput, WindowStatus, WindowTaskState } from '../policies/windows/types';
import type { Occurrence } from '../policies/windows/schema';
import { nextOccurrences, occurrenceAt } from '../policies/windows/occurrences';
import { budgetReads, inventoryReads, NOTICE_ATTEMPTS, noticeDelivery as notices, scheduleUpkeep as schedules, windowChecks as checks } from './activityProfiles';
import { chunk, mapWithConcurrency } from './concurrency';
import { cancelWindowUpdate, cutoffSignal, extendWindowUpdate, overrideBudgetUpdate, windowStatusQuery } from './messages';
import { runWindowTask } from './windowTasks';
import { approvalLine, approvedPackageNames, nothingApprovedMessage, type HostApproval } from '../policies/compliance/rolloutPins';
import { strategyBaseline } from '../policies/rollout/strategies';
import { previewRolloutWorkflow } from './previewRollout';
import { windowTaskRolloutId } from './windowTasks/rollout';

export { windowTaskRolloutId } from './windowTasks/rollout';

const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
/** Recipients per notice activity (history stays small for thousands of subscribers), and such activities at once. */
const RECIPIENTS_PER_ACTIVITY = 50;
const NOTICE_PARALLELISM = 4;

/** One occurrence's run as it goes: what the status query shows, changed by the steps and the updates. */
class WindowRun {
  readonly start: number;
  end: number;
  /** The cutoff keeps its distance to the end when the end moves. */
  readonly cutoffBeforeEnd: number;
  phase: WindowPhase = 'scheduled';
  reason: string | undefined;
  cancelled = false;
  preflight: WindowStatus['preflight'];
  finishedAt: string | undefined;
  readonly sent: WindowStatus['notices'] = [];
  readonly tasks: WindowStatus['tasks'];
  /** The child workflow of the task running now: cancel and extend move its cutoff. */
  runningTask: string | undefined;
  /** Set by `maint windows override`: routine tasks run although an error budget is spent. */
  budgetOverride: { by: string; reason: string } | undefined;

  constructor(readonly input: WindowRunInput, readonly occurrence: Occurrence) {
    this.start = Date.parse(occurrence.start);
    this.end = Date.parse(occurrence.end);
    this.cutoffBeforeEnd = this.end - Date.parse(occurrence.cutoff);
    this.tasks = input.plan.tasks.map((t) => ({ name: t.name, state: 'pending' as WindowTaskState }));
  }

  get plan(): WindowPlan {
    return this.input.plan;
  }

  get cutoff(): number {
    return this.end - this.cutoffBeforeEnd;
  }

  status(): WindowStatus {
    const { plan, occurrence, reason, preflight, finishedAt } = this;
    return {
      window: plan.name, title: plan.title, services: plan.services, occurrence, end: new Date(this.end).toISOString(), phase: this.phase,
      tasks: this.tasks.map((t) => ({ ...t })), notices: this.sent.map((n) => ({ ...n })),
      ...(reason !== undefined ? { reason } : {}),
      ...(preflight !== undefined ? { preflight } : {}),
      ...(finishedAt !== undefined ? { finishedAt } : {}),
      ...(this.budgetOverride !== undefined ? { budgetOverride: this.budgetOverride } : {}),
    };
  }

  over(): boolean {
    return ['completed', 'rolled-back', 'cancelled', 'missed'].includes(this.phase);
  }

  notice(kind: NoticeKind, extra: Partial<NoticeContext>): Omit<NoticeContext, 'language' | 'timezone' | 'recipientName'> {
    const { plan, reason } = this;
    return {
      kind, organisation: plan.organisation,
      window: { title: plan.title, services: plan.services.map((s) => s.title), start: this.occurrence.start, end: new Date(this.end).toISOString() },
      ...(plan.impact !== undefined ? { impact: plan.impact } : {}),
      ...(reason !== undefined && (kind === 'extended' || kind === 'cancelled') ? { reason } : {}),
      ...extra,
    };
  }
}

/** The occurrence this run is for: the one it was started with, or the one its schedule's time names. */
function findOccurrence(input: WindowRunInput): Occurrence {
  const { plan } = input;
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? workflowInfo().runStartTime;
  const found = input.occurrenceStart !== undefined
    ? occurrenceAt(plan.timing, new Date(input.occurrenceStart))
    : nextOccurrences(plan.timing, new Date(scheduledAt.getTime() - 1000), 1)[0];
  if (!found) throw ApplicationFailure.nonRetryable(`window ${plan.name} has no occurrence at ${input.occurrenceStart ?? scheduledAt.toISOString()}`, FAILURE.NoOccurrence);
  return found;
}

/** The status query, and cancel and extend as updates (rejected once the window is over). */
function handleMessages(w: WindowRun): void {
  const { plan, occurrence } = w;
  setHandler(windowStatusQuery, () => w.status());
  setHandler(
    cancelWindowUpdate,
    async ({ reason: why, by }) => {
      w.cancelled = true;
      w.reason = by ? `${why} (${by})` : why;
      // No new wave of the running rollout; what is in flight finishes or is rolled back by the rollout itself.
      if (w.runningTask) await getExternalWorkflowHandle(w.runningTask).signal(cutoffSignal, { at: Date.now() }).catch(() => undefined);
      return w.status();
    },
    { validator: (_request) => {
      if (w.over()) throw ApplicationFailure.nonRetryable(`window ${plan.name} (${occurrence.localStart}) has already ended: ${w.phase}`, FAILURE.WindowOver);
    } },
  );
  setHandler(
    overrideBudgetUpdate,
    ({ by, reason: why }) => {
      w.budgetOverride = { by, reason: why };
      return w.status();
    },
    { validator: (_request) => {
      if (w.over() || w.cancelled) throw ApplicationFailure.nonRetryable(`window ${plan.name} (${occurrence.localStart}) has already ended: ${w.phase}`, FAILURE.WindowOver);
    } },
  );
  setHandler(
    extendWindowUpdate,
    async ({ until, reason: why }) => {
      w.end = Date.parse(until);
      w.reason = why;
      if (w.runningTask) await getExternalWorkflowHandle(w.runningTask).signal(cutoffSignal, { at: w.cutoff }).catch(() => undefined);
      await notify(w, 'extended');
      return w.status();
    },
    { validator: ({ until }) => {
      if (w.over() || w.cancelled) throw ApplicationFailure.nonRetryable(`window ${plan.name} (${occurrence.localStart}) has already ended: ${w.phase}`, FAILURE.WindowOver);
      const t = Date.parse(until);
      if (!Number.isFinite(t) || t <= w.end) throw ApplicationFailure.nonRetryable(`the new end must be later than the current end ${new Date(w.end).toISOString()}`, FAILURE.InvalidExtension);
    } },
  );
}

/** What the "scheduled" notice names (`notices.describeUpdates`): the approved packages of every baseline task's hosts. */
async function updatesToName(w: WindowRun): Promise<Partial<NoticeContext>> {
  const tasks = await baselinePreviews(w, 'scheduled');
  const names = approvedPackageNames(tasks.flatMap((t) => t.hosts));
  return names.security.length + names.other.length > 0 ? { updates: names } : {};
}

/** Sends one kind of notice to every recipient; a recipient that cannot be reached does not stop the window. */
async function notify(w: WindowRun, kind: NoticeKind, extra: Partial<NoticeContext> = {}): Promise<void> {
  const { plan } = w;
  const notice = w.notice(kind, extra);
  const results = await mapWithConcurrency(chunk(plan.recipients, RECIPIENTS_PER_ACTIVITY), NOTICE_PARALLELISM, (recipients) =>
    notices
      .sendNotices({ keyPrefix: `${plan.name}/${w.occurrence.start}/${kind}`, window: plan.name, channels: plan.channels, recipients, notice, finalAttempt: NOTICE_ATTEMPTS })
      .catch((err: unknown) => ({ delivered: 0, failed: recipients.map((r) => ({ recipient: r.name, error: (err as Error).message })) })),
  );
  const failed = results.flatMap((r) => r.failed);
  w.sent.push({ kind, sentAt: new Date().toISOString(), delivered: results.reduce((n, r) => n + r.delivered, 0), failed: failed.length });
  if (failed.length > 0) {
    await alert(w, `notices-${kind}`, `${failed.length} of ${plan.recipients.length} "${kind}" notice(s) for window ${plan.name} could not be delivered`, failed.slice(0, 50).map((f) => `${f.recipient}: ${f.error}`).join('\n'));
  }
}

/** Tells operations (every `operations` recipient), at most once per `what` of this occurrence. */
async function alert(w: WindowRun, what: string, subject: string, text: string): Promise<void> {
  const { plan } = w;
  await mapWithConcurrency(plan.operations, NOTICE_PARALLELISM, async (recipient) => {
    await notices
      .sendAlert({ key: `${plan.name}/${w.occurrence.start}/alert-${what}/${recipient.key}`, channel: channelOf(plan, recipient), recipient, subject: `[maint] ${subject}`, text })
      .catch(() => undefined);
  });
}

/** "the error budget of shop (gold, 99.95% this month) is spent: 31.2 of 21.6 min". */
function budgetSpent(b: SpentBudget): string {
  return `the error budget of ${b.service} (${b.tier}, ${b.targetPercent}% in ${b.month}) is spent: ${b.spentMinutes.toFixed(1)} of ${b.allowedMinutes.toFixed(1)} min`;
}

/** Sleeps until `at` (epoch ms); true when cancelled meanwhile. */
async function sleepUntil(w: WindowRun, at: number): Promise<boolean> {
  const ms = at - Date.now();
  if (ms > 0) await condition(() => w.cancelled, ms);
  return w.cancelled;
}

/** Hosts resolved per inventory read for a baseline preview. */
const PREVIEW_RESOLVE_CHUNK = 200;

/**
 * What the patch baselines of the window's rollout tasks will install, per task and host, from a
 * read-only scan now (the dry run of each task). Tasks without `packages: {baseline}` are left out.
 */
async function baselinePreviews(w: WindowRun, step: string): Promise<Array<{ task: number; name: string; baseline: string; hosts: HostApproval[] }>> {
  const out = [];
  for (const [i, task] of w.plan.tasks.entries()) {
    const baseline = strategyBaseline(task.policy.strategy);
    if (baseline === undefined) continue;
    const names = await inventoryReads.listTargetNames(task.targets);
    const hosts = [];
    for (const part of chunk(names, PREVIEW_RESOLVE_CHUNK)) hosts.push(...(await inventoryReads.resolveTargets({ targets: task.targets, names: part })).hosts);
    const previews = await executeChild(previewRolloutWorkflow, {
      workflowId: `${workflowInfo().workflowId}-${step}-baseline-${i + 1}`,
      args: [{ rolloutId: windowTaskRolloutId(w.plan.name, w.occurrence.start, i), strategy: task.policy.strategy, hosts }],
    });
    out.push({
      task: i, name: task.name, baseline: baseline.baseline,
      hosts: previews.map((p): HostApproval => (p.baseline !== undefined && p.error === undefined
        ? { host: p.name, ok: true, approved: p.baseline.approved, withheld: p.baseline.withheld }
        : { host: p.name, ok: false, error: p.error ?? 'no preview', approved: [], withheld: 0 })),
    });
  }
  return out;
}

/**
 * The pre-flight's part for baseline tasks: per host what will be installed (in the window's
 * status), and an alert to operations for a task with nothing approved on any host (it will touch no host).
 */
async function preflightBaselines(w: WindowRun): Promise<string[]> {
  const { plan, occurrence } = w;
  const installs: string[] = [];
  for (const t of await baselinePreviews(w, 'preflight')) {
    installs.push(...t.hosts.map((h) => `task ${t.task + 1} (${t.name}) ${approvalLine(h)}`));
    const nothing = nothingApprovedMessage(t.baseline, t.hosts);
    if (nothing !== undefined) {
      await alert(w, `nothing-approved-${t.task}`, `window ${plan.name} (${occurrence.localStart}): task ${t.task + 1} (${t.name}) has nothing approved to install`,
        `${nothing}: the rollout will touch no host unless updates are approved by then.\n\nmaint rollout start -f <policy> --dry-run shows the baseline's decisions per host.`);
    }
  }
  return installs;
}

/** Before the start: notices at their lead times and the pre-flight, in time order. True when customers were told. */
async function beforeTheStart(w: WindowRun): Promise<boolean> {
  const { plan, occurrence, start } = w;
  const before: Array<{ at: number; step: 'scheduled' | 'reminder' | 'preflight' }> = [
    ...plan.leadTimesMs.map((lead, i) => ({ at: start - lead, step: (i === 0 ? 'scheduled' : 'reminder') as 'scheduled' | 'reminder' })),
    ...(plan.preflightBeforeMs !== undefined && plan.tasks.length > 0 ? [{ at: start - plan.preflightBeforeMs, step: 'preflight' as const }] : []),
  ].sort((a, b) => a.at - b.at);
  const launchedAt = Date.now();
  let announced = false;
  for (const event of before) {
    if (Date.now() >= start) break;
    // A reminder whose moment passed before this run began is covered by the "scheduled" notice sent now.
    if (event.step === 'reminder' && event.at < launchedAt && announced) continue;
    if (await sleepUntil(w, event.at)) break;
    if (event.step === 'preflight') {
      const result = await checks.preflightWindowHosts({ targets: taskTargets(plan.tasks) });
      const installs = plan.tasks.some((t) => strategyBaseline(t.policy.strategy) !== undefined) ? await preflightBaselines(w) : [];
      w.preflight = { at: new Date().toISOString(), ok: result.problems.length === 0, problems: result.problems.slice(0, 50), ...(installs.length > 0 ? { installs: installs.slice(0, 200) } : {}) };
      if (result.problems.length > 0) {
        await alert(w, 'preflight', `pre-flight of window ${plan.name} (${occurrence.localStart}): ${result.problems.length} problem(s)`, `${result.problems.join('\n')}\n\n${result.hosts} host(s) checked. Fix these before the window starts, or cancel it: maint windows cancel ${plan.name} --reason "…"`);
      }
    } else if (plan.recipients.length > 0 || event.step === 'scheduled') {
      await notify(w, event.step, event.step === 'scheduled' && plan.describeUpdates ? await updatesToName(w) : {});
      announced = true;
    }
  }
  return announced;
}

/** The tasks in order; none starts after the cutoff or once cancelled. True when one was rolled back or failed. */
async function runTasks(w: WindowRun): Promise<boolean> {
  const { plan, occurrence } = w;
  let rolledBack = false;
  let spent: SpentBudget[] | undefined;
  for (const [i, task] of plan.tasks.entries()) {
    const t = w.tasks[i]!;
    if (w.cancelled) {
      t.state = 'cancelled';
      continue;
    }
    const cutoff = w.cutoff;
    if (Date.now() >= cutoff) {
      t.state = 'postponed';
      t.message = `not started: the window's cutoff (${new Date(cutoff).toISOString()}) had passed`;
      continue;
    }
    // Error-budget gating: a routine task waits for a month with budget left; a security task runs.
    if (plan.errorBudgets && (task.urgency ?? 'routine') === 'routine' && w.budgetOverride === undefined) {
      spent ??= await budgetReads.spentErrorBudgets({ budgets: plan.errorBudgets, timing: plan.timing, occurrenceStart: occurrence.start });
      if (spent.length > 0) {
        t.state = 'postponed';
        t.deferred = true;
        t.message = `postponed: ${spent.map(budgetSpent).join('; ')}; a routine task waits for budget (urgency: security tasks still run; maint windows override ${plan.name} --reason "…" runs it anyway)`;
        continue;
      }
    }
    let outcome;
    try {
      outcome = await runWindowTask(task, {
        window: plan.name, occurrenceStart: occurrence.start, index: i, cutoff,
        started: ({ rolloutId, workflowId }) => {
          Object.assign(t, { rolloutId, state: 'running' });
          w.runningTask = workflowId;
        },
      });
    } finally {
      w.runningTask = undefined;
    }
    t.state = outcome.state;
    if (outcome.message !== undefined) t.message = outcome.message;
    if (outcome.state === 'rolled-back' || outcome.state === 'failed') rolledBack = true;
    if (outcome.alert) await alert(w, `rollback-${i}`, outcome.alert.subject, outcome.alert.text);
  }
  return rolledBack;
}

/** After the tasks: the closing notice says how it went. */
async function conclude(w: WindowRun, rolledBack: boolean): Promise<void> {
  const finishedAt = new Date().toISOString();
  w.finishedAt = finishedAt;
  if (w.cancelled) {
    w.phase = 'cancelled';
    // Cancelled after the start: what was done stays (checked, or rolled back by its rollout).
    await notify(w, 'cancelled', { stoppedEarly: true, finishedAt });
  } else if (rolledBack) {
    w.phase = 'rolled-back';
    await notify(w, 'rolled-back', { finishedAt });
  } else {
    w.phase = 'completed';
    const postponed = w.tasks.filter((x) => x.state === 'postponed' && !x.deferred).map((x) => x.name);
    const deferred = w.tasks.filter((x) => x.deferred).map((x) => x.name);
    await notify(w, 'completed', { finishedAt, ...(postponed.length > 0 ? { postponed } : {}), ...(deferred.length > 0 ? { deferred } : {}) });
  }
}

async function finish(w: WindowRun): Promise<WindowStatus> {
  w.finishedAt ??= new Date().toISOString();
  // Started by a schedule made before windowLaunchWorkflow (which now tops it up): keep its list of
  // exact launch times topped up (only if nobody re-applied meanwhile). `maint apply` updates such schedules.
  if (w.input.occurrenceStart === undefined) await schedules.refreshWindowSchedule({ window: w.plan.name, configHash: w.plan.configHash }).catch(() => undefined);
  return w.status();
}

/**
 * One occurrence of a maintenance window, started by the window's schedule ahead of time:
 * "scheduled" notice at the first lead time, pre-flight of the task hosts (alerts operations),
 * reminders, "started" at the start, the tasks in order (none starts after the cutoff), then
 * "completed" or "rolled back". Cancel and extend arrive as updates. Every notice is sent once
 * per (occurrence, kind, recipient).
 */
export async function maintenanceWindowWorkflow(input: WindowRunInput): Promise<WindowStatus> {
  const w = new WindowRun(input, findOccurrence(input));
  handleMessages(w);

  if (Date.now() >= w.end) {
    w.phase = 'missed';
    w.reason = `started after the window had ended (${w.occurrence.localEnd})`;
    return w.status();
  }

  const announced = await beforeTheStart(w);
  if (!w.cancelled) await sleepUntil(w, w.start);
  if (w.cancelled && Date.now() < w.start) {
    w.phase = 'cancelled';
    if (announced) await notify(w, 'cancelled');
    return finish(w);
  }

  w.phase = 'in-progress';
  await notify(w, 'started');
  await conclude(w, await runTasks(w));
  return finish(w);
}

function channelOf(plan: WindowPlan, recipient: NoticeRecipient) {
  const channel = plan.channels.find((c) => c.name === recipient.channel);
  if (!channel) throw ApplicationFailure.nonRetryable(`channel ${recipient.channel} is not part of window ${plan.name}'s plan`, FAILURE.NoticeInvalid);
  return channel;
}
