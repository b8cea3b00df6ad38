/**
 * The console's calendar and window runs: the applied windows' occurrences (read back from the
 * schedules `maint apply` wrote), the runs that have started, the notices the ledger recorded, the
 * SLA tiers of the organisation files; and the window controls (cancel, extend, override), each
 * recorded in the audit trail with the identity that gave it. policies/console/calendar.ts decides
 * what is shown; web/console/ only renders it.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { calendarModel, calendarQueryProblem, windowZoneTime, type CalendarModel, type CalendarView, type TierHours } from '../policies/console/calendar';
import { offeredWindowControls, type OfferedWindowControl, type WindowControlAction } from '../policies/console/windowControls';
import { occurrenceAt } from '../policies/windows/occurrences';
import type { Occurrence } from '../policies/windows/schema';
import { windowRunId, type WindowPlan, type WindowStatus } from '../policies/windows/types';
import { recordAuditEvent } from '../store/audit';
import { noticeDeliveriesBetween, occurrenceNoticeDeliveries } from '../store/noticeDeliveries';
import { maintenanceWindowWorkflow } from '../workflows/maintenanceWindow';
import { windowStatusQuery } from '../workflows/messages';
import type { ConsoleContext, ConsoleIdentityRef } from './console';
import { InvalidInputError, OperationFailedError } from './errors';
import { appliedPlans, cancelWindow, currentRun, extendWindow, overrideErrorBudget, windowRuns, type AppliedPlanCache, type FinishedRunCache } from './windowRuns';

const DAY_MS = 86_400_000;
/** Notices go out up to this long before an occurrence (the longest lead times people write). */
const NOTICE_LOOKBACK_MS = 120 * DAY_MS;

const planCaches = new WeakMap<ConsoleContext, AppliedPlanCache>();
/** Finished runs' results, fetched once per console (a closed workflow's result never changes). */
const finishedRuns = new WeakMap<ConsoleContext, FinishedRunCache>();

/** The windows as applied, of the console's organisation when it was started with its files. */
export async function consolePlans(ctx: ConsoleContext): Promise<WindowPlan[]> {
  const cache = planCaches.get(ctx) ?? planCaches.set(ctx, new Map()).get(ctx)!;
  return appliedPlans(ctx.temporal.client, ctx.organisation?.name || undefined, cache);
}

/** The allowed hours of each service's SLA tier: from the organisation files, else from what the plans carry. */
function tierHours(ctx: ConsoleContext, plans: WindowPlan[]): TierHours[] {
  const out = new Map<string, TierHours>();
  for (const plan of plans) {
    for (const b of plan.errorBudgets ?? []) if (b.tier.allowedWindows) out.set(b.service, { service: b.service, tier: b.tier.name, allowed: b.tier.allowedWindows });
  }
  for (const { content } of ctx.organisation?.files ?? []) {
    const tiers = new Map(content.slaTiers.map((t) => [t.name, t]));
    for (const s of content.services) {
      const tier = s.tier !== undefined ? tiers.get(s.tier) : undefined;
      if (tier?.allowedWindows) out.set(s.name, { service: s.name, tier: tier.name, allowed: tier.allowedWindows });
      else if (tier) out.delete(s.name);
    }
  }
  return [...out.values()];
}

export interface CalendarQuery {
  view?: CalendarView;
  date?: string;
  tz?: string;
}

export async function windowCalendar(ctx: ConsoleContext, query: CalendarQuery, now = Date.now()): Promise<CalendarModel & { timezoneChosen: boolean; unavailable: Record<string, string> }> {
  const problem = calendarQueryProblem(query);
  if (problem) throw new InvalidInputError(problem);
  const timezone = query.tz ?? 'UTC';
  const date = query.date ?? new Date(now).toLocaleDateString('en-CA', { timeZone: timezone });
  const plans = await consolePlans(ctx);
  const unavailable: Record<string, string> = {};
  const windows = plans.map((p) => ({ name: p.name, timing: p.timing, services: p.services.map((s) => s.name) }));
  // A first pass finds the period; runs and notices are read for it.
  const bare = calendarModel({ windows: [], view: query.view ?? 'month', date, timezone, now, tiers: [], runs: {}, notices: {} });
  const from = Date.parse(`${bare.weeks[0]![0]!.date}T00:00:00Z`) - 2 * DAY_MS;
  const to = Date.parse(`${bare.weeks.at(-1)!.at(-1)!.date}T00:00:00Z`) + 3 * DAY_MS;
  const runs: Record<string, WindowStatus['phase']> = {};
  const notices: Record<string, number> = {};
  const scope = ctx.organisation?.name ? { organisation: { name: ctx.organisation.name, windows: plans.map((p) => p.name) } } : {};
  await Promise.all([
    windowRuns(ctx.temporal.client, { sinceDays: Math.max(1, Math.ceil((now - from + NOTICE_LOOKBACK_MS) / DAY_MS)), limit: 1000, finished: finishedRuns.get(ctx) ?? finishedRuns.set(ctx, new Map()).get(ctx)!, ...scope })
      .then((list) => { for (const r of list) runs[r.workflowId] = r.status.phase; })
      .catch((err: unknown) => { unavailable.runs = (err as Error).message.split('\n')[0]!; }),
    noticeDeliveriesBetween(ctx.store, { from: from - NOTICE_LOOKBACK_MS, to })
      .then((rows) => { for (const r of rows) { const id = windowRunId(r.window, r.occurrence); notices[id] = (notices[id] ?? 0) + 1; } })
      .catch((err: unknown) => { unavailable.notices = (err as Error).message.split('\n')[0]!; }),
  ]);
  const model = calendarModel({ windows, view: query.view ?? 'month', date, timezone, now, tiers: tierHours(ctx, plans), runs, notices });
  return { ...model, timezoneChosen: query.tz !== undefined, unavailable };
}

