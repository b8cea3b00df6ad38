import { z } from 'zod';
import type { PolicyProblem } from '../common/errors';
import type { RolloutPolicy } from './policy';

/** A host count: a whole number, or a percentage of all targeted hosts like "25%". */
export const countOrPercentSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'expected a percentage from 0% to 100%, like "25%"'),
]);
export type CountOrPercent = z.output<typeof countOrPercentSchema>;

/**
 * A host count that must be above zero (batch sizes, maxUnavailable): 0 or "0%" would be a
 * rollout that can never make progress, so it is refused rather than silently made 1. (A positive
 * percentage that rounds down to 0 hosts on a small fleet still means 1, as Ansible's `serial` does.)
 */
export const positiveCountOrPercentSchema = countOrPercentSchema.refine(
  (value) => (typeof value === 'number' ? value : Number(value.slice(0, -1))) > 0,
  'expected at least 1 host or a percentage above 0%: with 0 the rollout could never make progress',
);

/** Percentages round down; a batch is never empty (Ansible's `serial` does the same). */
export function batchSize(value: CountOrPercent, total: number): number {
  const n = typeof value === 'number' ? value : Math.floor((total * Number(value.slice(0, -1))) / 100);
  return Math.max(1, n);
}

/** How many failed hosts are tolerated before the rollout halts (percentages round down; may be 0). */
export function failuresTolerated(threshold: CountOrPercent, total: number): number {
  return typeof threshold === 'number' ? threshold : Math.floor((total * Number(threshold.slice(0, -1))) / 100);
}

export interface WavePlan {
  index: number;
  /** Index of the first host (in target order) in this wave. */
  start: number;
  size: number;
  /** At most this many hosts of the wave are out of service at once (maxUnavailable). */
  parallelism: number;
  canary: boolean;
  /** With zone-aware waves: the one zone every host of the wave is in. */
  zone?: string;
}

export interface WaveSettings {
  canary: number;
  batches: CountOrPercent[];
  maxUnavailable: CountOrPercent;
  /** Zone-aware waves: see {@link planTargetWaves}. */
  byZone?: boolean;
}

export function waveSettings(policy: Pick<RolloutPolicy, 'waves' | 'maxUnavailable'>): WaveSettings {
  return { canary: policy.waves.canary, batches: policy.waves.batches, maxUnavailable: policy.maxUnavailable, byZone: policy.waves.byZone };
}

/** The host tag zone-aware waves (`waves.byZone`) group hosts by; hosts from Pulumi carry it. */
export const ZONE_TAG = 'az';

/**
 * The items zone by zone: zones in the order of their first item, items in their own order
 * within a zone (what zone-aware waves plan on).
 */
export function orderByZone<T>(items: readonly T[], zoneOf: (item: T) => string): T[] {
  const byZone = new Map<string, T[]>();
  for (const item of items) {
    const zone = zoneOf(item);
    const members = byZone.get(zone);
    if (members) members.push(item);
    else byZone.set(zone, [item]);
  }
  return [...byZone.values()].flat();
}

/**
 * Splits `total` hosts into waves: the canary (if any), then the batch sizes in order, the last
 * size repeating until every host has a wave. Within a wave at most `maxUnavailable` hosts are
 * worked on at once, so a batch larger than maxUnavailable runs in several steps.
 *
 * With `zones` (the zone of each host, in target order, hosts of a zone next to each other: see
 * {@link orderByZone}) no wave holds hosts of two zones: a wave that would cross into the next
 * zone ends at the boundary, and the next wave (with the next batch size) starts in that zone.
 * Sizes stay percentages of all `total` hosts.
 */
export function planWaves(total: number, settings: WaveSettings, zones?: readonly string[]): WavePlan[] {
  const waves: WavePlan[] = [];
  const parallelismCap = batchSize(settings.maxUnavailable, total);
  let start = 0;
  const zoneEnd = (from: number) => {
    let end = from + 1;
    while (end < total && zones![end] === zones![from]) end++;
    return end;
  };
  const push = (wanted: number, canary: boolean) => {
    const size = Math.min(wanted, (zones ? zoneEnd(start) : total) - start);
    if (size <= 0) return;
    waves.push({ index: waves.length, start, size, parallelism: Math.min(size, parallelismCap), canary, ...(zones ? { zone: zones[start]! } : {}) });
    start += size;
  };
  if (settings.canary > 0) push(settings.canary, true);
  const sizes = settings.batches.length > 0 ? settings.batches : ['100%' as const];
  for (let i = 0; start < total; i = Math.min(i + 1, sizes.length - 1)) push(batchSize(sizes[i]!, total), false);
  return waves;
}

/**
 * The targeted hosts in the order the rollout takes them, and its waves: target order, or with
 * `byZone` zone by zone, `zoneOf` giving a host's zone (a host without one is refused before
 * anything starts, see policy.ts `missingZones`).
 */
export function planTargetWaves<T>(hosts: readonly T[], settings: WaveSettings, zoneOf: (host: T) => string | undefined): { hosts: T[]; waves: WavePlan[] } {
  if (!settings.byZone) return { hosts: [...hosts], waves: planWaves(hosts.length, settings) };
  const zone = (h: T) => zoneOf(h) ?? '';
  const ordered = orderByZone(hosts, zone);
  return { hosts: ordered, waves: planWaves(ordered.length, settings, ordered.map(zone)) };
}

/**
 * What cannot be planned for `total` targeted hosts, checked when the hosts are known (the CLI,
 * before anything starts): a canary larger than the fleet, which planWaves would clip silently;
 * with `zones` (as planWaves takes them), a canary larger than the first zone, which would have
 * to be clipped or to span two zones.
 */
export function waveProblems(total: number, settings: WaveSettings, zones?: readonly string[]): PolicyProblem[] {
  const plural = (n: number) => `${n} host${n === 1 ? '' : 's'}`;
  if (settings.canary > total) {
    return [{ path: 'waves.canary', message: `a canary of ${settings.canary} hosts is more than the ${plural(total)} the targets select: expected at most ${total}` }];
  }
  const firstZone = zones?.[0];
  const inFirstZone = zones?.filter((z) => z === firstZone).length ?? total;
  if (settings.canary <= inFirstZone) return [];
  return [{ path: 'waves.canary', message: `with waves.byZone the canary comes from the first zone, "${firstZone}", which has ${plural(inFirstZone)}: a canary of ${settings.canary} would span two zones; expected at most ${inFirstZone}` }];
}
