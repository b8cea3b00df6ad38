import type { FirstSeen } from '../policies/compliance/baseline';
import { firstSeenKey } from '../policies/compliance/baseline';
import type { HostScan, PendingUpdate } from '../policies/compliance/types';
import type { Store } from './index';
import type { ComplianceScansTable } from './schema';

/** Scans kept per host (the oldest go first): a daily scan keeps more than a year of history. */
export const SCANS_KEPT_PER_HOST = 400;

/** Hosts per `IN (…)` list: far below both engines' bound-parameter limits. */
const HOSTS_PER_QUERY = 500;

/**
 * Records one host's scan under `<scanId>/<host>` (a retried activity writes nothing twice), the
 * first time each pending version was seen on the host, and drops the host's scans beyond
 * `keep` (oldest first), so history stays bounded.
 */
export async function recordHostScan(store: Store, scanId: string, scan: HostScan, keep = SCANS_KEPT_PER_HOST): Promise<void> {
  const updates = scan.ok ? scan.updates : [];
  const row: ComplianceScansTable = {
    id: `${scanId}/${scan.host}`, scan_id: scanId, host: scan.host, at: scan.at, ok: scan.ok ? 1 : 0,
    manager: scan.ok ? scan.manager : null, error: scan.ok ? null : scan.error,
    reboot_required: scan.ok && scan.rebootRequired ? 1 : 0,
    pending: updates.length, security_pending: updates.filter((u) => u.classification === 'security').length,
    updates: JSON.stringify(updates),
  };
  await store.db.transaction().execute(async (tx) => {
    await tx.insertInto('compliance_scans').values(row).onConflict((oc) => oc.column('id').doNothing()).execute();
    if (updates.length > 0) {
      await tx.insertInto('compliance_first_seen')
        .values(updates.map((u) => ({ host: scan.host, package: u.package, version: u.candidate, first_seen_at: scan.at })))
        .onConflict((oc) => oc.columns(['host', 'package', 'version']).doNothing())
        .execute();
    }
    const cut = await tx.selectFrom('compliance_scans').select('at').where('host', '=', scan.host).orderBy('at', 'desc').offset(keep - 1).limit(1).executeTakeFirst();
    if (cut) await tx.deleteFrom('compliance_scans').where('host', '=', scan.host).where('at', '<', cut.at).execute();
  });
}

function fromRow(row: ComplianceScansTable): HostScan {
  const at = Number(row.at);
  if (Number(row.ok) !== 1) return { host: row.host, at, ok: false, error: row.error ?? 'unknown error' };
  return { host: row.host, at, ok: true, manager: row.manager ?? 'apt', updates: JSON.parse(row.updates) as PendingUpdate[], rebootRequired: Number(row.reboot_required) === 1 };
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += HOSTS_PER_QUERY) out.push(list.slice(i, i + HOSTS_PER_QUERY));
  return out;
}

/** Each host's latest scan (hosts never scanned are absent). */
export async function latestHostScans(store: Store, hosts: readonly string[]): Promise<Map<string, HostScan>> {
  const out = new Map<string, HostScan>();
  for (const part of chunks(hosts)) {
    const latest = store.db.selectFrom('compliance_scans').select(['host', (eb) => eb.fn.max('at').as('last')]).where('host', 'in', part).groupBy('host').as('latest');
    const rows = await store.db.selectFrom('compliance_scans').innerJoin(latest, (j) => j.onRef('latest.host', '=', 'compliance_scans.host').onRef('latest.last', '=', 'compliance_scans.at'))
      .selectAll('compliance_scans').execute();
    for (const row of rows) out.set(row.host, fromRow(row));
  }
  return out;
}

/** Per host: when each `package=version` was first seen by a scan. */
export async function firstSeenTimes(store: Store, hosts: readonly string[]): Promise<Map<string, FirstSeen>> {
  const out = new Map<string, Map<string, number>>();
  for (const part of chunks(hosts)) {
    const rows = await store.db.selectFrom('compliance_first_seen').selectAll().where('host', 'in', part).execute();
    for (const r of rows) {
      const map = out.get(r.host) ?? new Map<string, number>();
      map.set(firstSeenKey(r.package, r.version), Number(r.first_seen_at));
      out.set(r.host, map);
    }
  }
  return out;
}

/** A host's scans, newest first: what trends are drawn from (counts only, no package lists). */
export async function hostScanHistory(store: Store, host: string, limit = 100): Promise<Array<{ at: number; ok: boolean; pending: number; securityPending: number; rebootRequired: boolean }>> {
  const rows = await store.db.selectFrom('compliance_scans').select(['at', 'ok', 'pending', 'security_pending', 'reboot_required'])
    .where('host', '=', host).orderBy('at', 'desc').limit(limit).execute();
  return rows.map((r) => ({ at: Number(r.at), ok: Number(r.ok) === 1, pending: Number(r.pending), securityPending: Number(r.security_pending), rebootRequired: Number(r.reboot_required) === 1 }));
}

/** The hosts' scans with `from <= at < to`, oldest first, with their package lists (what the monthly report judges). */
export async function hostScansBetween(store: Store, hosts: readonly string[], range: { from: number; to: number }): Promise<HostScan[]> {
  const out: HostScan[] = [];
  for (const part of chunks(hosts)) {
    const rows = await store.db.selectFrom('compliance_scans').selectAll().where('host', 'in', part).where('at', '>=', range.from).where('at', '<', range.to).orderBy('at').execute();
    out.push(...rows.map(fromRow));
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Every host with a scan in the store, by name. */
export async function scannedHosts(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('compliance_scans').select('host').distinct().orderBy('host').execute();
  return rows.map((r) => r.host);
}
