import { connectClient } from '../control/connection';
import { complianceReport, loadBaseline, runComplianceScan, scanTargets, type ComplianceReport } from '../control/compliance';
import type { ComplianceSummary, HostCompliance } from '../policies/compliance/status';
import type { ScanSummary } from '../policies/compliance/types';
import { withWorkersStore } from './db';
import { CliError, EXIT } from './errors';
import { loadInventoryHosts, warnWithoutWorker } from './hosts';
import { renderTable } from './table';

const days = (n: number | undefined) => (n === undefined ? '-' : `${n}d`);

/** One line per host, worst first: state, pending updates (approved missing), security, oldest security, reboot, held, why. */
export function renderHostCompliance(hosts: readonly HostCompliance[]): string {
  const rows = hosts.map((h) => [
    h.host, h.service ?? '', h.state,
    h.state === 'unknown' ? '' : `${h.pending.length} (${h.missingApproved.length} approved)`,
    h.state === 'unknown' ? '' : String(h.securityPending),
    days(h.oldestSecurityDays),
    h.state === 'unknown' ? '' : h.rebootRequired ? 'yes' : 'no',
    h.held.join(' '),
    h.reasons.join('; '),
  ]);
  return renderTable(['HOST', 'SERVICE', 'STATE', 'MISSING', 'SECURITY', 'OLDEST SECURITY', 'REBOOT', 'HELD', 'WHY'], rows);
}

export function renderSummaries(summaries: readonly ComplianceSummary[]): string {
  const rows = summaries.map((s) => [
    s.scope, String(s.hosts), String(s.compliant), String(s.nonCompliant), String(s.unknown),
    s.oldestSecurity ? `${s.oldestSecurity.package} on ${s.oldestSecurity.host}, ${s.oldestSecurity.ageDays}d` : '-',
  ]);
  return renderTable(['SCOPE', 'HOSTS', 'COMPLIANT', 'NON-COMPLIANT', 'UNKNOWN', 'OLDEST MISSING SECURITY UPDATE'], rows);
}

export function renderReport(report: ComplianceReport): string {
  return `${renderHostCompliance(report.hosts)}\n\n${renderSummaries(report.summaries)}\n(judged against baseline ${report.baseline})`;
}

/** Without the store (none made by a worker yet), the scan's own counts: no ages, no baseline judgement. */
function renderScanCounts(results: readonly ScanSummary[]): string {
  return renderTable(['HOST', 'STATUS', 'MISSING', 'SECURITY', 'REBOOT', 'HELD', 'ERROR'], results.map((r) =>
    r.ok ? [r.host, 'scanned', String(r.pending), String(r.securityPending), r.rebootRequired ? 'yes' : 'no', String(r.held), ''] : [r.host, 'unknown', '', '', '', '', r.error ?? '']));
}

export interface HostsScanOptions {
  file: string;
  selector?: string;
  baseline?: string;
  parallelism?: number;
  refresh?: boolean;
  json?: boolean;
}

/** `maint hosts scan -f inventory.yaml`: the compliance scan workflow now, through the worker; then each host as judged from what it recorded. */
export async function hostsScan(options: HostsScanOptions): Promise<number> {
  const baseline = loadBaseline(options.baseline);
  const hosts = await loadInventoryHosts(options.file, options.selector);
  if (hosts.length === 0) throw new CliError(EXIT.invalidInput, `${options.file}: no hosts${options.selector ? ` match --selector ${options.selector}` : ''}`);
  const c = await connectClient();
  let results: ScanSummary[];
  try {
    await warnWithoutWorker(c);
    results = await runComplianceScan(c, scanTargets(hosts, options.file, options.selector), {
      ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}),
      ...(options.refresh ? { refresh: true } : {}),
      started: (id) => {
        if (!options.json) process.stderr.write(`workflow ${id} started; scanning ${hosts.length} host(s)\n`);
      },
    });
  } finally {
    await c.close();
  }
  const report = await withWorkersStore((store) => complianceReport(store, hosts, baseline), (why) => {
    process.stderr.write(`warning: cannot judge the scan (${why}); showing its counts only\n`);
    return undefined;
  });
  if (options.json) process.stdout.write(`${JSON.stringify(report ? { scan: results, ...report } : { scan: results }, null, 2)}\n`);
  else process.stdout.write(`${report ? renderReport(report) : renderScanCounts(results)}\n`);
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}

export interface HostsComplianceOptions {
  file?: string;
  selector?: string;
  service?: string;
  baseline?: string;
  json?: boolean;
}

/**
 * `maint hosts compliance`: from the store's latest scans, each host compliant / non-compliant /
 * unknown, worst first, and the counts per service and inventory. Exit 0 when every host shown is
 * compliant, 1 otherwise.
 */
export async function hostsCompliance(options: HostsComplianceOptions): Promise<number> {
  const baseline = loadBaseline(options.baseline);
  if (options.file === undefined && (options.service !== undefined || options.selector !== undefined)) {
    throw new CliError(EXIT.invalidInput, `${options.service !== undefined ? '--service' : '--selector'} needs -f inventory.yaml (services and tags come from the inventory)`);
  }
  let hosts = options.file !== undefined ? await loadInventoryHosts(options.file, options.selector) : undefined;
  if (hosts && options.service !== undefined) {
    const service = options.service;
    const known = [...new Set(hosts.map((h) => h.tags.service).filter((s): s is string => s !== undefined))].sort();
    hosts = hosts.filter((h) => h.tags.service === service);
    if (hosts.length === 0) throw new CliError(EXIT.invalidInput, `--service ${service}: no host of ${options.file} has tag service=${service} (services there: ${known.join(', ') || 'none'})`);
  }
  const report = await withWorkersStore((store) => complianceReport(store, hosts, baseline), (why) => {
    throw new CliError(EXIT.failed, `no scans to judge: ${why}`);
  });
  if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${report.hosts.length === 0 ? 'no host has been scanned yet: run `maint hosts scan -f inventory.yaml`' : renderReport(report)}\n`);
  return report.hosts.length > 0 && report.hosts.every((h) => h.state === 'compliant') ? EXIT.ok : EXIT.failed;
}