export interface OccurrenceNotice {
  kind: string;
  recipient: string;
  channel: string;
  to?: string;
  sentAt: string;
  state: 'sent' | 'handed-over';
}

export interface OccurrenceView {
  window: string;
  services: string[];
  occurrence: Occurrence;
  runId: string;
  /** In the window's zone, and the timezone people read the page in. */
  windowTime: string;
  run?: { running: boolean; status: WindowStatus };
  /** Why the run is not shown: not started yet (and when it starts), or not readable. */
  runNote?: string;
  notices: OccurrenceNotice[];
  controls: OfferedWindowControl[];
}

function planOf(plans: WindowPlan[], window: string): WindowPlan {
  const plan = plans.find((p) => p.name === window);
  if (!plan) throw new InvalidInputError(`no window ${window} is applied${plans.length ? ` (applied: ${plans.map((p) => p.name).join(', ')})` : ''}`);
  return plan;
}

/** One occurrence of an applied window: its run (when started), who was told what and when, and the controls it accepts. */
export async function occurrenceView(ctx: ConsoleContext, window: string, start: string): Promise<OccurrenceView> {
  const plan = planOf(await consolePlans(ctx), window);
  const at = new Date(start);
  const occurrence = Number.isNaN(at.getTime()) ? undefined : occurrenceAt(plan.timing, at);
  if (!occurrence) throw new InvalidInputError(`no occurrence of window ${window} starts at ${start}`);
  const runId = windowRunId(window, occurrence.start);
  const handle = ctx.temporal.client.workflow.getHandle<typeof maintenanceWindowWorkflow>(runId);
  let run: OccurrenceView['run'];
  let runNote: string | undefined;
  try {
    const d = await handle.describe();
    const running = d.status.name === 'RUNNING';
    if (running) run = { running, status: await handle.query(windowStatusQuery) };
    else if (d.status.name === 'COMPLETED') run = { running, status: await handle.result() };
    else runNote = `its run ${d.status.name.toLowerCase()}`;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) runNote = occurrence.blackout ? `blacked out (${occurrence.blackout.reason}): it does not run` : 'its run has not started: it starts at the first notice lead time (or preflight) before the window';
    else runNote = `its run cannot be read now: ${(err as Error).message.split('\n')[0]}`;
  }
  const people = new Map([...plan.recipients, ...plan.operations].map((r) => [r.key, r]));
  const notices = (await occurrenceNoticeDeliveries(ctx.store, window, occurrence.start)).map((n): OccurrenceNotice => {
    const who = people.get(n.recipient);
    return { kind: n.kind, recipient: who?.name ?? n.recipient, channel: n.channel ?? who?.channel ?? '?', ...(who?.to !== undefined ? { to: who.to } : {}), sentAt: new Date(n.sentAt).toISOString(), state: n.state };
  });
  let current = false;
  if (run?.running) current = (await currentRun(ctx.temporal.client, window).catch(() => undefined))?.workflowId === runId;
  const budgetServices = (plan.errorBudgets ?? []).map((b) => b.service);
  return {
    window, services: plan.services.map((s) => s.name), occurrence, runId,
    windowTime: windowZoneTime(Date.parse(occurrence.start), Date.parse(run?.status.end ?? occurrence.end), plan.timing.timezone),
    ...(run ? { run } : {}), ...(runNote ? { runNote } : {}), notices,
    controls: offeredWindowControls(run?.status, run?.running ?? false, current, budgetServices),
  };
}

/**
 * Cancels, extends (by `extendMinutes`) or overrides the error budget of one occurrence's run for a
 * signed-in person or a script, and records it in the audit trail with their identity. Only the
 * run the CLI's commands would act on is controlled; any other is an OperationFailedError.
 */
export async function controlWindowAs(ctx: ConsoleContext, window: string, start: string, action: WindowControlAction, who: ConsoleIdentityRef, options: { reason?: string; extendMinutes?: number }): Promise<WindowStatus> {
  const view = await occurrenceView(ctx, window, start);
  const offered = view.controls.find((c) => c.action === action);
  if (!offered) throw new OperationFailedError(`window ${window} (${view.occurrence.localStart}) does not accept ${action} now: ${view.run ? `its run is ${view.run.status.phase}${view.run.running ? ', and is not the window\'s current run' : ''}` : view.runNote}`);
  const reason = options.reason?.trim();
  if (!reason) throw new InvalidInputError(`reason: say why (customers read it in the notice, and the audit trail keeps it)`);
  const change = { reason, by: who.name };
  let status: WindowStatus;
  if (action === 'cancel') status = await cancelWindow(ctx.temporal.client, window, change);
  else if (action === 'override') status = await overrideErrorBudget(ctx.temporal.client, window, change);
  else {
    const minutes = options.extendMinutes;
    if (minutes === undefined || !Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) throw new InvalidInputError(`minutes: expected a whole number of minutes from 1 to 1440, got ${String(minutes)}`);
    status = await extendWindow(ctx.temporal.client, window, { ...change, byMs: minutes * 60_000 });
  }
  await recordAuditEvent(ctx.store, {
    actor: who.name, action, subject: `window ${window}`, reason,
    detail: { via: `console (${who.via})`, occurrence: status.occurrence.start, ...(action === 'extend' ? { end: status.end } : {}), ...(action === 'override' ? { override: 'error budget' } : {}) },
  });
  return status;
}
