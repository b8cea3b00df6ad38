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

/** What a probe reported, result by result: `down` when not ok, `degraded` when it answered slowly, else `up`. */
export type ProbeState = 'up' | 'degraded' | 'down';

/**
 * A run of one probe's consecutive results in one state, for the time they stand for
 * (policies/availability/monthly.ts): from the first one's `at` until the last one's next result,
 * or two probe intervals after it (RESULT_STANDS_FOR_INTERVALS), whichever is first; a run ends
 * where the state changes or no result stands. What the store computes in SQL instead of handing
 * over every result (store/probes.ts probeSegmentsBetween).
 */
export interface ProbeSegment extends Interval {
  probe: string;
  state: ProbeState;
  /** How many results it joins (results at one instant each count). */
  results: number;
}
