import type { HostScan } from '../../../policies/compliance/types';
import { aptScanner } from './apt';
import { dnfScanner } from './dnf';
import type { ComplianceScanner } from './scanner';

export type ScanManager = Extract<HostScan, { ok: true }>['manager'];

/** One scanner per package manager: a manager left out does not compile. */
const SCANNERS: { [M in ScanManager]: ComplianceScanner } = {
  apt: aptScanner,
  dnf: dnfScanner,
};

export function scannerFor(manager: ScanManager): ComplianceScanner {
  return SCANNERS[manager];
}

/** Prints `apt`, `dnf` or `none`: which package manager the host has (apt first: Debian hosts may carry dnf as a tool). */
export const DETECT_MANAGER_COMMAND = 'if command -v apt-get >/dev/null 2>&1; then echo apt; elif command -v dnf >/dev/null 2>&1; then echo dnf; else echo none; fi';
