/**
 * A host's compliance columns on the console's Hosts page, from its latest scan and the counts of
 * its recent scans (store/compliance.ts). Pure.
 *
 * - status: `scan failed` (its latest scan could not read the package manager), `security updates
 *   pending`, `reboot pending`, `updates pending`, or `up to date`; `never scanned` without a scan.
 * - last patched: the newest scan that found fewer pending updates than the scan before it (so
 *   something was installed between the two); absent when the scans kept show no such drop.
 */
import type { HostScan } from '../compliance/types';

export type HostComplianceStatus = 'never scanned' | 'scan failed' | 'security updates pending' | 'reboot pending' | 'updates pending' | 'up to date';

export interface HostComplianceColumns {
  status: HostComplianceStatus;
  scannedAt?: number;
  error?: string;
  pending?: number;
  securityPending?: number;
  rebootRequired?: boolean;
  /** Epoch ms of the scan that first saw fewer pending updates. */
  lastPatchedBy?: number;
}

export interface ScanCounts {
  at: number;
  ok: boolean;
  pending: number;
}

export function hostComplianceColumns(scan: HostScan | undefined, historyNewestFirst: readonly ScanCounts[]): HostComplianceColumns {
  if (!scan) return { status: 'never scanned' };
  const ok = historyNewestFirst.filter((s) => s.ok);
  const patched = ok.find((s, i) => ok[i + 1] !== undefined && s.pending < ok[i + 1]!.pending);
  const lastPatched = patched ? { lastPatchedBy: patched.at } : {};
  if (!scan.ok) return { status: 'scan failed', scannedAt: scan.at, error: scan.error, ...lastPatched };
  const securityPending = scan.updates.filter((u) => u.classification === 'security').length;
  const status: HostComplianceStatus = securityPending > 0 ? 'security updates pending' : scan.rebootRequired ? 'reboot pending' : scan.updates.length > 0 ? 'updates pending' : 'up to date';
  return { status, scannedAt: scan.at, pending: scan.updates.length, securityPending, rebootRequired: scan.rebootRequired, ...lastPatched };
}
