import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDurationMs } from '../policies/common/durations';
import { auditEvents, type AuditEvent } from '../store/audit';
import { withStore } from './db';
import { renderTable } from './table';

/** `--since 7d` (that long ago) or an ISO date or time (`2026-12-01`, `2026-12-01T08:00:00Z`). */
export function parseSince(value: string, now = Date.now()): string {
  if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(value)) return new Date(now - parseDurationMs(value)).toISOString();
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new InvalidArgumentError('expected a duration (7d, 12h) or an ISO date or time (2026-12-01, 2026-12-01T08:00:00Z)');
  return new Date(at).toISOString();
}

export function renderAudit(events: AuditEvent[]): string {
  if (events.length === 0) return 'No control actions recorded.';
  return renderTable(['WHEN', 'WHO', 'ACTION', 'WHAT', 'WHY'], events.map((e) => [e.at, e.actor, e.action, e.subject, e.reason ?? '']));
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('The audit trail: every control action (apply, approve, abort, pause, resume, override, cancel, extend) with who, when, what and why, oldest first.')
    .option('--since <time>', 'only actions since then: a duration (7d, 12h) or an ISO date or time', (v: string) => parseSince(v))
    .option('--limit <n>', 'at most the newest n', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('--limit must be a whole number from 1 to 100000');
      return n;
    }, 1000)
    .option('--json', 'machine-readable output')
    .action(async (opts: { since?: string; limit: number; json?: boolean }) => {
      await withStore(async (store) => {
        const events = await auditEvents(store, { limit: opts.limit, ...(opts.since !== undefined ? { since: opts.since } : {}) });
        process.stdout.write(opts.json ? `${JSON.stringify(events, null, 2)}\n` : `${renderAudit(events)}\n`);
      }, { migrated: true });
    });
}
