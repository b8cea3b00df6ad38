import type { Client } from '@temporalio/client';
import { monthAvailability, RESULT_STANDS_FOR_INTERVALS } from '../policies/availability/monthly';
import { monthInterval, monthOf } from '../policies/availability/months';
import type { Interval, ProbeResult } from '../policies/availability/types';
import { nextOccurrences } from '../policies/windows/occurrences';
import type { Organisation } from './organisation';
import type { ServiceCondition } from '../policies/probes/incidents';
import { PROBE_WORKFLOW_PREFIX, type ServiceProbePlan } from '../policies/probes/plan';
import { MANAGED_BY } from '../policies/windows/types';
import type { Store } from '../store';
import { serviceProbeState, type Incident } from '../store/incidents';
import { latestRound, probeResults } from '../store/probes';
import { serviceProbesWorkflow } from '../workflows/serviceProbe';

/** What `maint services status` shows of one service (more columns join it: tier, availability, budget, next window). */
export interface ServiceStatus {
  service: string;
  /** up/degraded/down from its last round; unknown before the first. */
  state: ServiceCondition | 'unknown';
  /** When its last round began (ISO). */
  lastRoundAt?: string;
  /** No round for three intervals (known from the files): no worker runs its probes, the state is old news. */
  stale?: true;
  /** Each probe and its latest result (probes from the files, or those the last round ran). */
  probes: Array<{ name: string; kind?: string; last?: ProbeResult }>;
  openIncident?: Incident;
}

/** The services whose probe workflows run now (memo `services`; of one organisation when named), when no files are given. */
export async function probedServices(client: Client, organisation?: string): Promise<string[]> {
  const services = new Set<string>();
  for await (const w of client.workflow.list({ query: `WorkflowType = '${serviceProbesWorkflow.name}' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${PROBE_WORKFLOW_PREFIX}'` })) {
    const memo = (w.memo ?? {}) as Record<string, unknown>;
    if (organisation !== undefined && memo.organisation !== organisation) continue;
    if (memo.managedBy === MANAGED_BY && typeof memo.services === 'object' && memo.services !== null) for (const service of Object.keys(memo.services)) services.add(service);
  }
  return [...services].sort();
}

/** Each service's state as the store has it: its last round, its probes' latest results, its open incident. */
export async function serviceStatuses(store: Store, services: Array<string | ServiceProbePlan>, now = Date.now()): Promise<ServiceStatus[]> {
  const out: ServiceStatus[] = [];
  for (const entry of services) {
    const service = typeof entry === 'string' ? entry : entry.service;
    const [state, last] = await Promise.all([serviceProbeState(store, service), latestRound(store, service)]);
    const byProbe = new Map(last.map(({ roundId: _r, location: _l, ...r }) => [r.probe, r]));
    const probes = typeof entry === 'string'
      ? [...byProbe.values()].map((r) => ({ name: r.probe, last: r }))
      : entry.probes.map((p) => ({ name: p.name, kind: p.kind, ...(byProbe.has(p.name) ? { last: byProbe.get(p.name)! } : {}) }));
    out.push({
      service,
      state: state.condition ?? 'unknown',
      ...(state.lastRoundAt !== undefined ? { lastRoundAt: new Date(state.lastRoundAt).toISOString() } : {}),
      ...(typeof entry !== 'string' && state.lastRoundAt !== undefined && now - state.lastRoundAt > 3 * entry.intervalMs ? { stale: true as const } : {}),
      probes,
      ...(state.openIncident ? { openIncident: state.openIncident } : {}),
    });
  }
  return out;
}

/** A service's SLA figures for the month so far (with `-f`: the files say its tier and windows). */
export interface ServiceFigures {
  tier: string;
  month: string;
  availabilityPercent: number | null;
  targetPercent: number;
  budget: { allowedMinutes: number; spentMinutes: number; leftMinutes: number };
  nextWindow?: { name: string; start: string };
}

/**
 * Availability this month, error budget and next window of each probed service with a tier: from
 * its probe results in the store and its windows' occurrences this month (up to now) as the
 * maintenance intervals (policies/availability/monthly.ts does the counting).
 */
export async function serviceFigures(store: Store, organisation: Organisation, plans: ServiceProbePlan[], now = Date.now()): Promise<Map<string, ServiceFigures>> {
  const services = new Map(organisation.files.flatMap((f) => f.content.services.map((s) => [s.name, s] as const)));
  const tiers = new Map(organisation.files.flatMap((f) => f.content.slaTiers.map((t) => [t.name, t] as const)));
  const out = new Map<string, ServiceFigures>();
  for (const plan of plans) {
    const tierName = services.get(plan.service)?.tier;
    const tier = tierName !== undefined ? tiers.get(tierName) : undefined;
    if (!tier) continue;
    const month = monthOf(now, tier.timezone);
    const { start } = monthInterval(month, tier.timezone);
    const windows = organisation.windows.filter((w) => w.services.some((s) => s.name === plan.service));
    const maintenance: Interval[] = [];
    let nextWindow: ServiceFigures['nextWindow'];
    for (const w of windows) {
      for (const o of nextOccurrences(w.timing, new Date(start - 1), 400)) {
        const [from, to] = [Date.parse(o.start), Date.parse(o.end)];
        if (from >= now) {
          if (!nextWindow || from < Date.parse(nextWindow.start)) nextWindow = { name: w.name, start: o.start };
          break;
        }
        maintenance.push({ start: from, end: Math.min(to, now) });
      }
    }
    const results = await probeResults(store, plan.service, { from: start - RESULT_STANDS_FOR_INTERVALS * plan.intervalMs, to: now });
    const figures = monthAvailability({ service: plan.service, month, tier, results, probeIntervalMs: plan.intervalMs, maintenance, asOf: now });
    out.set(plan.service, {
      tier: tier.name, month, availabilityPercent: figures.availabilityPercent, targetPercent: figures.targetPercent, budget: figures.errorBudget,
      ...(nextWindow ? { nextWindow } : {}),
    });
  }
  return out;
}
