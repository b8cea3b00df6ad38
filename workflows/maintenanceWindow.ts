import {
  ApplicationFailure, condition, getExternalWorkflowHandle, ParentClosePolicy, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { NoticeContext, NoticeKind } from '../policies/notices/render';
import { publishedRolloutStatus, readRolloutStatus, type RolloutReport } from '../policies/rollout/types';
import type { NoticeRecipient, WindowPhase, WindowPlan, WindowRunInput, WindowStatus, WindowTaskState } from '../policies/windows/types';
import { nextOccurrences, occurrenceAt } from '../policies/windows/occurrences';
import { NOTICE_ATTEMPTS, noticeDelivery as notices, scheduleUpkeep as schedules, windowChecks as checks } from './activityProfiles';
import { chunk, mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';
import { cancelWindowUpdate, cutoffSignal, extendWindowUpdate, windowStatusQuery } from './messages';
import { rolloutWorkflowId, type patchRolloutWorkflow } from './patchRollout';
import { FAILURE } from '../policies/common/failures';


const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
/** Recipients per notice activity (history stays small for thousands of subscribers), and such activities at once. */
const RECIPIENTS_PER_ACTIVITY = 50;
const NOTICE_PARALLELISM = 4;

/** `web-monthly-20261124T2100Z-1`: the rollout of a window occurrence's n-th task. */
export function windowTaskRolloutId(window: string, occurrenceStart: string, task: number): string {
  return `${window}-${occurrenceStart.replace(/[-:]/g, '').replace(/\.\d+/, '').replace(/00Z$/, 'Z').toLowerCase()}-${task + 1}`;
}

/**
 * One occurrence of a maintenance window, started by the window's schedule ahead of time:
 * "scheduled" notice at the first lead time, pre-flight of the task hosts (alerts operations),
 * reminders, "started" at the start, the tasks in order (none starts after the cutoff), then
 * "completed" or "rolled back". Cancel and extend arrive as updates. Every notice is sent once
 * per (occurrence, kind, recipient).
 */
export async function maintenanceWindowWorkflow(input: WindowRunInput): Promise<WindowStatus> {
  const { plan } = input;
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? workflowInfo().runStartTime;
  const found = input.occurrenceStart !== undefined
    ? occurrenceAt(plan.timing, new Date(input.occurrenceStart))
    : nextOccurrences(plan.timing, new Date(scheduledAt.getTime() - 1000), 1)[0];
  if (!found) throw ApplicationFailure.nonRetryable(`window ${plan.name} has no occurrence at ${input.occurrenceStart ?? scheduledAt.toISOString()}`, FAILURE.NoOccurrence);
  const occurrence = found;

  const start = Date.parse(occurrence.start);
  let end = Date.parse(occurrence.end);
  const cutoffBeforeEnd = end - Date.parse(occurrence.cutoff);
  let phase: WindowPhase = 'scheduled';
  let reason: string | undefined;
  let cancelled = false;
  let preflight: WindowStatus['preflight'];
  let finishedAt: string | undefined;
  const sent: WindowStatus['notices'] = [];
  const tasks: WindowStatus['tasks'] = plan.tasks.map((t) => ({ name: t.name, state: 'pending' as WindowTaskState }));
  let runningRollout: string | undefined;

  const status = (): WindowStatus => ({
    window: plan.name, title: plan.title, services: plan.services, occurrence, end: new Date(end).toISOString(), phase,
    tasks: tasks.map((t) => ({ ...t })), notices: sent.map((n) => ({ ...n })),
    ...(reason !== undefined ? { reason } : {}),
    ...(preflight !== undefined ? { preflight } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  });
  const over = () => ['completed', 'rolled-back', 'cancelled', 'missed'].includes(phase);
  setHandler(windowStatusQuery, status);
  setHandler(
    cancelWindowUpdate,
    async ({ reason: why, by }) => {
      cancelled = true;
      reason = by ? `${why} (${by})` : why;
      // No new wave of the running rollout; what is in flight finishes or is rolled back by the rollout itself.
      if (runningRollout) await getExternalWorkflowHandle(runningRollout).signal(cutoffSignal, { at: Date.now() }).catch(() => undefined);
      return status();
    },
    { validator: (_request) => {
      if (over()) throw ApplicationFailure.nonRetryable(`window ${plan.name} (${occurrence.localStart}) has already ended: ${phase}`, FAILURE.WindowOver);
    } },
  );
  setHandler(
    extendWindowUpdate,
    async ({ until, reason: why }) => {
      end = Date.parse(until);
      reason = why;
      if (runningRollout) await getExternalWorkflowHandle(runningRollout).signal(cutoffSignal, { at: end - cutoffBeforeEnd }).catch(() => undefined);
      await notify('extended');
      return status();
    },
    { validator: ({ until }) => {
      if (over() || cancelled) throw ApplicationFailure.nonRetryable(`window ${plan.name} (${occurrence.localStart}) has already ended: ${phase}`, FAILURE.WindowOver);
      const t = Date.parse(until);
      if (!Number.isFinite(t) || t <= end) throw ApplicationFailure.nonRetryable(`the new end must be later than the current end ${new Date(end).toISOString()}`, FAILURE.InvalidExtension);
    } },
  );

  const noticeFor = (kind: NoticeKind, extra: Partial<NoticeContext> = {}): Omit<NoticeContext, 'language' | 'timezone' | 'recipientName'> => ({
    kind, organisation: plan.organisation,
    window: { title: plan.title, services: plan.services.map((s) => s.title), start: occurrence.start, end: new Date(end).toISOString() },
    ...(plan.impact !== undefined ? { impact: plan.impact } : {}),
    ...(reason !== undefined && (kind === 'extended' || kind === 'cancelled') ? { reason } : {}),
    ...extra,
  });
  /** Sends one kind of notice to every recipient; a recipient that cannot be reached does not stop the window. */
  async function notify(kind: NoticeKind, extra: Partial<NoticeContext> = {}): Promise<void> {
    const notice = noticeFor(kind, extra);
    const chunks = chunk(plan.recipients, RECIPIENTS_PER_ACTIVITY);
    const results = await mapWithConcurrency(chunks, NOTICE_PARALLELISM, (recipients) =>
      notices
        .sendNotices({ keyPrefix: `${plan.name}/${occurrence.start}/${kind}`, window: plan.name, channels: plan.channels, recipients, notice, finalAttempt: NOTICE_ATTEMPTS })
        .catch((err: unknown) => ({ delivered: 0, failed: recipients.map((r) => ({ recipient: r.name, error: (err as Error).message })) })),
    );
    const failed = results.flatMap((r) => r.failed);
    sent.push({ kind, sentAt: new Date().toISOString(), delivered: results.reduce((n, r) => n + r.delivered, 0), failed: failed.length });
    if (failed.length > 0) {
      await alert(`notices-${kind}`, `${failed.length} of ${plan.recipients.length} "${kind}" notice(s) for window ${plan.name} could not be delivered`, failed.slice(0, 50).map((f) => `${f.recipient}: ${f.error}`).join('\n'));
    }
  }
  async function alert(what: string, subject: string, text: string): Promise<void> {
    await mapWithConcurrency(plan.operations, NOTICE_PARALLELISM, async (recipient) => {
      await notices
        .sendAlert({ key: `${plan.name}/${occurrence.start}/alert-${what}/${recipient.key}`, channel: channelOf(plan, recipient), recipient, subject: `[maint] ${subject}`, text })
        .catch(() => undefined);
    });
  }
  /** Sleeps until `at` (epoch ms); true when cancelled meanwhile. */
  const sleepUntil = async (at: number): Promise<boolean> => {
    const ms = at - Date.now();
    if (ms > 0) await condition(() => cancelled, ms);
    return cancelled;
  };

  if (Date.now() >= end) {
    phase = 'missed';
    reason = `started after the window had ended (${occurrence.localEnd})`;
    return status();
  }

  // Before the start: notices at their lead times and the pre-flight, in time order.
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
    if (await sleepUntil(event.at)) break;
    if (event.step === 'preflight') {
      const result = await checks.preflightWindowHosts({ targets: plan.tasks.map((t) => t.targets) });
      preflight = { at: new Date().toISOString(), ok: result.problems.length === 0, problems: result.problems.slice(0, 50) };
      if (result.problems.length > 0) {
        await alert('preflight', `pre-flight of window ${plan.name} (${occurrence.localStart}): ${result.problems.length} problem(s)`, `${result.problems.join('\n')}\n\n${result.hosts} host(s) checked. Fix these before the window starts, or cancel it: maint windows cancel ${plan.name} --reason "…"`);
      }
    } else if (plan.recipients.length > 0 || event.step === 'scheduled') {
      await notify(event.step);
      announced = true;
    }
  }

  if (!cancelled) await sleepUntil(start);
  if (cancelled && Date.now() < start) {
    phase = 'cancelled';
    if (announced) await notify('cancelled');
    return finish();
  }

  phase = 'in-progress';
  await notify('started');
  let rolledBack = false;
  for (const [i, task] of plan.tasks.entries()) {
    const t = tasks[i]!;
    if (cancelled) {
      t.state = 'cancelled';
      continue;
    }
    const cutoff = end - cutoffBeforeEnd;
    if (Date.now() >= cutoff) {
      t.state = 'postponed';
      t.message = `not started: the window's cutoff (${new Date(cutoff).toISOString()}) had passed`;
      continue;
    }
    const rolloutId = windowTaskRolloutId(plan.name, occurrence.start, i);
    t.rolloutId = rolloutId;
    t.state = 'running';
    runningRollout = rolloutWorkflowId(rolloutId);
    const child = await startChild<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
      workflowId: runningRollout,
      args: [{ rolloutId, policy: task.policy, targets: task.targets, notAfter: cutoff }],
      // A rollout never dies with its window: it finishes (or rolls back) on its own.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    let report: RolloutReport;
    try {
      report = await child.result();
    } catch (err) {
      t.state = 'failed';
      t.message = causeMessage(err);
      rolledBack = true;
      continue;
    } finally {
      runningRollout = undefined;
    }
    t.state = taskState(report);
    if (report.message !== undefined) t.message = report.message;
    if (t.state === 'rolled-back' || t.state === 'failed') {
      rolledBack = true;
      await alert(`rollback-${i}`, `window ${plan.name}: rollout ${rolloutId} ${publishedRolloutStatus(report.status)}`, `${report.message ?? ''}\n\nmaint rollout status ${rolloutId}`);
    }
  }

  finishedAt = new Date().toISOString();
  if (cancelled) {
    phase = 'cancelled';
    // Cancelled after the start: what was done stays (checked, or rolled back by its rollout).
    await notify('cancelled', { stoppedEarly: true, finishedAt });
  } else if (rolledBack) {
    phase = 'rolled-back';
    await notify('rolled-back', { finishedAt });
  } else {
    phase = 'completed';
    const postponed = tasks.filter((x) => x.state === 'postponed').map((x) => x.name);
    await notify('completed', { finishedAt, ...(postponed.length > 0 ? { postponed } : {}) });
  }
  return finish();

  async function finish(): Promise<WindowStatus> {
    finishedAt ??= new Date().toISOString();
    // Started by a schedule made before windowLaunchWorkflow (which now tops it up): keep its list of
    // exact launch times topped up (only if nobody re-applied meanwhile). `maint apply` updates such schedules.
    if (input.occurrenceStart === undefined) await schedules.refreshWindowSchedule({ window: plan.name, configHash: plan.configHash }).catch(() => undefined);
    return status();
  }
}

function channelOf(plan: WindowPlan, recipient: NoticeRecipient) {
  const channel = plan.channels.find((c) => c.name === recipient.channel);
  if (!channel) throw ApplicationFailure.nonRetryable(`channel ${recipient.channel} is not part of window ${plan.name}'s plan`, FAILURE.NoticeInvalid);
  return channel;
}

function taskState(report: RolloutReport): WindowTaskState {
  // A rollout started before the spelling was made one reports `rolled_back`.
  switch (readRolloutStatus(report.status)) {
    case 'completed':
    case 'completed-with-failures':
      return 'completed';
    case 'cut-off':
      return 'postponed';
    case 'rolled-back':
    case 'aborted':
      return 'rolled-back';
    default:
      return 'failed';
  }
}
