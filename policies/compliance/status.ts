import { judgeUpdates, type FirstSeen, type PatchBaseline, type UpdateDecision } from './baseline';
import type { Classification, HostScan, Severity } from './types';

export type ComplianceState = 'compliant' | 'non-compliant' | 'unknown';

/** One missing update as the compliance view shows it. */
export interface MissingUpdate {
  package: string;
  installed: string;
  candidate: string;
  classification: Classification;
  severity: Severity;
  cves: string[];
  ageDays: number;
  /** Epoch ms: when it became available as far as we know. */
  availableSince: number;
  approved: boolean;
  held: boolean;
  reason: string;
}

/** Where one host stands against a baseline, from its latest scan. */
export interface HostCompliance {
  host: string;
  service?: string;
  state: ComplianceState;
  /** Why it is not compliant, or why it is unknown; empty when compliant. */
  reasons: string[];
  scannedAt?: number;
  /** Approved updates not installed (the baseline says they should be). */
  missingApproved: MissingUpdate[];
  /** Every pending update, approved or not, worst first (security, then age). */
  pending: MissingUpdate[];
  /** Pending security updates, approved or not. */
  securityPending: number;
  /** Age in days of the oldest pending security update. */
  oldestSecurityDays?: number;
  rebootRequired: boolean;
  held: string[];
}

function toMissing(d: UpdateDecision): MissingUpdate {
  const u = d.update;
  return { package: u.package, installed: u.installed, candidate: u.candidate, classification: u.classification, severity: u.severity, cves: u.cves, ageDays: d.ageDays, availableSince: d.availableSince, approved: d.approved, held: u.held, reason: d.reason };
}

const worstFirst = (a: MissingUpdate, b: MissingUpdate) =>
  Number(b.classification === 'security') - Number(a.classification === 'security') || a.availableSince - b.availableSince || (a.package < b.package ? -1 : 1);

function names(list: readonly { package: string }[]): string {
  const shown = list.slice(0, 5).map((m) => m.package).join(', ');
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

/**
 * A host's compliance from its latest scan: compliant when no approved update is missing and no
 * reboot is pending; non-compliant otherwise (each reason said); unknown without a successful scan.
 */
export function hostCompliance(host: { name: string; tags?: Record<string, string> }, scan: HostScan | undefined, baseline: PatchBaseline, firstSeen: FirstSeen, now: number): HostCompliance {
  const service = host.tags?.service;
  const base = { host: host.name, ...(service !== undefined ? { service } : {}) };
  if (scan === undefined) return { ...base, state: 'unknown', reasons: ['never scanned: run `maint hosts scan`'], missingApproved: [], pending: [], securityPending: 0, rebootRequired: false, held: [] };
  if (!scan.ok) return { ...base, state: 'unknown', reasons: [`scan failed: ${scan.error}`], scannedAt: scan.at, missingApproved: [], pending: [], securityPending: 0, rebootRequired: false, held: [] };
  const pending = judgeUpdates(baseline, scan.updates, firstSeen, now).map(toMissing).sort(worstFirst);
  const missingApproved = pending.filter((m) => m.approved);
  const security = pending.filter((m) => m.classification === 'security');
  const held = pending.filter((m) => m.held).map((m) => m.package);
  const reasons: string[] = [];
  if (missingApproved.length > 0) reasons.push(`${missingApproved.length} approved update${missingApproved.length === 1 ? '' : 's'} missing (${names(missingApproved)})`);
  const heldApproved = missingApproved.filter((m) => m.held);
  if (heldApproved.length > 0) reasons.push(`held, so never upgraded until the hold is removed: ${names(heldApproved)}`);
  if (scan.rebootRequired) reasons.push('reboot pending');
  return {
    ...base, state: reasons.length > 0 ? 'non-compliant' : 'compliant', reasons, scannedAt: scan.at,
    missingApproved, pending, securityPending: security.length,
    ...(security.length > 0 ? { oldestSecurityDays: Math.max(...security.map((m) => m.ageDays)) } : {}),
    rebootRequired: scan.rebootRequired, held,
  };
}

const STATE_RANK: Record<ComplianceState, number> = { 'non-compliant': 0, unknown: 1, compliant: 2 };

/** Worst first: non-compliant (oldest missing security update first, then most approved updates missing), unknown, compliant; then by name. */
export function sortWorstFirst(hosts: readonly HostCompliance[]): HostCompliance[] {
  return [...hosts].sort((a, b) =>
    STATE_RANK[a.state] - STATE_RANK[b.state]
    || (b.oldestSecurityDays ?? -1) - (a.oldestSecurityDays ?? -1)
    || b.missingApproved.length - a.missingApproved.length
    || Number(b.rebootRequired) - Number(a.rebootRequired)
    || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** Counts of a group of hosts (a service, the inventory) and its oldest missing security update. */
export interface ComplianceSummary {
  scope: string;
  hosts: number;
  compliant: number;
  nonCompliant: number;
  unknown: number;
  oldestSecurity?: { host: string; package: string; ageDays: number };
}

export function summarize(scope: string, hosts: readonly HostCompliance[]): ComplianceSummary {
  let oldest: ComplianceSummary['oldestSecurity'];
  for (const h of hosts) {
    for (const m of h.pending) {
      if (m.classification === 'security' && (oldest === undefined || m.ageDays > oldest.ageDays)) oldest = { host: h.host, package: m.package, ageDays: m.ageDays };
    }
  }
  return {
    scope, hosts: hosts.length,
    compliant: hosts.filter((h) => h.state === 'compliant').length,
    nonCompliant: hosts.filter((h) => h.state === 'non-compliant').length,
    unknown: hosts.filter((h) => h.state === 'unknown').length,
    ...(oldest ? { oldestSecurity: oldest } : {}),
  };
}

/** The inventory's summary first, then one per service (hosts' `service` tag), by name; hosts without one are under "(no service)". */
export function summariesByService(hosts: readonly HostCompliance[]): ComplianceSummary[] {
  const services = new Map<string, HostCompliance[]>();
  for (const h of hosts) services.set(h.service ?? '(no service)', [...(services.get(h.service ?? '(no service)') ?? []), h]);
  return [summarize('inventory', hosts), ...[...services.keys()].sort().map((s) => summarize(s, services.get(s)!))];
}
