import type { ProbeResult } from '../../../policies/availability/types';
import type { ProbeDefinition } from '../../../policies/probes/schema';
import { dnsProbe } from './dns';
import { httpProbe } from './http';
import type { ProbeRunner } from './probe';
import { tcpProbe } from './tcp';
import { metrics } from '../../metrics';

/** One runner per `ProbeDefinition['kind']`: a kind left out does not compile. */
export type ProbeRegistry = { [K in ProbeDefinition['kind']]: ProbeRunner<Extract<ProbeDefinition, { kind: K }>> };

/** The probes by `probe.kind`; adding one is a new file plus one line here. */
const RUNNERS: ProbeRegistry = {
  http: httpProbe,
  tcp: tcpProbe,
  dns: dnsProbe,
};

/** Runs one probe and times it: a passing answer slower than its latencyThreshold is degraded. */
export async function runProbe(service: string, probe: ProbeDefinition, now: () => number = Date.now): Promise<ProbeResult> {
  const at = now();
  const started = performance.now();
  const runner = Object.hasOwn(RUNNERS, probe.kind) ? (RUNNERS[probe.kind] as ProbeRunner) : undefined;
  const outcome = runner ? await runner(probe) : { ok: false, detail: `probe kind "${probe.kind}" is unknown to this worker (upgrade it)` };
  const latencyMs = Math.round(performance.now() - started);
  metrics.probe(service, outcome.ok);
  const degraded = outcome.ok && probe.latencyThreshold !== undefined && latencyMs > probe.latencyThreshold;
  return {
    service, probe: probe.name, at, ok: outcome.ok, latencyMs,
    ...(degraded ? { degraded: true } : {}),
    ...(!outcome.ok ? { error: outcome.detail.slice(0, 500) } : {}),
  };
}
