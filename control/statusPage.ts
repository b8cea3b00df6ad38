/**
 * What the public status page and feeds of `maint serve` show, read from Temporal and the store as
 * cheaply as it can be done repeatedly: applied plans from one schedule list (a schedule is only
 * described again when its note, which carries the config hash, changed), finished window runs'
 * results fetched once, running ones queried, and the probe history aggregated in SQL with only
 * the last hours asked again. No host names: only services, windows and their customer texts.
 */
import type { Client } from '@temporalio/client';
import { dailyAvailability, dailyRangeStart, HOUR_MS, type DayAvailability, type ProbeRoundBucket } from '../policies/availability/daily';
import type { LocalizedText } from '../policies/organisation/schema';
import type { ServiceCondition } from '../policies/probes/incidents';
import type { OrganisationInfo, WindowPlan, WindowStatus } from '../policies/windows/types';
import type { Store } from '../store';
import { serviceProbeState } from '../store/incidents';
import { hourlyProbeRounds } from '../store/probes';
import { probedServices } from './services';
import { appliedPlans, windowRuns, type AppliedPlanCache, type FinishedRunCache } from './windowRuns';

/** How many days of past maintenance and of uptime the page shows. */
export const HISTORY_DAYS = 90;
/** A service whose last probe round is older than this is shown as "no recent check", not as up. */
export const STALE_AFTER_MS = 15 * 60_000;

export interface PublicServiceStatus {
  name: string;
  title: LocalizedText;
  /** False: no probe runs for it; the page says "not monitored" rather than guessing. */
  monitored: boolean;
  /** From its last probe round; unknown before the first one, or when that is older than {@link STALE_AFTER_MS}. */
  state: ServiceCondition | 'unknown';
  /** When its last round began (ISO). */
  checkedAt?: string;
  stale?: true;
  /** An incident is open on it since (ISO). */
  incidentSince?: string;
  /** The last {@link HISTORY_DAYS} days, oldest first; empty when not monitored. */
  days: DayAvailability[];
}

export interface PublicStatusSnapshot {
  /** When it was read (epoch ms). */
  at: number;
  organisation: OrganisationInfo;
  /** The zone of the organisation's windows (the most common one): days of the uptime bars, and times when the reader's zone is unknown. */
  timezone: string;
  plans: WindowPlan[];
  runs: WindowStatus[];
  services: PublicServiceStatus[];
  /** The store could not be read: the page says service states are unavailable, maintenance still shows. */
  servicesUnavailable?: string;
}

export interface PublicStatusSource {
  load(): Promise<PublicStatusSnapshot>;
}

/** Per service, the hourly probe buckets kept between loads: hours before `until` are final; later ones are asked again. */
type UptimeCache = Map<string, { until: number; buckets: ProbeRoundBucket[] }>;

/** Rounds are written when they end: an hour is asked again until this long after it ended. */
const LATE_WRITE_MS = 10 * 60_000;

/**
 * The status of one organisation (or of everything applied in the namespace when none is named),
 * from Temporal and, when given, the store. Keeps what it learnt between loads; use one per server.
 */
