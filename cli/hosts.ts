import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { ServedQueue } from '../policies/common/taskQueues';
import { connectClient, type Connected } from '../control/connection';
import { collectHostFacts } from '../control/hosts';
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
