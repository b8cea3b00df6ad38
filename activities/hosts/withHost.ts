import { ApplicationFailure } from '@temporalio/activity';
import { PERMANENT_SSH_FAILURES } from '../../policies/common/failures';
import { activityContext, heartbeat, heartbeatWhile } from '../context';
import { hostScope } from '../log';
import type { HostShell, SshConnector, SshTarget } from './ssh';
import { SshError } from './ssh';

/** Failures that retrying cannot fix: the workflow should report them, not wait on retries. */
const PERMANENT: ReadonlySet<string> = new Set(PERMANENT_SSH_FAILURES);

/**
 * Runs `work` on an open, verified connection to `target` and always closes it. Heartbeats its
 * step, and on a timer while it runs (one SSH command may take minutes), follows activity
 * cancellation, and turns SSH errors into Temporal failures with a `type` (permanent ones
 * non-retryable) so workflows can branch on them.
 */
export function withHost<T>(ssh: SshConnector, target: SshTarget, work: (shell: HostShell) => Promise<T>): Promise<T> {
  return hostScope.run(target.name, () => onHost(ssh, target, work));
}

async function onHost<T>(ssh: SshConnector, target: SshTarget, work: (shell: HostShell) => Promise<T>): Promise<T> {
  const ctx = activityContext();
  heartbeat({ step: 'connecting', host: target.name });
  let shell: HostShell | undefined;
  try {
    shell = await ssh.connect(target, ctx ? { signal: ctx.cancellationSignal } : {});
    heartbeat({ step: 'connected', host: target.name });
    const open = shell;
    return await heartbeatWhile(() => work(open));
  } catch (err) {
    throw toFailure(err);
  } finally {
    shell?.close();
  }
}

export function toFailure(err: unknown): unknown {
  if (err instanceof SshError) {
    return PERMANENT.has(err.type)
      ? ApplicationFailure.nonRetryable(err.message, err.type)
      : ApplicationFailure.retryable(err.message, err.type);
  }
  return err;
}
