import type { ProbeDefinition } from '../../../policies/probes/schema';
import { httpCheck } from '../../health/http';
import { NO_TEMPLATE_VALUES, noShell } from './shared';
import type { ProbeRunner } from './probe';

/** The rollout health check's http runner, on the service's URL. */
export const httpProbe: ProbeRunner<Extract<ProbeDefinition, { kind: 'http' }>> = (probe) =>
  httpCheck(
    { kind: 'http', url: probe.url, expectStatus: probe.expectStatus, ...(probe.bodyMatches !== undefined ? { bodyMatches: probe.bodyMatches } : {}) },
    { values: NO_TEMPLATE_VALUES, timeoutMs: probe.timeout, shell: noShell },
  );
