import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { ServedQueue } from '../policies/common/taskQueues';
import { connectClient, type Connected } from '../control/connection';
import { collectHostFacts, hostLeases, releaseHosts } from '../control/hosts';
import type { LeaseOverview } from '../workflows/messages';
import { auditAction } from './db';
import { readHosts } from '../control/targets';
import { queuesWithoutWorker } from '../control/workers';
import { CliError, EXIT } from './errors';
import { formatBytes, formatDuration, renderTable } from './table';

export interface HostsFactsOptions {
  file: string;
  selector?: string;
  json?: boolean;
  parallelism?: number;
}

/** Reads the inventory, keeps the hosts the selector picks (all without one). */
export function loadInventoryHosts(file: string, selector?: string): Promise<ResolvedHost[]> {
  return readHosts({ kind: 'static', file }, selector);
}

/** Warns (stderr) when no worker polls a queue the command needs: without one it would only wait. */
export async function warnWithoutWorker(c: Connected, queues: readonly ServedQueue[] = ['workflows', 'hosts']): Promise<void> {
  for (const name of await queuesWithoutWorker(c, queues)) {
    process.stderr.write(`warning: no worker is polling task queue "${name}"; start \`maint dev\` or \`maint worker\` (MAINT_TASK_QUEUES decides what a worker serves), or this waits\n`);
  }
}

export async function hostsFacts(options: HostsFactsOptions): Promise<number> {
  const hosts = await loadInventoryHosts(options.file, options.selector);
  if (hosts.length === 0) throw new CliError(EXIT.invalidInput, `${options.file}: no hosts${options.selector ? ` match --selector ${options.selector}` : ''}`);
  const c = await connectClient();
  try {
    await warnWithoutWorker(c);
    const results = await collectHostFacts(c, hosts, options.parallelism, (workflowId) => {
      if (!options.json) process.stderr.write(`workflow ${workflowId} started; collecting facts from ${hosts.length} host(s)\n`);
    });
    process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : `${renderFacts(results)}\n`);
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  } finally {
    await c.close();
  }
}

export function renderFacts(results: HostFactsResult[]): string {
  const rows = results.map((r) =>
    r.ok
      ? [r.name, 'ok', r.facts.hostname, `${r.facts.osId} ${r.facts.osVersion}`, r.facts.kernel, formatDuration(r.facts.uptimeSeconds), formatBytes(r.facts.rootFreeBytes), r.facts.bootId.slice(0, 8)]
      : [r.name, 'FAILED', '', '', '', '', '', r.error],
  );
  const failed = results.filter((r) => !r.ok).length;
  const summary = `${results.length - failed} ok, ${failed} failed`;
  return `${renderTable(['HOST', 'STATUS', 'HOSTNAME', 'OS', 'KERNEL', 'UPTIME', 'FREE /', 'BOOT ID / ERROR'], rows)}\n${summary}`;
}

const when = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** `maint hosts leases`: who is changing which host, which hosts are left out of service, who waits, and the budgets. */
export async function hostsLeases(options: { json?: boolean }): Promise<number> {
  const c = await connectClient();
  try {
    const overview = await hostLeases(c);
    process.stdout.write(options.json ? `${JSON.stringify(overview, null, 2)}\n` : `${renderLeases(overview)}\n`);
    return EXIT.ok;
  } finally {
    await c.close();
  }
}

export function renderLeases(o: LeaseOverview): string {
  const parts = [
    o.leases.length === 0 ? 'no host is leased' : renderTable(['HOST', 'LEASED BY', 'SINCE', 'BUDGETS'], o.leases.map((l) => [l.host, `rollout ${l.holder.rolloutId}`, when(l.since), l.budgets.map((b) => b.key).join(' ')])),
    o.down.length === 0 ? 'no host is left out of service' : `left out of service (count against their budgets until \`maint hosts release HOST\`):\n${renderTable(['HOST', 'SINCE', 'ROLLOUT', 'WHY'], o.down.map((d) => [d.host, when(d.since), d.rolloutId, d.reason.split('\n')[0] ?? '']))}`,
  ];
  if (o.waiting.length > 0) parts.push(`waiting:\n${renderTable(['HOST', 'ROLLOUT', 'SINCE', 'FOR'], o.waiting.map((w) => [w.host, w.holder.rolloutId, when(w.at), w.blockedBy]))}`);
  if (o.budgets.length > 0) parts.push(`budgets:\n${renderTable(['GROUP', 'MAX UNAVAILABLE', 'OUT NOW', 'HOSTS'], o.budgets.map((b) => [b.key, String(b.maxUnavailable), String(b.unavailable.length), b.unavailable.map((u) => u.host).join(' ')]))}`);
  return parts.join('\n\n');
}

/** `maint hosts release HOST...`: hosts a person has looked at are back in service; recorded in the audit trail. */
export async function hostsRelease(hosts: string[], options: { reason?: string; by?: string; json?: boolean }): Promise<number> {
  const by = options.by ?? process.env.USER ?? 'cli';
  const c = await connectClient();
  let result;
  try {
    result = await releaseHosts(c, hosts, by, options.reason);
  } finally {
    await c.close();
  }
  if (result.cleared.length > 0) {
    await auditAction({
      actor: by, action: 'release', subject: `hosts ${result.cleared.map((d) => d.host).join(' ')}`,
      ...(options.reason !== undefined ? { reason: options.reason } : {}), detail: { cleared: result.cleared },
    });
  }
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    for (const d of result.cleared) process.stdout.write(`${d.host}: released (out of service since ${when(d.since)}: ${d.reason.split('\n')[0] ?? ''})\n`);
    for (const l of result.leased) process.stderr.write(`${l.host}: not released: rollout ${l.holder.rolloutId} is changing it (since ${when(l.since)}); it gives the host back when done, or abort that rollout\n`);
    for (const h of result.unknown) process.stderr.write(`${h}: not released: no rollout left it out of service (nothing to release)\n`);
  }
  return result.leased.length + result.unknown.length === 0 ? EXIT.ok : EXIT.failed;
}
