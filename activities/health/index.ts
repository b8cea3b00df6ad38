import type { HealthCheck } from '../../policies/rollout/policy';
import type { CheckContext, CheckOutcome, HealthCheckRunner } from './check';
import { commandCheck } from './command';
import { httpCheck } from './http';
import { tcpCheck } from './tcp';

/** One runner per `HealthCheck['kind']`: a kind left out does not compile. */
export type HealthCheckRegistry = { [K in HealthCheck['kind']]: HealthCheckRunner<Extract<HealthCheck, { kind: K }>> };

/** The health checks by `check.kind`; adding one is a new file plus one line here. */
const RUNNERS: HealthCheckRegistry = {
  http: httpCheck,
  tcp: tcpCheck,
  command: commandCheck,
};

export function runHealthCheck(check: HealthCheck, ctx: CheckContext): Promise<CheckOutcome> {
  return (RUNNERS[check.kind] as HealthCheckRunner)(check, ctx);
}
