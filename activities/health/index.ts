import type { HealthCheck } from '../../policies/rollout/policy';
import type { CheckContext, CheckOutcome, HealthCheckRunner } from './check';
import { commandCheck } from './command';
import { httpCheck } from './http';
import { tcpCheck } from './tcp';

const RUNNERS: { [K in HealthCheck['kind']]: HealthCheckRunner<Extract<HealthCheck, { kind: K }>> } = {
  http: httpCheck,
  tcp: tcpCheck,
  command: commandCheck,
};

export function runHealthCheck(check: HealthCheck, ctx: CheckContext): Promise<CheckOutcome> {
  return (RUNNERS[check.kind] as HealthCheckRunner)(check, ctx);
}
