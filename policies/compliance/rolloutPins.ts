// A rollout with `packages: {baseline: NAME}`: what the baseline approves on each host (from its
// preflight scan), and the versions the rollout fixes so every host gets the same one. Pure.
import { approvedVersions, judgeUpdates, type FirstSeen, type PatchBaseline } from './baseline';
import type { Classification, HostScan } from './types';

/** One approved update a host will get: `from` installed now, `to` the approved version. */
export interface ApprovedUpdate {
  package: string;
  from: string;
  to: string;
  classification: Classification;
}

/** What the baseline approves on one host, as its preflight scan found it. */
export interface HostApproval {
  host: string;
  ok: boolean;
  /** Why there is nothing to judge the host by (the scan failed). */
  error?: string;
  /** Approved, not held, by package name. */
  approved: ApprovedUpdate[];
  /** Pending updates the baseline does not approve (yet), or that are held. */
  withheld: number;
}

/** Judges a host's scan against the baseline at `now`: its approved, installable updates. */
export function hostApproval(scan: HostScan, baseline: PatchBaseline, firstSeen: FirstSeen, now: number): HostApproval {
  if (!scan.ok) return { host: scan.host, ok: false, error: scan.error, approved: [], withheld: 0 };
  const decisions = judgeUpdates(baseline, scan.updates, firstSeen, now);
  const versions = approvedVersions(decisions);
  const approved = decisions
    .filter((d) => Object.hasOwn(versions, d.update.package))
    .map((d): ApprovedUpdate => ({ package: d.update.package, from: d.update.installed, to: d.update.candidate, classification: d.update.classification }));
  return { host: scan.host, ok: true, approved, withheld: scan.updates.length - approved.length };
}

/** The rollout's fixed versions, per host what to install, and notes where a host was offered another version. */
export interface PinnedWave {
  /** package → version, for the whole rollout: earlier waves' pins, then this wave's additions. */
  pins: Record<string, string>;
  /** host → package → version to install pinned; hosts with nothing approved are absent. */
  targets: Record<string, Record<string, string>>;
  /** Hosts whose own candidate differed from the rollout's version, for operations. */
  notes: string[];
}

/**
 * Fixes the versions of a wave. A package's version is fixed the first time a host of the rollout
 * has it approved (hosts in wave order: the canary's versions, when there is a canary) and then
 * every host of every later wave that has the package approved gets exactly that version, even if
 * its repository offers a newer one by then: a release published during the rollout is not picked
 * up half-way. A host whose own candidate differs is said in `notes`. Hosts that failed their scan
 * get no target (the rollout fails them with the scan's error).
 */
export function pinWave(earlier: Readonly<Record<string, string>>, hosts: readonly HostApproval[]): PinnedWave {
  const pins: Record<string, string> = { ...earlier };
  const firstBy: Record<string, string> = {};
  const targets: Record<string, Record<string, string>> = {};
  const notes: string[] = [];
  for (const h of hosts) {
    if (!h.ok) continue;
    for (const u of h.approved) {
      if (!Object.hasOwn(pins, u.package)) {
        pins[u.package] = u.to;
        firstBy[u.package] = h.host;
      }
    }
  }
  for (const h of hosts) {
    if (!h.ok || h.approved.length === 0) continue;
    const target: Record<string, string> = {};
    for (const u of h.approved) {
      const pinned = pins[u.package]!;
      target[u.package] = pinned;
      if (pinned !== u.to) {
        notes.push(`${h.host}: ${u.package} ${u.to} is offered, ${pinned} installed as fixed for this rollout${firstBy[u.package] !== undefined ? ` by ${firstBy[u.package]}` : ' by an earlier wave'}`);
      }
    }
    targets[h.host] = target;
  }
  return { pins, targets, notes };
}

/** The package names of the approved updates of these hosts, security ones first, each once, sorted. */
export function approvedPackageNames(hosts: readonly HostApproval[]): { security: string[]; other: string[] } {
  const security = new Set<string>();
  const other = new Set<string>();
  for (const h of hosts) for (const u of h.approved) (u.classification === 'security' ? security : other).add(u.package.replace(/:.*$/, ''));
  for (const name of security) other.delete(name);
  return { security: [...security].sort(), other: [...other].sort() };
}

/** "web-default approves nothing to install on any of the 3 hosts (5 pending updates not approved)". */
export function nothingApprovedMessage(baseline: string, hosts: readonly HostApproval[]): string | undefined {
  if (hosts.some((h) => !h.ok || h.approved.length > 0)) return undefined;
  const withheld = hosts.reduce((n, h) => n + h.withheld, 0);
  return `baseline ${baseline} approves nothing to install on ${hosts.length === 1 ? 'the host' : `any of the ${hosts.length} hosts`}${withheld > 0 ? ` (${withheld} pending update${withheld === 1 ? '' : 's'} not approved yet)` : ''}`;
}

/** "web-1: openssl 3.0.14 → 3.0.15 (security)", or "web-1: nothing approved (2 pending not approved yet or held)". */
export function approvalLine(h: HostApproval): string {
  if (!h.ok) return `${h.host}: not scanned (${h.error ?? 'unknown error'})`;
  const later = h.withheld > 0 ? ` (${h.withheld} pending not approved yet or held)` : '';
  if (h.approved.length === 0) return `${h.host}: nothing approved${later}`;
  return `${h.host}: ${h.approved.map((u) => `${u.package} ${u.from} → ${u.to} (${u.classification})`).join(', ')}${later}`;
}