export function publicStatusSource(client: Client, options: { organisation?: string; store?: Store; now?: () => number }): PublicStatusSource {
  const now = options.now ?? Date.now;
  const planCache: AppliedPlanCache = new Map();
  const finished: FinishedRunCache = new Map();
  const uptime: UptimeCache = new Map();
  return {
    async load() {
      const at = now();
      const organisation = options.organisation;
      const plans = await appliedPlans(client, organisation, planCache);
      const scope = organisation !== undefined ? { organisation: { name: organisation, windows: plans.map((p) => p.name) } } : {};
      const [runs, probed] = await Promise.all([
        windowRuns(client, { sinceDays: HISTORY_DAYS, finished, ...scope }).then((r) => r.map((x) => x.status)),
        probedServices(client, organisation),
      ]);
      const timezone = mostCommon(plans.map((p) => p.timing.timezone)) ?? 'UTC';
      const titles = new Map<string, LocalizedText>();
      for (const p of [...plans].sort((a, b) => a.name.localeCompare(b.name))) for (const s of p.services) if (!titles.has(s.name)) titles.set(s.name, s.title);
      for (const r of runs) for (const s of r.services) if (!titles.has(s.name)) titles.set(s.name, s.title);
      for (const name of probed) if (!titles.has(name)) titles.set(name, { nl: name, en: name });
      const names = [...titles.keys()].sort((a, b) => titles.get(a)!.en.localeCompare(titles.get(b)!.en));
      const monitored = new Set(probed);
      const info: OrganisationInfo = plans[0]?.organisation ?? { name: organisation ?? 'Maintenance', contact: { email: '' } };
      const base = { at, organisation: info, timezone, plans, runs };
      const unmonitored = (name: string): PublicServiceStatus => ({ name, title: titles.get(name)!, monitored: monitored.has(name), state: 'unknown', days: [] });
      if (!options.store) return { ...base, services: names.map(unmonitored), ...(probed.length > 0 ? { servicesUnavailable: 'no store configured' } : {}) };
      try {
        const services = await serviceStates(options.store, names, monitored, titles, uptime, { at, timezone });
        return { ...base, services };
      } catch (err) {
        return { ...base, services: names.map(unmonitored), servicesUnavailable: (err as Error).message.split('\n')[0]! };
      }
    },
  };
}

async function serviceStates(store: Store, names: string[], monitored: Set<string>, titles: Map<string, LocalizedText>, cache: UptimeCache, { at, timezone }: { at: number; timezone: string }): Promise<PublicServiceStatus[]> {
  const from = dailyRangeStart(at, HISTORY_DAYS, timezone);
  // Each service is read from where its cached hours end (from the start of the range when new): in
  // steady state one query for the last hour or so of every service.
  const groups = new Map<number, string[]>();
  for (const name of names.filter((n) => monitored.has(n))) {
    const since = Math.max(from, cache.get(name)?.until ?? from);
    groups.set(since, [...(groups.get(since) ?? []), name]);
  }
  const final = Math.floor((at - LATE_WRITE_MS) / HOUR_MS) * HOUR_MS;
  for (const [since, group] of groups) {
    const rows = await hourlyProbeRounds(store, group, { from: since, to: at + HOUR_MS });
    for (const name of group) cache.set(name, { until: Math.max(since, final), buckets: (cache.get(name)?.buckets ?? []).filter((b) => b.hour >= from && b.hour < since) });
    for (const row of rows) cache.get(row.service)!.buckets.push({ hour: row.hour, rounds: row.rounds, down: row.down, degraded: row.degraded });
  }
  for (const name of [...cache.keys()]) if (!monitored.has(name)) cache.delete(name);

  const out: PublicServiceStatus[] = [];
  for (const name of names) {
    if (!monitored.has(name)) {
      out.push({ name, title: titles.get(name)!, monitored: false, state: 'unknown', days: [] });
      continue;
    }
    const probe = await serviceProbeState(store, name);
    const stale = probe.lastRoundAt !== undefined && at - probe.lastRoundAt > STALE_AFTER_MS;
    out.push({
      name, title: titles.get(name)!, monitored: true,
      state: stale ? 'unknown' : probe.condition ?? 'unknown',
      ...(probe.lastRoundAt !== undefined ? { checkedAt: new Date(probe.lastRoundAt).toISOString() } : {}),
      ...(stale ? { stale: true as const } : {}),
      ...(probe.openIncident ? { incidentSince: new Date(probe.openIncident.openedAt).toISOString() } : {}),
      days: dailyAvailability(cache.get(name)!.buckets, { now: at, days: HISTORY_DAYS, timezone }),
    });
  }
  return out;
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
