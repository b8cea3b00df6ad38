import type { PatchBaseline } from '../../policies/compliance/baseline';
import { hostApproval, type HostApproval } from '../../policies/compliance/rolloutPins';
import { summarizeScan, type HostScan, type ScanSummary } from '../../policies/compliance/types';
import type { Store } from '../../store';
import { firstSeenTimes, recordHostScan } from '../../store/compliance';
import { heartbeat } from '../context';
import { HostCommandError, type HostShell, type SshConnector, type SshTarget } from '../hosts/ssh';
import { withHost } from '../hosts/withHost';
import { DETECT_MANAGER_COMMAND, scannerFor, type ScanManager } from './scanners';

export interface ScanHostInput {
  /** The scan run: with the host name, the key its result is stored under (a retry writes it once). */
  scanId: string;
  target: SshTarget;
  /** Re-read the repositories first (apt-get update / dnf --refresh, through `become`). Default false: read-only. */
  refresh?: boolean;
}

/** Scans one host over an open connection; read-only unless `refresh`. */
export async function scanHost(shell: HostShell, host: string, options: { refresh: boolean; timeoutSeconds: number; now: () => number }): Promise<HostScan> {
  const detect = await shell.run(DETECT_MANAGER_COMMAND, { timeoutSeconds: 30 });
  const manager = detect.stdout.trim();
  if (detect.exitCode !== 0 || (manager !== 'apt' && manager !== 'dnf')) {
    throw new HostCommandError(host, 'the package manager check', detect.exitCode, detect.exitCode === 0 ? 'neither apt-get nor dnf is installed' : detect.stderr);
  }
  heartbeat({ step: `scanning (${manager})`, host });
  const findings = await scannerFor(manager as ScanManager).scan(shell, host, options);
  return { host, at: options.now(), ok: true, manager: manager as ScanManager, ...findings };
}

export function createComplianceActivities(deps: { ssh: SshConnector; store: Store; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const scanRecorded = async (input: ScanHostInput): Promise<HostScan> => {
    let scan: HostScan;
    try {
      scan = await withHost(deps.ssh, input.target, (shell) => scanHost(shell, input.target.name, { refresh: input.refresh ?? false, timeoutSeconds: 300, now }));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      scan = { host: input.target.name, at: now(), ok: false, error: message.length > 500 ? `${message.slice(0, 499)}…` : message };
    }
    await recordHostScan(deps.store, input.scanId, scan);
    return scan;
  };
  return {
    /**
     * Scans one host's pending updates and pending reboot, and records the result in the store
     * (a failure too, with why: the host is then "unknown"). Read-only on the host unless `refresh`.
     * Never throws for the host's sake: an unreachable host is a result, so one does not stop a scan run.
     */
    async scanHostCompliance(input: ScanHostInput): Promise<ScanSummary> {
      return summarizeScan(await scanRecorded(input));
    },

    /**
     * A rollout's preflight with `packages: {baseline}`: scans the host read-only (recorded in the
     * store like any scan, under the rollout's scan id) and judges its pending updates against the
     * baseline, first-seen times included. A failed scan is a result (`ok: false`, with why).
     */
    async approveBaselineUpdates(input: Omit<ScanHostInput, 'refresh'> & { baseline: PatchBaseline }): Promise<HostApproval> {
      const scan = await scanRecorded(input);
      const firstSeen = (await firstSeenTimes(deps.store, [scan.host])).get(scan.host) ?? new Map<string, number>();
      return hostApproval(scan, input.baseline, firstSeen, now());
    },
  };
}
