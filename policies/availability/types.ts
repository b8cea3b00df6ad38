/**
 * Shared shapes of the availability domain (pure; no I/O). A probe result is what a service probe
 * records each time it runs; the availability math (./math.ts) takes a list of them as input.
 */

/** One run of one probe of one service. */
export interface ProbeResult {
  /** Service name, as in the organisation file's services[].name. */
  service: string;
  /** Probe name within the service. */
  probe: string;
  /** When the probe ran, epoch milliseconds. */
  at: number;
  /** The probe got a valid answer (status/body as expected). */
  ok: boolean;
  /** How long the answer took, when it came. */
  latencyMs?: number;
  /** Answered, but slower than the probe's latency threshold. */
  degraded?: boolean;
  /** Why the probe failed, when it did. */
  error?: string;
}

/** A span of time [start, end), epoch milliseconds: a maintenance window's actual run, an outage. */
export interface Interval {
  start: number;
  end: number;
}
