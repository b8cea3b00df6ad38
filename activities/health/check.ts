import type { HealthCheck } from '../../policies/rollout/policy';
import type { TemplateValues } from '../../policies/common/templates';
import type { HostShell } from '../hosts/ssh';

export interface CheckContext {
  values: TemplateValues;
  timeoutMs: number;
  /** An open SSH connection to the host, for `command` checks. */
  shell(): Promise<HostShell>;
}

export interface CheckOutcome {
  ok: boolean;
  /** What was seen, for the progress view and error messages: "HTTP 503 unhealthy version=2.0.0". */
  detail: string;
}

/** One kind of health check (http, tcp, command, …): one file each, registered in index.ts. */
export type HealthCheckRunner<C extends HealthCheck = HealthCheck> = (check: C, ctx: CheckContext) => Promise<CheckOutcome>;
