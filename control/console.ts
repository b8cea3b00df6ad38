/**
 * What the operations console shows and does, as the client side has it: rollouts in flight as
 * cards (waves, hosts, the controls they accept and their consequences), windows running now,
 * open incidents, services out of budget, host leases, the audit trail; and the controls, each
 * recorded in the audit trail with the identity that gave it. `web/console/` only serves this.
 */
import { rolloutCard, type RolloutCard } from '../policies/console/rolloutCard';
import type { RolloutControlAction } from '../policies/console/rolloutControls';
import type { WindowStatus } from '../policies/windows/types';
import type { Store } from '../store';
import { hostComplianceColumns, type HostComplianceColumns } from '../policies/console/hostCompliance';
import { dailyAvailability, dailyRangeStart, type DayAvailability } from '../policies/availability/daily';
import { hostScanHistory, latestHostScans, scannedHosts } from '../store/compliance';
import { hourlyProbeRounds } from '../store/probes';
import { dependencyRepositoryView, type DependencyRepositoryView } from '../policies/console/dependencies';
import { dependencySetup, latestRuns } from './dependencies';
import { auditEvents, recordAuditEvent, type AuditEvent, type AuditFilter } from '../store/audit';
import type { Incident } from '../store/incidents';
import type { Connected } from './connection';
import { InvalidInputError } from './errors';
import { hostLeases } from './hosts';
import type { Organisation } from './organisation';
import { serviceProbePlans } from './probes';
import { checkRolloutId, controlRollout, listRollouts, rolloutProgress, type BatchResultCache, type RolloutContext } from './rollouts';
import { probedServices, serviceFigures, serviceStatuses, type ServiceFigures, type ServiceStatus } from './services';
import { windowRuns } from './windowRuns';

/** What the console works with: Temporal (one deployment: its task queue), the store, and optionally the organisation files. */
export interface ConsoleContext {
  temporal: Connected;
  store: Store;
  /** From `maint console -f`: tiers, windows and probes of the services (figures need them). */
  organisation?: Organisation;
  /** Finished batches' results (versions), kept across the pages' polls; made on first use. */
  batchResults?: BatchResultCache;
}

export interface ConsoleIdentityRef {
  name: string;
  via: string;
  /** OpenID Connect: `<sub>@<provider>`, recorded with the action. */
  subject?: string;
}

const rolloutContext = (ctx: ConsoleContext): RolloutContext => ({ client: ctx.temporal.client, taskQueue: ctx.temporal.env.MAINT_TASK_QUEUE });

/** Rollouts finished this recently stay on the Now page, so the outcome of a control is seen. */
export const RECENT_MS = 60 * 60_000;

export type RolloutCardOrError = RolloutCard | { rolloutId: string; unreadable: string };

export async function rolloutCardOf(ctx: ConsoleContext, rolloutId: string): Promise<RolloutCard> {
  ctx.batchResults ??= new Map();
  // Bounded: a long-running console forgets old batches (they are read again if still shown).
  if (ctx.batchResults.size > 5000) ctx.batchResults.clear();
  const { progress, finished } = await rolloutProgress(rolloutContext(ctx), checkRolloutId(rolloutId), { versionsWhileRunning: ctx.batchResults });
  return rolloutCard(progress, finished);
}

/** The deployment's rollouts running now, and those that finished within {@link RECENT_MS}, newest first. */
export async function currentRollouts(ctx: ConsoleContext, now = Date.now()): Promise<RolloutCardOrError[]> {
  const listed = await listRollouts(ctx.temporal.client, 50, { taskQueue: ctx.temporal.env.MAINT_TASK_QUEUE });
  const shown = listed.filter((r) => r.status === 'running' || (r.closed !== null && now - Date.parse(r.closed) < RECENT_MS));
  return Promise.all(shown.map((r) => rolloutCardOf(ctx, r.rolloutId).catch((err: unknown): RolloutCardOrError => ({ rolloutId: r.rolloutId, unreadable: (err as Error).message }))));
}

export interface ServiceLine extends ServiceStatus {
  figures?: ServiceFigures;
  /** Uptime of the last {@link UPTIME_DAYS} days (calendar days in its tier's timezone, else UTC), oldest first. */
  days: DayAvailability[];
}

export const UPTIME_DAYS = 90;

