import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

/**
 * The failure that says why, under Temporal's wrappers: an activity's or child workflow's failure
 * ("Activity task failed") carries the real one as its cause.
 */
function innermost(err: unknown): unknown {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause !== undefined) e = e.cause;
  return e;
}

/** Why an activity or child workflow failed, in the words of its cause. */
export function causeMessage(err: unknown): string {
  const cause = innermost(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/** {@link causeMessage} and the failure's `type` (policies/common/failures.ts), when it has one. */
export function failureCause(err: unknown): { message: string; type?: string } {
  const cause = innermost(err);
  const type = cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
  return { message: causeMessage(cause), ...(type !== undefined ? { type } : {}) };
}
