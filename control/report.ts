/**
 * Gathers a customer's monthly operations review: the organisation files say who the customer is
 * (a subscriber name, with its language and timezone), which services, tiers and windows are
 * theirs; the store gives probe results, incidents and compliance scans; Temporal the window runs,
 * the rollouts they started and the dependency runs. policies/report/model.ts counts.
 */
import type { Client } from '@temporalio/client';
import { HOUR_MS } from '../policies/availability/daily';
import { monthInterval } from '../policies/availability/months';
import { firstSeenKey } from '../policies/compliance/baseline';
import { availableSince } from '../policies/compliance/types';
import { dependencyRunId, type DependencyRunSummary } from '../policies/deps/run';
import type { Language } from '../policies/organisation/schema';
import { buildMonthlyReport, heldRunSpans } from '../policies/report/model';
import type { KnownUpdate, MonthlyReport, ReportCustomer, ReportInput, RolloutInput, ServiceInput } from '../policies/report/types';
import { occurrencesBetween } from '../policies/windows/occurrences';
import { mapWithConcurrency } from '../workflows/concurrency';
import type { WindowStatus } from '../policies/windows/types';
import type { Store } from '../store';
import { firstSeenTimes, hostScansBetween } from '../store/compliance';
import { incidentsOpenedBetween } from '../store/incidents';
import { failedResultsPerSpan, hourlyProbeRounds, probeSegmentsBetween } from '../store/probes';
import { dependencyUpdatesWorkflow } from '../workflows/dependencyUpdates';
import { dependencySetup } from './dependencies';
import { InvalidInputError } from './errors';
import type { Organisation } from './organisation';
import { serviceProbePlans } from './probes';
import { rolloutProgress } from './rollouts';
import { readHosts } from './targets';
import { windowRuns } from './windowRuns';

const DAY_MS = 86_400_000;

export interface ReportScope {
  /** `2026-11`. */
  month: string;
  /** A subscriber name (services[].subscribers[].name). */
  customer?: string;
  /** Or one service, for whoever runs it. */
  service?: string;
  /** Instead of the customer's own language. */
  lang?: Language;
}

