import { Context, type Info } from '@temporalio/activity';
import { redact } from '../policies/common/redact';

/**
 * The running activity's context, or undefined when the code runs outside an activity (CLI
 * previews, direct calls in tests): the one place that asks Temporal, so callers never need a try.
 */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The details each running activity last heartbeat with: what the timer of {@link heartbeatWhile} repeats. */
const lastDetails = new WeakMap<Context, unknown>();

/** Heartbeats the running activity with its step; does nothing outside an activity. */
export function heartbeat(details?: unknown): void {
  const ctx = activityContext();
  if (ctx === undefined) return;
  lastDetails.set(ctx, details);
  ctx.heartbeat(details);
}

/** How often {@link heartbeatWhile} heartbeats: well within every host profile's heartbeatTimeout. */
export const HEARTBEAT_EVERY_MS = 10_000;

/**
 * Runs `work`, heartbeating every `everyMs` until it settles, with the details last sent (so a
 * retry still resumes from them): one SSH command may run for minutes (apt-get update, a job's
 * poll), and a worker that died meanwhile is noticed within the heartbeat timeout, not at the end
 * of the step's start-to-close timeout. Outside an activity it just runs `work`.
 */
export async function heartbeatWhile<T>(work: () => Promise<T>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  const ctx = activityContext();
  if (ctx === undefined) return work();
  const timer = setInterval(() => ctx.heartbeat(lastDetails.get(ctx)), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The running activity's info (attempt, heartbeat details, workflow execution); undefined outside one. */
export function activityInfo(): Info | undefined {
  return activityContext()?.info;
}

/** A line in the activity's log (with its trace and span when tracing is on); nothing outside an activity. */
export function info(message: string): void {
  activityContext()?.log.info(redact(message));
}

/** A warning in the activity's log, or on stderr outside an activity; redacted either way (a custom Runtime logger may not). */
export function warn(message: string): void {
  const ctx = activityContext();
  const safe = redact(message);
  if (ctx) ctx.log.warn(safe);
  else process.stderr.write(`${safe}\n`);
}
