import { Context, type Info } from '@temporalio/activity';

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

/** Heartbeats the running activity with its step; does nothing outside an activity. */
export function heartbeat(details?: unknown): void {
  activityContext()?.heartbeat(details);
}

/** The running activity's info (attempt, heartbeat details, workflow execution); undefined outside one. */
export function activityInfo(): Info | undefined {
  return activityContext()?.info;
}

/** A warning in the activity's log, or on stderr outside an activity. */
export function warn(message: string): void {
  const ctx = activityContext();
  if (ctx) ctx.log.warn(message);
  else process.stderr.write(`${message}\n`);
}
