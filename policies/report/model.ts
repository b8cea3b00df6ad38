/**
 * The monthly operations review of one customer, computed from plain inputs (README "The monthly
 * operations review"). Every figure comes from what the store and Temporal recorded; nothing is
 * typed in. Pure: the gatherer (control/report.ts) reads, this counts.
 */
import { DateTime } from 'luxon';
import { dailyAvailability } from '../availability/daily';
import { monthAvailabilityOfSegments } from '../availability/monthly';
import { monthInterval } from '../availability/months';
import { mergeIntervals } from '../availability/intervals';
import type { Interval } from '../availability/types';
import { SECURITY_NOW } from '../compliance/baseline';
import { hostCompliance } from '../compliance/status';
import type { HostScan } from '../compliance/types';
import { readRolloutStatus } from '../rollout/types';
import type { WindowStatus } from '../windows/types';
import { knownZone } from '../windows/occurrences';
import type { MonthlyReport, PatchRow, ReportIncident, ReportInput, ReportWindow, ServiceInput, ServiceReport } from './types';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Phases of a run that held maintenance (it began): the others did not take the service down. */
const HELD = new Set<WindowStatus['phase']>(['in-progress', 'completed', 'rolled-back']);

const iso = (ms: number) => new Date(ms).toISOString();

/** [start, real end) of a run that began; its planned end while it has not finished. */
export function heldInterval(run: WindowStatus, until: number): Interval {
  const start = Date.parse(run.occurrence.start);
  const end = run.finishedAt !== undefined ? Date.parse(run.finishedAt) : Math.min(Date.parse(run.end), until);
  return { start, end: Math.max(start, end) };
}

/** The window runs whose occurrence began in the month (the customer's). */
function runsOfMonth(windowRuns: readonly WindowStatus[], month: Interval): WindowStatus[] {
  return windowRuns.filter((r) => Date.parse(r.occurrence.start) >= month.start && Date.parse(r.occurrence.start) < month.end);
}

/**
 * The spans of the month's window runs on a service that held maintenance: where its window rows
 * count failed probe results (ServiceInput.failedResults, which the gatherer has the store count).
 */
export function heldRunSpans(windowRuns: readonly WindowStatus[], service: string, month: Interval): Interval[] {
  return runsOfMonth(windowRuns, month).filter((r) => HELD.has(r.phase) && r.services.some((s) => s.name === service)).map((r) => heldInterval(r, month.end));
}

export function buildMonthlyReport(input: ReportInput): MonthlyReport {
  const zone = input.customer.timezone;
  const month = monthInterval(input.month, zone);
  const runs = runsOfMonth(input.windowRuns, month);
  const services = input.services.map((s) => serviceReport(s, input, month, runs.filter((r) => r.services.some((x) => x.name === s.name))));
  const names = new Set(input.services.map((s) => s.name));
  const customerRuns = runs.filter((r) => r.services.some((s) => names.has(s.name)));
  const rolloutIds = new Set(customerRuns.flatMap((r) => r.tasks.flatMap((t) => (t.rolloutId !== undefined ? [t.rolloutId] : []))));
  const rollouts = input.rollouts.filter((r) => rolloutIds.has(r.rolloutId)).sort((a, b) => (a.finishedAt ?? Infinity) - (b.finishedAt ?? Infinity) || a.rolloutId.localeCompare(b.rolloutId));
  return {
    month: input.month,
    from: iso(month.start),
    to: iso(month.end),
    generatedAt: iso(input.generatedAt),
    organisation: input.organisation,
    customer: input.customer,
    services,
    patches: patches(rollouts, input),
    rollbacks: rollbacks(customerRuns, rollouts),
    compliance: compliance(input.hosts, input.scans, month, zone),
    dependencies: dependencies(input, month),
    maintenance: { minutesPerWeek: minutesPerWeek(mergeIntervals(customerRuns.filter((r) => HELD.has(r.phase)).map((r) => heldInterval(r, month.end))), month, zone) },
    nextMonth: [...input.nextMonth].sort((a, b) => a.start.localeCompare(b.start)),
  };
}

