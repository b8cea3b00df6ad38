import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { redact } from '../policies/common/redact';

const ORDER: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
const KEEP = ['workflowId', 'workflowType', 'activityType', 'attempt', 'taskQueue'] as const;

/**
 * One line per event, `time LEVEL message key=value …`, for the Temporal runtime's logs: readable in
 * a terminal, greppable in a journal. Task tokens and payloads are left out on purpose, and every
 * line passes redact(): activities log through it (Context.log) and their messages and errors may
 * name URLs with tokens, Authorization headers or command output.
 */
export class LineLogger implements Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const fields = KEEP.flatMap((k) => (meta?.[k] !== undefined ? [`${k}=${String(meta[k])}`] : []));
    const error = meta?.error;
    if (error instanceof Error) fields.push(`error=${JSON.stringify(error.message)}`);
    this.write(redact(`${new Date().toISOString()} ${level} ${message}${fields.length ? ` ${fields.join(' ')}` : ''}`));
  }
  trace(message: string, meta?: LogMetadata): void { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata): void { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata): void { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata): void { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata): void { this.log('ERROR', message, meta); }
}