/** The customers the organisation files name: each subscriber name, with its services, language and timezone (of its first subscription). */
export function reportCustomers(organisation: Organisation): Array<ReportCustomer & { services: string[] }> {
  const out = new Map<string, ReportCustomer & { services: string[] }>();
  for (const { content } of organisation.files) {
    for (const s of content.services) {
      for (const sub of s.subscribers) {
        const known = out.get(sub.name) ?? { name: sub.name, language: sub.language, timezone: sub.timezone, services: [] };
        if (!known.services.includes(s.name)) known.services.push(s.name);
        out.set(sub.name, known);
      }
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Who the report is for and which services it covers; a name the files do not know is an InvalidInputError naming those they do. */
export function reportSubject(organisation: Organisation, scope: ReportScope): { customer: ReportCustomer; services: string[] } {
  const customers = reportCustomers(organisation);
  const allServices = organisation.files.flatMap((f) => f.content.services);
  if (scope.service !== undefined) {
    const service = allServices.find((s) => s.name === scope.service);
    if (!service) throw new InvalidInputError(`--service ${scope.service}: no such service in the organisation files (services: ${allServices.map((s) => s.name).join(', ') || 'none'})`);
    const tier = organisation.files.flatMap((f) => f.content.slaTiers).find((t) => t.name === service.tier);
    const first = service.subscribers[0];
    return { customer: { name: service.title?.en ?? service.name, language: scope.lang ?? first?.language ?? 'en', timezone: first?.timezone ?? tier?.timezone ?? 'Europe/Amsterdam' }, services: [service.name] };
  }
  const wanted = scope.customer ?? (customers.length === 1 ? customers[0]!.name : undefined);
  if (wanted === undefined) throw new InvalidInputError(`name a customer with --customer (${customers.map((c) => c.name).join(', ') || 'the organisation files name no subscribers'}) or a service with --service`);
  const customer = customers.find((c) => c.name === wanted);
  if (!customer) throw new InvalidInputError(`--customer ${wanted}: no subscriber of that name in the organisation files (customers: ${customers.map((c) => c.name).join(', ') || 'none'})`);
  const { services, ...who } = customer;
  return { customer: { ...who, language: scope.lang ?? who.language }, services };
}

function nextMonthKey(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** Reads everything the report needs and computes it. */
export async function gatherMonthlyReport(deps: { client: Client; store: Store; organisation: Organisation; now?: number }, scope: ReportScope): Promise<MonthlyReport> {
  const { client, store, organisation } = deps;
  const now = deps.now ?? Date.now();
  try {
    monthInterval(scope.month, 'UTC');
  } catch {
    throw new InvalidInputError(`--month ${scope.month}: expected a month like 2026-11`);
  }
  const { customer, services: names } = reportSubject(organisation, scope);
  const month = monthInterval(scope.month, customer.timezone);

  const windows = organisation.windows.filter((w) => w.services.some((s) => names.includes(s.name)));
  const sinceDays = Math.ceil((now - month.start) / DAY_MS) + 40;
  const runs = (await windowRuns(client, { organisation: { name: organisation.name, windows: organisation.windows.map((w) => w.name) }, sinceDays, limit: 2000 })).map((r) => r.status);
  const services = await readServiceInputs(store, organisation, names, month, runs);
  const rolloutIds = [...new Set(runs.filter((r) => r.services.some((s) => names.includes(s.name))).flatMap((r) => r.tasks.flatMap((t) => (t.rolloutId !== undefined ? [t.rolloutId] : []))))];
  const rollouts: RolloutInput[] = [];
  for (const id of rolloutIds) {
    try {
      const { progress } = await rolloutProgress({ client, taskQueue: '' }, id);
      rollouts.push({ rolloutId: id, status: progress.status, ...('finishedAt' in progress ? { finishedAt: progress.finishedAt as number } : {}), ...(progress.message !== undefined ? { message: progress.message } : {}), hosts: progress.hosts });
    } catch {
      // A rollout Temporal no longer has (retention) or cannot answer: its window run still says what ran.
    }
  }

  const hosts = new Set(rollouts.flatMap((r) => r.hosts.map((h) => h.name)));
  for (const w of windows) {
    for (const task of w.tasks) {
      const t = task.targets;
      if (t.kind === 'inline') for (const h of t.hosts) hosts.add(h.name);
      else if (t.kind === 'source') for (const h of await readHosts(t.source, t.selector).catch(() => [])) hosts.add(h.name);
    }
  }
  const hostList = [...hosts].sort();
  const scans = await hostScansBetween(store, hostList, { from: month.start - 31 * DAY_MS, to: month.end });
  const firstSeen = await firstSeenTimes(store, hostList);
  const knownUpdates: KnownUpdate[] = scans.flatMap((s) => (s.ok ? s.updates.map((u) => ({
    host: s.host, package: u.package, version: u.candidate, classification: u.classification,
    availableSince: availableSince(u, firstSeen.get(s.host)?.get(firstSeenKey(u.package, u.candidate)), s.at),
  })) : []));

  const repositories = dependencySetup(organisation)?.repositories.map((r) => r.repo);
  const dependencyRuns = repositories ? await dependencyRunsBetween(client, repositories, { from: month.start - 90 * DAY_MS, to: month.end }) : undefined;

  const next = monthInterval(nextMonthKey(scope.month), customer.timezone);
  const nextMonth = windows.flatMap((w) => occurrencesBetween(w.timing, new Date(next.start), new Date(next.end))
    .filter((o) => !o.blackout)
    .map((o) => ({ window: w.name, title: w.title, start: o.start, end: o.end, services: w.services.map((s) => s.name).filter((s) => names.includes(s)) })));

  const input: ReportInput = {
    month: scope.month, generatedAt: now, organisation: organisation.windows[0]?.organisation ?? organisation.files.find((f) => f.content.organisation !== undefined)?.content.organisation ?? { name: organisation.name, contact: { email: '' } },
    customer, services, windowRuns: runs, rollouts, knownUpdates, hosts: hostList, scans,
    ...(dependencyRuns ? { dependencyRuns } : {}), nextMonth,
  };
  return buildMonthlyReport(input);
}

/**
 * Per service: its tier, probe interval, probe segments, failed results in each of the window
 * runs' spans, hourly rounds (90 days) and incidents of the month, from the store. Segments and
 * counts come aggregated from SQL: a month of results is never read row by row.
 */
/** Services read at once from PostgreSQL (its pool holds 10 connections). */
const SERVICES_READ_AT_ONCE = 4;

export async function readServiceInputs(store: Store, organisation: Organisation, names: readonly string[], month: { start: number; end: number }, runs: readonly WindowStatus[] = []): Promise<ServiceInput[]> {
  const definitions = new Map(organisation.files.flatMap((f) => f.content.services.map((s) => [s.name, s] as const)));
  const tiers = new Map(organisation.files.flatMap((f) => f.content.slaTiers.map((t) => [t.name, t] as const)));
  const probes = new Map(serviceProbePlans(organisation).map((p) => [p.service, p]));

  // A day of margin each side: the tier's months may be in another zone than the customer's.
  const range = { from: month.start - DAY_MS, to: month.end + DAY_MS };
  const incidents = await incidentsOpenedBetween(store, names, range);
  const read = async (name: string): Promise<ServiceInput> => {
    const def = definitions.get(name)!;
    const tier = def.tier !== undefined ? tiers.get(def.tier) : undefined;
    const plan = probes.get(name);
    const segments = plan ? await probeSegmentsBetween(store, name, range, plan.intervalMs) : [];
    // Up to the range's end, where the segments end too.
    const spans = plan ? heldRunSpans(runs, name, month) : [];
    const failed = await failedResultsPerSpan(store, name, spans.map((s) => ({ start: s.start, end: Math.min(s.end, range.to) })));
    const hourly = plan ? await hourlyProbeRounds(store, [name], { from: month.end - 91 * DAY_MS, to: month.end + HOUR_MS }) : [];
    return {
      name, title: def.title ?? { nl: name, en: name },
      ...(tier ? { tier } : {}),
      ...(plan ? { probeIntervalMs: plan.intervalMs } : {}),
      segments,
      failedResults: spans.map((s, i) => ({ ...s, failed: failed[i]! })),
      hourlyRounds: hourly,
      incidents: incidents.filter((i) => i.service === name),
    };
  };
  // PostgreSQL computes each service's segments in a backend of its own: a few at once use the
  // database server's cores. SQLite's reads run in this process, one at a time whatever we do.
  const services = await mapWithConcurrency(names, store.engine === 'postgres' ? SERVICES_READ_AT_ONCE : 1, read);
  return services;
}

/** The runs of these repositories (workflow id deps-<owner>-<name>, one per run) that finished in the range: what each PR's outcome was. */
async function dependencyRunsBetween(client: Client, repositories: readonly string[], range: { from: number; to: number }): Promise<DependencyRunSummary[]> {
  const out: DependencyRunSummary[] = [];
  for (const repo of repositories) {
    const query = `WorkflowType = '${dependencyUpdatesWorkflow.name}' AND WorkflowId = '${dependencyRunId(repo)}' AND ExecutionStatus = 'Completed' AND CloseTime >= '${new Date(range.from).toISOString()}'`;
    for await (const w of client.workflow.list({ query })) {
      try {
        const summary = (await client.workflow.getHandle(w.workflowId, w.runId).result()) as DependencyRunSummary;
        if (Date.parse(summary.finishedAt) < range.to) out.push(summary);
      } catch {
        // Unreadable (another deployment's key): left out.
      }
    }
  }
  return out;
}