function serviceReport(s: ServiceInput, input: ReportInput, month: Interval, runs: WindowStatus[]): ServiceReport {
  const zone = input.customer.timezone;
  const held = runs.filter((r) => HELD.has(r.phase));
  const maintenance = held.map((r) => heldInterval(r, month.end));
  let availability: ServiceReport['availability'] = null;
  if (s.tier && s.probeIntervalMs !== undefined) {
    const a = monthAvailabilityOfSegments({ service: s.name, month: input.month, tier: s.tier, segments: s.segments, maintenance });
    availability = {
      availabilityPercent: a.availabilityPercent,
      targetPercent: a.targetPercent,
      met: a.availabilityPercent === null ? null : a.availabilityPercent >= a.targetPercent,
      countedMinutes: a.countedMinutes,
      downtimeMinutes: a.downtimeMinutes,
      downMinutes: a.downMinutes,
      degradedMinutes: a.degradedMinutes,
      unknownMinutes: a.unknownMinutes,
      maintenanceMinutes: a.maintenanceMinutes,
      maintenanceDownMinutes: a.maintenanceDownMinutes,
      errorBudget: { ...a.errorBudget, usedPercent: a.errorBudget.allowedMinutes > 0 ? (100 * a.errorBudget.spentMinutes) / a.errorBudget.allowedMinutes : null },
    };
  }
  const days = Math.round((month.end - month.start) / DAY_MS);
  const last = month.end - 1;
  const incidents = s.incidents
    .filter((i) => i.openedAt >= month.start && i.openedAt < month.end)
    .sort((a, b) => a.openedAt - b.openedAt)
    .map((i): ReportIncident => {
      const end = i.resolvedAt ?? Math.min(month.end, input.generatedAt);
      const failed = [...new Set(i.failures.map((f) => `${f.probe}: ${f.error}`))].join('; ');
      return {
        id: i.id, start: iso(i.openedAt), durationMinutes: (end - i.openedAt) / MINUTE_MS, open: i.resolvedAt === undefined,
        cause: failed || i.summary,
        ...(i.windowRun !== undefined ? { windowRun: i.windowRun } : {}),
        ...(i.rolloutId !== undefined ? { rolloutId: i.rolloutId } : {}),
      };
    });
  return {
    name: s.name,
    title: s.title,
    ...(s.tier ? { tier: { name: s.tier.name, targetPercent: s.tier.availability, plannedMaintenanceCounts: s.tier.plannedMaintenanceCounts, degradedCounts: s.tier.degradedCounts } } : {}),
    availability,
    daily: s.probeIntervalMs !== undefined ? dailyAvailability(s.hourlyRounds, { now: last, days, timezone: zone }) : [],
    uptime90: s.probeIntervalMs !== undefined ? dailyAvailability(s.hourlyRounds, { now: last, days: 90, timezone: zone }) : [],
    incidents,
    windows: [...runs].sort((a, b) => a.occurrence.start.localeCompare(b.occurrence.start)).map((r) => windowRow(r, s, month)),
  };
}

function windowRow(run: WindowStatus, s: ServiceInput, month: Interval): ReportWindow {
  const start = Date.parse(run.occurrence.start);
  const plannedEnd = Date.parse(run.occurrence.end);
  const finished = run.finishedAt !== undefined ? Date.parse(run.finishedAt) : undefined;
  const began = HELD.has(run.phase);
  let impact = { failedProbeResults: 0, downMinutes: 0 };
  if (began && s.probeIntervalMs !== undefined) {
    const span = heldInterval(run, month.end);
    const failed = s.failedResults.find((f) => f.start === span.start && f.end === span.end);
    if (failed === undefined) throw new Error(`the report's input has no failed-result count of ${s.name} for window run ${run.window} at ${run.occurrence.start} (the gatherer counts them for heldRunSpans)`);
    // The time the probes saw it down inside this window only: the monthly counting with this run as the only maintenance.
    const near = s.segments.filter((seg) => seg.end > span.start && seg.start < span.end);
    const tier = { availability: 100, plannedMaintenanceCounts: false, degradedCounts: 'up' as const, timezone: 'UTC' };
    const months = monthsOf(span);
    let downMinutes = 0;
    for (const m of months) downMinutes += monthAvailabilityOfSegments({ service: s.name, month: m, tier, segments: near, maintenance: [span] }).maintenanceDownMinutes;
    impact = { failedProbeResults: failed.failed, downMinutes };
  }
  return {
    window: run.window,
    title: run.title,
    start: run.occurrence.start,
    plannedEnd: run.occurrence.end,
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    phase: run.phase,
    plannedMinutes: (plannedEnd - start) / MINUTE_MS,
    actualMinutes: finished !== undefined && began ? (finished - start) / MINUTE_MS : null,
    tasks: run.tasks.map((t) => ({ name: t.name, state: t.state, ...(t.rolloutId !== undefined ? { rolloutId: t.rolloutId } : {}), ...(t.message !== undefined ? { message: t.message } : {}) })),
    // A missed run's reason is the workflow's English sentence: the renderer says it in the reader's language.
    ...(run.reason !== undefined && run.phase !== 'missed' ? { reason: run.reason } : {}),
    impact,
  };
}

