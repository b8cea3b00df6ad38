import type { ProbeDefinition } from '../../../policies/probes/schema';
import { tcpCheck } from '../../health/tcp';
import { NO_TEMPLATE_VALUES, noShell } from './shared';
import type { ProbeRunner } from './probe';

/** The rollout health check's tcp runner, on the service's host and port. */
export const tcpProbe: ProbeRunner<Extract<ProbeDefinition, { kind: 'tcp' }>> = (probe) =>
  tcpCheck({ kind: 'tcp', host: probe.host, port: probe.port }, { values: NO_TEMPLATE_VALUES, timeoutMs: probe.timeout, shell: noShell });
