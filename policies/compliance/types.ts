/** What an update is for. apt knows only `security` (origin/suite `*-security`) and `other`; dnf's advisories say the rest. */
export const CLASSIFICATIONS = ['security', 'bugfix', 'enhancement', 'other'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** An advisory's severity; `unspecified` when the metadata carries none (every apt update, dnf advisories of severity None). */
export const SEVERITIES = ['critical', 'important', 'moderate', 'low', 'unspecified'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Worst first: how missing updates are ranked. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 0, important: 1, moderate: 2, low: 3, unspecified: 4 };

/** One installed package a newer version is offered for, as a scan read it. */
export interface PendingUpdate {
  /** As the package manager names it: `openssl`, `libc6:i386` (apt), `openssl.x86_64` (dnf). */
  package: string;
  installed: string;
  candidate: string;
  /** Where the candidate comes from: apt's suites (`bookworm-security`), dnf's advisory id or repository. */
  source: string;
  classification: Classification;
  severity: Severity;
  /** CVE ids the metadata names (dnf updateinfo); empty when it names none. */
  cves: string[];
  /**
   * Epoch ms: when the repository says the candidate was published (dnf: the advisory's issued
   * date; apt: the Date of its suite's Release file, which is the latest publication of the suite,
   * so an upper bound). Absent when the repository says nothing.
   */
  publishedAt?: number;
  /** Held (`apt-mark hold`, dnf versionlock): it will not be upgraded until the hold is removed. */
  held: boolean;
}

/** What one scan of one host found; `ok: false` says why there is nothing to judge the host by. */
export type HostScan =
  | { host: string; at: number; ok: true; manager: 'apt' | 'dnf'; updates: PendingUpdate[]; rebootRequired: boolean }
  | { host: string; at: number; ok: false; error: string };

/** The package name part of a key: `libc6:i386` → `libc6`; `openssl.x86_64` → `openssl`. */
export function packageName(key: string): string {
  const colon = key.indexOf(':');
  if (colon > 0) return key.slice(0, colon);
  const dnf = /^(.+)\.(noarch|x86_64|i[3-6]86|aarch64|armv7hl|armhfp|ppc64le|ppc64|s390x|riscv64)$/.exec(key);
  return dnf ? dnf[1]! : key;
}

/**
 * When an update became available, as best we know: the earlier of what the repository says and
 * when our scans first saw it (both are upper bounds of the real publication; the smaller is nearer).
 */
export function availableSince(update: Pick<PendingUpdate, 'publishedAt'>, firstSeenAt: number | undefined, now: number): number {
  const known = [update.publishedAt, firstSeenAt].filter((t): t is number => t !== undefined);
  return known.length === 0 ? now : Math.min(...known);
}

/** What the workflow keeps per host: counts, not package lists (those are in the store). */
export interface ScanSummary {
  host: string;
  ok: boolean;
  pending: number;
  securityPending: number;
  rebootRequired: boolean;
  held: number;
  error?: string;
}

export function summarizeScan(scan: HostScan): ScanSummary {
  if (!scan.ok) return { host: scan.host, ok: false, pending: 0, securityPending: 0, rebootRequired: false, held: 0, error: scan.error };
  return {
    host: scan.host, ok: true, pending: scan.updates.length, securityPending: scan.updates.filter((u) => u.classification === 'security').length,
    rebootRequired: scan.rebootRequired, held: scan.updates.filter((u) => u.held).length,
  };
}