/** The UTC months a span touches (monthAvailability measures one month at a time). */
function monthsOf(span: Interval): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromMillis(span.start, { zone: 'utc' }).startOf('month'); d.toMillis() < span.end; d = d.plus({ months: 1 })) out.push(d.toFormat('yyyy-MM'));
  return out;
}

function patches(rollouts: ReportInput['rollouts'], input: ReportInput): MonthlyReport['patches'] {
  const rows: PatchRow[] = [];
  for (const r of rollouts) {
    for (const h of r.hosts) {
      if (h.state !== 'healthy' || !h.record || !h.after) continue;
      for (const [pkg, to] of Object.entries(h.after).sort(([a], [b]) => a.localeCompare(b))) {
        const from = h.record.before[pkg] ?? '';
        if (from === to) continue;
        const installed = h.outOfServiceUntil ?? r.finishedAt;
        const known = input.knownUpdates.find((u) => u.host === h.name && u.package === pkg && u.version === to && (installed === undefined || u.availableSince <= installed));
        rows.push({
          host: h.name, package: pkg, from, to, classification: known?.classification ?? 'unclassified', rolloutId: r.rolloutId,
          ...(installed !== undefined ? { installedAt: iso(installed) } : {}),
          ...(known && installed !== undefined ? { latencyDays: (installed - known.availableSince) / DAY_MS } : {}),
        });
      }
    }
  }
  return {
    hosts: new Set(rows.map((r) => r.host)).size,
    packages: rows.length,
    security: rows.filter((r) => r.classification === 'security').length,
    other: rows.filter((r) => r.classification !== 'security').length,
    rows,
    latencyDays: rows.flatMap((r) => (r.latencyDays !== undefined ? [r.latencyDays] : [])).sort((a, b) => a - b),
  };
}

