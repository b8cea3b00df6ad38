import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DAY_MS = UNIT_MS.d;
/** The longest duration any file may hold: a year (a number like 1e308 would otherwise be Infinity). */
export const MAX_DURATION_MS = 366 * DAY_MS;
/**
 * The longest a worker waits on one Node timer (health interval and timeouts, command timeouts):
 * Node's timers hold at most 2^31-1 ms (24.8 days) and fire after 1 ms beyond that; 24 days leaves
 * room for the margins added to them.
 */
export const MAX_TIMER_MS = 24 * DAY_MS;

/** A duration as people write it: `500ms`, `30s`, `2m`, `1h`, `5d`, `1h30m`, or a number of seconds; parsed to milliseconds, at most `maxMs`. */
function durationUpTo(maxMs: number, why: string) {
  return z
    .union([
      z.number().nonnegative(),
      z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$/, 'expected a duration like 30s, 2m, 1h, 5d or 1h30m'),
    ])
    .transform((value) => (typeof value === 'number' ? value * 1000 : parseDurationMs(value)))
    .refine((ms) => ms <= maxMs, `expected at most ${formatMs(maxMs)}${why}`);
}

export const durationSchema = durationUpTo(MAX_DURATION_MS, '');
/** A duration a worker waits on one timer (see MAX_TIMER_MS). */
export const timerDurationSchema = durationUpTo(MAX_TIMER_MS, ' (a worker waits this long on one timer)');
/** A timeout: above 0 (0 would end, or with the remote `timeout` disable, every attempt) and fits a timer. */
export const timeoutSchema = timerDurationSchema.refine((ms) => ms > 0, 'expected a timeout above 0 (omit it for the default)');

export function parseDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Math.round(total);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  const parts: string[] = [];
  const units: [string, number][] = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = s;
  for (const [unit, size] of units) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  return parts.join('');
}
