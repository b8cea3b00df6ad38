import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { activityContext } from './context';

/**
 * Our metrics, recorded on the running activity's meter: the Temporal runtime exports them with its
 * own (MAINT_METRICS_PROMETHEUS / MAINT_METRICS_OTLP, worker.ts installRuntime), each already tagged
 * with namespace, task_queue and activity_type — so an SSH command's latency says which step ran it.
 * Outside an activity, or with no exporter configured, they cost nothing. Tags stay bounded: kinds,
 * outcomes and service names, never host names, rollout ids or error texts.
 */
function meter(): MetricMeter {
  return activityContext()?.metricMeter ?? noopMetricMeter;
}

/** `ok`, or the failure type (`HostKeyMismatch`, `CommandTimedOut`, …) of an error that has one. */
export function outcomeOf(err: unknown): string {
  const type = (err as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && /^[A-Za-z]{1,40}$/.test(type) ? type : 'error';
}

/** Seconds since `startMs`. */
const since = (startMs: number) => (Date.now() - startMs) / 1000;

export const metrics = {
  /** An SSH connection opened (key exchange and authentication included), or failing to. */
  sshConnect(startMs: number, outcome: string): void {
    meter().createHistogram('maint_ssh_connect', 'float', 'seconds', 'Time to open an SSH connection to a host (TCP, key exchange, host key check, authentication)')
      .record(since(startMs), { outcome });
  },
  /** One command run over SSH, by exit: `ok` (any exit code the caller then judges) or the transport's failure. */
  sshCommand(startMs: number, outcome: string): void {
    meter().createHistogram('maint_ssh_command', 'float', 'seconds', 'Time an SSH command took on a host').record(since(startMs), { outcome });
  },
  /** A notice or alert handed to its channel (`sent`), found already sent (`already-sent`), or failing. */
  notice(channelKind: string, outcome: 'sent' | 'already-sent' | 'unconfirmed' | 'failed'): void {
    meter().createCounter('maint_notices', 'notices', 'Notices and alerts by channel kind and outcome').add(1, { channel: channelKind, outcome });
  },
  /** One probe of a service: `up` or `down`. */
  probe(service: string, up: boolean): void {
    meter().createCounter('maint_probes', 'probes', 'Probe results by service (probe failures: outcome="down")').add(1, { service, outcome: up ? 'up' : 'down' });
  },
};