function rollbacks(runs: WindowStatus[], rollouts: ReportInput['rollouts']): MonthlyReport['rollbacks'] {
  const out: MonthlyReport['rollbacks'] = [];
  for (const r of rollouts) {
    const restored = r.hosts.filter((h) => h.state === 'rolled-back');
    if (readRolloutStatus(r.status) !== 'rolled-back' && restored.length === 0) continue;
    const run = runs.find((w) => w.tasks.some((t) => t.rolloutId === r.rolloutId));
    const errors = [...new Set(r.hosts.flatMap((h) => (h.error !== undefined ? [`${h.name}: ${h.error}`] : [])))];
    const why = errors.join('; ') || r.message || run?.reason;
    out.push({
      ...(run ? { window: run.window } : {}),
      rolloutId: r.rolloutId,
      at: iso(r.finishedAt ?? Date.parse(run?.finishedAt ?? run?.occurrence.start ?? '1970-01-01T00:00:00Z')),
      ...(why ? { why } : {}),
      hosts: restored.map((h) => h.name),
    });
  }
  // A window run that says it rolled back but whose rollout is not readable still counts.
  for (const run of runs.filter((w) => w.phase === 'rolled-back' && !out.some((o) => o.window === w.window && w.tasks.some((t) => t.rolloutId === o.rolloutId)))) {
    const why = run.reason ?? run.tasks.find((t) => t.state === 'rolled-back')?.message;
    out.push({ window: run.window, at: run.finishedAt ?? run.occurrence.start, ...(why !== undefined ? { why } : {}), hosts: [] });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Each host's state at `at` from its last scan at or before it (SECURITY_NOW: every security update is due at once). */
function complianceAt(hosts: readonly string[], byHost: Map<string, HostScan[]>, at: number) {
  let [compliant, nonCompliant, unknown, securityPending] = [0, 0, 0, 0];
  for (const host of hosts) {
    const scans = byHost.get(host) ?? [];
    let last: HostScan | undefined;
    for (const s of scans) if (s.at <= at) last = s;
    const c = hostCompliance({ name: host }, last, SECURITY_NOW, new Map(), at);
    if (c.state === 'compliant') compliant++;
    else if (c.state === 'non-compliant') nonCompliant++;
    else unknown++;
    securityPending += c.securityPending;
  }
  return { compliant, nonCompliant, unknown, securityPending };
}

function compliance(hosts: readonly string[], scans: readonly HostScan[], month: Interval, zone: string): MonthlyReport['compliance'] {
  const byHost = new Map<string, HostScan[]>();
  for (const s of [...scans].sort((a, b) => a.at - b.at)) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
  const trend: MonthlyReport['compliance']['trend'] = [];
  const z = knownZone(zone);
  for (let d = DateTime.fromMillis(month.start, { zone: z }); d.toMillis() < month.end; d = d.plus({ days: 1 })) {
    const end = Math.min(d.plus({ days: 1 }).toMillis(), month.end) - 1;
    const c = complianceAt(hosts, byHost, end);
    const known = c.compliant + c.nonCompliant;
    trend.push({ day: d.toFormat('yyyy-MM-dd'), compliant: c.compliant, nonCompliant: c.nonCompliant, unknown: c.unknown, compliantPercent: known > 0 ? (100 * c.compliant) / known : null });
  }
  return { hosts: hosts.length, monthEnd: complianceAt(hosts, byHost, month.end - 1), trend };
}

function dependencies(input: ReportInput, month: Interval): MonthlyReport['dependencies'] {
  if (input.dependencyRuns === undefined) return { recorded: false, why: 'the organisation files have no dependencies section' };
  const runs = [...input.dependencyRuns].filter((r) => !r.dryRun).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const monthRuns = runs.filter((r) => Date.parse(r.finishedAt) >= month.start && Date.parse(r.finishedAt) < month.end);
  if (monthRuns.length === 0) return { recorded: false, why: 'no dependency run finished in the month' };
  const key = (repo: string, n: number | undefined, branch: string) => `${repo}#${n ?? branch}`;
  const created = new Map<string, number>();
  for (const r of runs) for (const p of r.pullRequests) if (p.outcome === 'created') created.set(key(r.repo, p.number, p.branch), Date.parse(r.finishedAt));
  const opened = new Set<string>();
  // Merged PRs: as GitHub had them (by maint or by a person: when, and since when open), listed by
  // every run; a merge of the month's last days is seen by a run after it. Runs from before runs
  // listed merges only know maint's own, at the run's end.
  const merged = new Map<string, number>();
  for (const r of runs) {
    for (const m of r.merged ?? []) {
      const at = Date.parse(m.mergedAt);
      if (at >= month.start && at < month.end) {
        merged.set(key(r.repo, m.number, m.branch), at);
        created.set(key(r.repo, m.number, m.branch), Date.parse(m.createdAt));
      }
    }
  }
  for (const r of monthRuns) {
    for (const p of r.pullRequests) {
      if (p.outcome === 'created') opened.add(key(r.repo, p.number, p.branch));
      if (p.outcome === 'merged' && !merged.has(key(r.repo, p.number, p.branch))) merged.set(key(r.repo, p.number, p.branch), Date.parse(r.finishedAt));
    }
  }
  // Waiting at the month's end: per repository, what its last run of the month left open or held back by the limits.
  const lastPerRepo = new Map(monthRuns.map((r) => [r.repo, r]));
  let waiting = 0;
  for (const r of lastPerRepo.values()) {
    waiting += r.pullRequests.filter((p) => ['created', 'updated', 'unchanged', 'left-alone'].includes(p.outcome)).length + (r.waiting?.length ?? 0);
  }
  const times = [...merged.entries()].flatMap(([k, at]) => (created.has(k) ? [(at - created.get(k)!) / MINUTE_MS] : [])).sort((a, b) => a - b);
  const mid = times.length / 2;
  const median = times.length === 0 ? null : times.length % 2 === 1 ? times[Math.floor(mid)]! : (times[mid - 1]! + times[mid]!) / 2;
  return { recorded: true, runs: monthRuns.length, opened: opened.size, merged: merged.size, waiting, medianMinutesToMerge: median, mergedByPeople: monthRuns.some((r) => r.merged !== undefined) ? 'counted' : 'not recorded' };
}

/** Held maintenance per ISO week (Monday first, in the customer's zone) of the month, each run counted in the weeks it covers. */
function minutesPerWeek(spans: Interval[], month: Interval, zone: string): Array<{ week: string; minutes: number }> {
  const z = knownZone(zone);
  const out: Array<{ week: string; minutes: number }> = [];
  for (let w = DateTime.fromMillis(month.start, { zone: z }).startOf('week'); w.toMillis() < month.end; w = w.plus({ weeks: 1 })) {
    const [from, to] = [Math.max(w.toMillis(), month.start), Math.min(w.plus({ weeks: 1 }).toMillis(), month.end)];
    let ms = 0;
    for (const s of spans) ms += Math.max(0, Math.min(s.end, to) - Math.max(s.start, from));
    out.push({ week: w.toFormat("kkkk-'W'WW"), minutes: ms / MINUTE_MS });
  }
  return out;
}
