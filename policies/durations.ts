import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration as people write it: `500ms`, `30s`, `2m`, `1h`, `1m30s`, or a number of seconds. Parsed to milliseconds. */
export const durationSchema = z
  .union([
    z.number().nonnegative(),
    z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'expected a duration like 30s, 2m, 1h or 1m30s'),
  ])
  .transform((value) => (typeof value === 'number' ? value * 1000 : parseDurationMs(value)));

export function parseDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Math.round(total);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