/** Every probed service with its state, open incident and (with the files) its SLA figures. */
export async function serviceLines(ctx: ConsoleContext): Promise<ServiceLine[]> {
  const plans = ctx.organisation ? serviceProbePlans(ctx.organisation) : undefined;
  const services = plans ?? (await probedServices(ctx.temporal.client));
  const [statuses, figures] = await Promise.all([
    serviceStatuses(ctx.store, services),
    ctx.organisation && plans ? serviceFigures(ctx.store, ctx.organisation, plans) : Promise.resolve(new Map<string, ServiceFigures>()),
  ]);
  const now = Date.now();
  const tierZones = new Map<string, string>();
  for (const { content } of ctx.organisation?.files ?? []) {
    for (const s of content.services) {
      const tier = content.slaTiers.find((t) => t.name === s.tier);
      if (tier) tierZones.set(s.name, tier.timezone);
    }
  }
  const zoneOf = (service: string) => tierZones.get(service) ?? 'UTC';
  const names = statuses.map((s) => s.service);
  const from = Math.min(...names.map((n) => dailyRangeStart(now, UPTIME_DAYS, zoneOf(n))), now);
  const buckets = await hourlyProbeRounds(ctx.store, names, { from, to: now + 3_600_000 });
  return statuses.map((s) => ({
    ...s,
    ...(figures.has(s.service) ? { figures: figures.get(s.service)! } : {}),
    days: dailyAvailability(buckets.filter((b) => b.service === s.service), { now, days: UPTIME_DAYS, timezone: zoneOf(s.service) }),
  }));
}

export interface NowOverview {
  generatedAt: string;
  rollouts: RolloutCardOrError[];
  windows: Array<{ workflowId: string; status: WindowStatus }>;
  incidents: Incident[];
  outOfBudget: Array<{ service: string; figures: ServiceFigures }>;
  /** Parts that could not be read, by part: the rest of the page stands. */
  unavailable: Record<string, string>;
}

