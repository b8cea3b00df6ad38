import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { redact } from '../policies/common/redact';

/** The host the running code works on (set by activities/hosts/withHost.ts): every log line in it names it. */
export const hostScope = new AsyncLocalStorage<string>();

/** `rollout-<policy>-<time>-<random>-wave-N-part-M`, a batch's workflow id: its rollout and batch. */
const BATCH_ID = /^(rollout-.+)-wave-(\d+)-part-(\d+)$/;

/** The fields of one log event: Temporal's context (no task tokens, no payloads), our rollout, batch and host. */
function eventFields(meta: LogMetadata | undefined): Record<string, string | number> {
  const fields: Record<string, string | number> = {};
  for (const k of KEEP) if (meta?.[k] !== undefined) fields[k] = meta[k] as string | number;
  const workflowId = typeof meta?.workflowId === 'string' ? meta.workflowId : undefined;
  const batch = workflowId !== undefined ? BATCH_ID.exec(workflowId) : null;
  if (batch) Object.assign(fields, { rolloutId: batch[1]!, batch: `wave-${batch[2]!}-part-${batch[3]!}` });
  else if (workflowId?.startsWith('rollout-')) fields.rolloutId = workflowId;
  const host = hostScope.getStore();
  if (host !== undefined) fields.host = host;
  const error = meta?.error;
  if (error instanceof Error) fields.error = error.message;
  return fields;
}

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
// trace_id/span_id: the activity's span when MAINT_TRACES_OTLP is set (Temporal's OpenTelemetry interceptor adds them).
const KEEP = ['workflowId', 'workflowType', 'activityType', 'attempt', 'taskQueue', 'trace_id', 'span_id'] as const;

/**
 * One line per event for the Temporal runtime's logs, `time LEVEL message key=value …` (readable in
 * a terminal, greppable in a journal) or with `json` one JSON object a line (`MAINT_LOG_FORMAT=json`,
 * for Loki, Elasticsearch, CloudWatch): time, level, msg, Temporal's workflowId/activityType/attempt/
 * taskQueue, and our rolloutId, batch and host where the event has them. Task tokens and payloads
 * are left out on purpose, and every line passes redact(): activities log through it (Context.log)
 * and their messages and errors may name URLs with tokens, Authorization headers or command output.
 */
export class LineLogger implements Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
    private readonly format: 'line' | 'json' = 'line',
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const fields = eventFields(meta);
    const time = new Date().toISOString();
    if (this.format === 'json') {
      // Each value redacted before serialising (after, a pattern could eat a JSON escape or quote).
      const event: Record<string, string | number> = { time, level: level.toLowerCase(), msg: message, ...fields };
      this.write(JSON.stringify(Object.fromEntries(Object.entries(event).map(([k, v]) => [k, typeof v === 'string' ? redact(v) : v]))));
      return;
    }
    const pairs = Object.entries(fields).map(([k, v]) => `${k}=${k === 'error' ? JSON.stringify(v) : String(v)}`);
    this.write(redact(`${time} ${level} ${message}${pairs.length ? ` ${pairs.join(' ')}` : ''}`));
  }
  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}
