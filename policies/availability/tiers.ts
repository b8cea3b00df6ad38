/**
 * Which windows break the SLA tiers of the services they touch. `maint apply` refuses them (through
 * planOrganisation), naming the window, the service, the tier and the rule:
 * - noticeLeadTime: the window's first notice (its longest notices.leadTimes) is announced at
 *   least this long before each run;
 * - allowedWindows: every run of the next {@link TIER_HORIZON_MS} (blacked-out ones do not run)
 *   lies wholly inside the tier's allowed hours;
 * - maxMaintenancePerMonth: in every calendar month (tier timezone) of that horizon, the runs of all
 *   windows touching the service together (overlapping runs count once, a run crossing a month
 *   end counts in each month for its part there) last at most this long. The current month counts
 *   the runs from now on: what already ran is not known here.
 *
 * Pure: `now` is passed in.
 */
import { formatMs } from '../common/durations';
import type { SlaTier } from '../organisation/schema';
import { occurrencesBetween } from '../windows/occurrences';
import type { WindowPlan } from '../windows/types';
import { allowedIntervals } from './allowedWindows';
import { coveredMs, insideAny, mergeIntervals } from './intervals';
import { localTime, monthInterval, monthsBetween } from './months';
import type { Interval } from './types';

/** How far ahead the runs of a window are checked against its services' tiers. */
export const TIER_HORIZON_MS = 366 * 86_400_000;

/** A broken rule, at `field` of window `window` (e.g. `notices.leadTimes`). */
export interface TierProblem {
  window: string;
  field: 'notices.leadTimes' | 'recurrence' | 'duration';
  message: string;
}

type WindowTimes = Pick<WindowPlan, 'name' | 'timing' | 'leadTimesMs' | 'services'>;

/** Every rule of every tier that the windows break; services without a tier (or an unknown one) have no rules. */
export function slaTierProblems(
  plans: readonly WindowTimes[],
  services: ReadonlyArray<{ name: string; tier?: string | undefined }>,
  tiers: readonly SlaTier[],
  now: Date,
): TierProblem[] {
  const tierByName = new Map(tiers.map((t) => [t.name, t]));
  const tierOf = new Map(services.flatMap((s) => (s.tier !== undefined && tierByName.has(s.tier) ? [[s.name, tierByName.get(s.tier)!] as const] : [])));
  const from = now.getTime();
  const runs = new Map(plans.map((p) => [p.name, runsOf(p, from)]));
  const problems: TierProblem[] = [];
  for (const plan of plans) {
    for (const { name: service } of plan.services) {
      const tier = tierOf.get(service);
      if (!tier) continue;
      const lead = leadTimeProblem(plan, service, tier);
      if (lead) problems.push({ window: plan.name, field: 'notices.leadTimes', message: lead });
      const hours = allowedHoursProblem(plan, runs.get(plan.name)!, service, tier, from);
      if (hours) problems.push({ window: plan.name, field: 'recurrence', message: hours });
    }
  }
  for (const [service, tier] of tierOf) {
    const touching = plans.filter((p) => p.services.some((s) => s.name === service)).map((p) => ({ name: p.name, runs: runs.get(p.name)! }));
    const monthly = monthlyProblem(touching, service, tier, from);
    if (monthly) problems.push({ window: monthly.window, field: 'duration', message: monthly.message });
  }
  return problems;
}

/** The runs of a window starting in [from, from + horizon): blacked-out occurrences do not run. */
function runsOf(plan: WindowTimes, from: number): Interval[] {
  return occurrencesBetween(plan.timing, new Date(from), new Date(from + TIER_HORIZON_MS))
    .filter((o) => !o.blackout)
    .map((o) => ({ start: Date.parse(o.start), end: Date.parse(o.end) }));
}

const tierName = (service: string, tier: SlaTier) => `service "${service}" is in SLA tier "${tier.name}"`;

function leadTimeProblem(plan: WindowTimes, service: string, tier: SlaTier): string | undefined {
  if (tier.noticeLeadTime === undefined) return undefined;
  const lead = Math.max(0, ...plan.leadTimesMs);
  if (lead >= tier.noticeLeadTime) return undefined;
  const announced = plan.leadTimesMs.length === 0 ? 'sends no notices' : `announces its runs ${formatMs(lead)} ahead`;
  return `window "${plan.name}" ${announced}, but ${tierName(service, tier)}, whose noticeLeadTime is ${formatMs(tier.noticeLeadTime)}: announce at least ${formatMs(tier.noticeLeadTime)} ahead`;
}

function allowedHoursProblem(plan: WindowTimes, runs: Interval[], service: string, tier: SlaTier, from: number): string | undefined {
  if (tier.allowedWindows === undefined || runs.length === 0) return undefined;
  const allowed = allowedIntervals(tier.allowedWindows, from, from + TIER_HORIZON_MS + plan.timing.durationMs);
  const outside = runs.filter((r) => !insideAny(allowed, r.start, r.end));
  const first = outside[0];
  if (!first) return undefined;
  const zone = tier.timezone;
  const more = outside.length > 1 ? `, and ${outside.length - 1} more of its runs in the next 366 days` : '';
  return `window "${plan.name}" runs ${localTime(first.start, zone)} to ${localTime(first.end, zone)} (${zone})${more}, outside the allowed hours of SLA tier "${tier.name}" of service "${service}" (allowedWindows: ${tier.allowedWindows.map((w) => w.text).join('; ')})`;
}

function monthlyProblem(windows: Array<{ name: string; runs: Interval[] }>, service: string, tier: SlaTier, from: number): { window: string; message: string } | undefined {
  const max = tier.maxMaintenancePerMonth;
  if (max === undefined || windows.length === 0) return undefined;
  const all = mergeIntervals(windows.flatMap((w) => w.runs));
  const last = all[all.length - 1];
  if (!last) return undefined;
  const over = monthsBetween(from, last.end, tier.timezone)
    .map((month) => ({ month, bounds: monthInterval(month, tier.timezone) }))
    .map((m) => ({ ...m, ms: coveredMs(all, m.bounds.start, m.bounds.end) }))
    .filter((m) => m.ms > max);
  const first = over[0];
  if (!first) return undefined;
  const share = windows
    .map((w) => ({ name: w.name, ms: coveredMs(mergeIntervals(w.runs), first.bounds.start, first.bounds.end) }))
    .filter((w) => w.ms > 0);
  const named = share.map((w) => `"${w.name}" (${formatMs(w.ms)})`).join(', ');
  const also = over.length > 1 ? `; also in ${over.slice(1).map((m) => m.month).join(', ')}` : '';
  return {
    window: share[0]!.name,
    message: `${share.length === 1 ? `window ${named} plans` : `windows ${named} plan`} ${formatMs(first.ms)} of maintenance for service "${service}" in ${first.month} (${tier.timezone}), more than the maxMaintenancePerMonth ${formatMs(max)} of its SLA tier "${tier.name}"${also}`,
  };
}
