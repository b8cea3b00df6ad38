import { z } from 'zod';
import type { PolicyProblem } from '../common/errors';

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
}

export interface WaveSettings {
  canary: number;
  batches: CountOrPercent[];
  maxUnavailable: CountOrPercent;
}

/**
 * Splits `total` hosts into waves: the canary (if any), then the batch sizes in order, the last
 * size repeating until every host has a wave. Within a wave at most `maxUnavailable` hosts are
 * worked on at once, so a batch larger than maxUnavailable runs in several steps.
 */
export function planWaves(total: number, settings: WaveSettings): WavePlan[] {
  const waves: WavePlan[] = [];
  const parallelismCap = batchSize(settings.maxUnavailable, total);
  let start = 0;
  const push = (wanted: number, canary: boolean) => {
    const size = Math.min(wanted, total - start);
    if (size <= 0) return;
    waves.push({ index: waves.length, start, size, parallelism: Math.min(size, parallelismCap), canary });
    start += size;
  };
  if (settings.canary > 0) push(settings.canary, true);
  const sizes = settings.batches.length > 0 ? settings.batches : ['100%' as const];
  for (let i = 0; start < total; i = Math.min(i + 1, sizes.length - 1)) push(batchSize(sizes[i]!, total), false);
  return waves;
}

/**
 * What cannot be planned for `total` targeted hosts, checked when the hosts are known (the CLI,
 * before anything starts): a canary larger than the fleet, which planWaves would clip silently.
 */
export function waveProblems(total: number, settings: WaveSettings): PolicyProblem[] {
  if (settings.canary <= total) return [];
  return [{ path: 'waves.canary', message: `a canary of ${settings.canary} hosts is more than the ${total} host${total === 1 ? '' : 's'} the targets select: expected at most ${total}` }];
}