/** The Now page: each part read on its own, so one that fails (no worker answers, no store) leaves the others. */
export async function nowOverview(ctx: ConsoleContext): Promise<NowOverview> {
  const unavailable: Record<string, string> = {};
  const part = <T>(name: string, read: Promise<T>, fallback: T) => read.catch((err: unknown) => {
    unavailable[name] = (err as Error).message.split('\n')[0]!;
    return fallback;
  });
  const [rollouts, runs, services] = await Promise.all([
    part('rollouts', currentRollouts(ctx), []),
    part('windows', windowRuns(ctx.temporal.client, { sinceDays: 3, ...(ctx.organisation?.name ? { organisation: { name: ctx.organisation.name, windows: ctx.organisation.windows.map((w) => w.name) } } : {}) }), []),
    part('services', serviceLines(ctx), []),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    rollouts,
    windows: runs.filter((r) => r.running && r.status.phase === 'in-progress').map((r) => ({ workflowId: r.workflowId, status: r.status })),
    incidents: services.flatMap((s) => (s.openIncident ? [s.openIncident] : [])),
    outOfBudget: services.flatMap((s) => (s.figures && s.figures.budget.leftMinutes <= 0 ? [{ service: s.service, figures: s.figures }] : [])),
    unavailable,
  };
}

/**
 * Pauses, resumes, approves or aborts a rollout for a signed-in person or a script, and records it
 * in the audit trail with their identity. A refused control is an OperationFailedError and is not recorded.
 */
export async function controlRolloutAs(ctx: ConsoleContext, rolloutId: string, action: RolloutControlAction, who: ConsoleIdentityRef, reason?: string): Promise<{ approvedWave?: number }> {
  checkRolloutId(rolloutId);
  const given = reason?.trim() ? reason.trim() : action === 'abort' ? 'aborted from the console' : undefined;
  const result = await controlRollout(rolloutContext(ctx), rolloutId, action, { by: who.name, ...(given !== undefined ? { reason: given } : {}) });
  await recordAuditEvent(ctx.store, {
    actor: who.name, action, subject: `rollout ${rolloutId}`,
    ...(given !== undefined ? { reason: given } : {}),
    detail: { via: `console (${who.via})`, ...(who.subject !== undefined ? { subject: who.subject } : {}), ...(result.approvedWave !== undefined ? { approvedWave: result.approvedWave } : {}) },
  });
  return result;
}

export async function auditTrail(ctx: ConsoleContext, filter: AuditFilter): Promise<AuditEvent[]> {
  for (const [key, value] of [['since', filter.since], ['until', filter.until]] as const) {
    if (value !== undefined && Number.isNaN(Date.parse(value))) throw new InvalidInputError(`${key}: expected a date (2026-12-01 or 2026-12-01T08:00:00Z), got "${value}"`);
  }
  return (await auditEvents(ctx.store, filter)).reverse();
}

export interface HostLine {
  name: string;
  /** The rollout holding its lease now. */
  leasedBy?: string;
  leasedSince?: string;
  /** Left out of service (a failed restore): why. */
  down?: string;
  /** Rollouts shown on the console that touched it, with its state in each. */
  rollouts: Array<{ rolloutId: string; state: string; before?: string; after?: string }>;
  /** From its latest compliance scans (`maint hosts scan`). */
  compliance: HostComplianceColumns;
}

/** Scans read per host for "last patched". */
const HISTORY_SCANS = 30;

/** Hosts as the leases, the current rollouts and the compliance scans know them, with their compliance columns. */
export async function hostLines(ctx: ConsoleContext): Promise<{ hosts: HostLine[]; unavailable: Record<string, string> }> {
  const unavailable: Record<string, string> = {};
  const [leases, rollouts] = await Promise.all([
    hostLeases(ctx.temporal).catch((err: unknown) => {
      unavailable.leases = (err as Error).message;
      return { leases: [], down: [], waiting: [], budgets: [] };
    }),
    currentRollouts(ctx).catch((err: unknown) => {
      unavailable.rollouts = (err as Error).message;
      return [];
    }),
  ]);
  const scanned = await scannedHosts(ctx.store).catch((err: unknown) => {
    unavailable.compliance = (err as Error).message.split('\n')[0]!;
    return [];
  });
  const byName = new Map<string, HostLine>();
  const line = (name: string) => byName.get(name) ?? byName.set(name, { name, rollouts: [], compliance: { status: 'never scanned' } }).get(name)!;
  for (const name of scanned) line(name);
  for (const card of rollouts) {
    if ('unreadable' in card) continue;
    for (const h of card.hosts) line(h.name).rollouts.push({ rolloutId: card.rolloutId, state: h.state, ...(h.before !== undefined ? { before: h.before } : {}), ...(h.after !== undefined ? { after: h.after } : {}) });
  }
  for (const l of leases.leases) Object.assign(line(l.host), { leasedBy: l.holder.rolloutId, leasedSince: new Date(l.since).toISOString() });
  for (const d of leases.down) line(d.host).down = d.reason;
  if (unavailable.compliance === undefined) {
    try {
      const names = [...byName.keys()];
      const latest = await latestHostScans(ctx.store, names);
      await Promise.all(names.filter((n) => latest.has(n)).map(async (n) => {
        byName.get(n)!.compliance = hostComplianceColumns(latest.get(n), await hostScanHistory(ctx.store, n, HISTORY_SCANS));
      }));
    } catch (err) {
      unavailable.compliance = (err as Error).message.split('\n')[0]!;
    }
  }
  return { hosts: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true })), unavailable };
}

/**
 * The Dependencies page: each repository of the organisation files' `dependencies` section, its
 * latest run, its open upgrade PRs and what waits and why. Without such files, `note` says how to get them.
 */
export async function dependencyOverview(ctx: ConsoleContext): Promise<{ repositories: DependencyRepositoryView[]; note?: string }> {
  const setup = ctx.organisation ? dependencySetup(ctx.organisation) : undefined;
  if (!setup) return { repositories: [], note: ctx.organisation ? 'The organisation files have no `dependencies` section.' : 'Start the console with the organisation files (maint console -f maint.yaml) to see their dependencies.' };
  const runs = new Map((await latestRuns(ctx.temporal.client, setup.repositories)).map((r) => [r.repo, r]));
  return {
    repositories: setup.repositories.map((plan) => {
      const run = runs.get(plan.repo);
      return dependencyRepositoryView({
        repo: plan.repo, baseBranch: plan.baseBranch, state: run?.state ?? 'never run',
        ...(plan.mergeWindow ? { mergeWindow: plan.mergeWindow.name } : {}),
        ...(run?.summary ? { summary: run.summary } : {}),
      });
    }),
  };
}
