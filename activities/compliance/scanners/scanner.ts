import type { PendingUpdate } from '../../../policies/compliance/types';
import type { HostShell } from '../../hosts/ssh';

/** What a scanner found on one host. */
export interface ScanFindings {
  updates: PendingUpdate[];
  rebootRequired: boolean;
}

/**
 * One package manager's compliance scan: read-only on the host. `refresh`: re-read the
 * repositories' metadata first (apt-get update writes apt's lists, so it runs through `become`).
 * One file per manager in this folder, registered in index.ts.
 */
export interface ComplianceScanner {
  scan(shell: HostShell, host: string, options: { refresh: boolean; timeoutSeconds: number }): Promise<ScanFindings>;
}
