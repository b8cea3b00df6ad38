import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { hostFactsWorkflow } from '../workflows/hostFacts';
import { connectClient, type Connected } from '../control/connection';
import { readHosts } from '../control/targets';
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

export async function warnWithoutWorker(c: Connected): Promise<void> {
  const taskQueue = c.env.MAINT_TASK_QUEUE;
  try {
    const res = await c.client.workflowService.describeTaskQueue({ namespace: c.target.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
    if ((res.pollers ?? []).length === 0) {
      process.stderr.write(`warning: no worker is polling task queue "${taskQueue}"; start \`maint dev\` or \`maint worker\`, or this waits\n`);
    }
  } catch {
    // Best effort: describing a task queue needs permissions some deployments do not grant.
  }
}

export async function hostsFacts(options: HostsFactsOptions): Promise<number> {
  const hosts = await loadInventoryHosts(options.file, options.selector);
  if (hosts.length === 0) throw new CliError(EXIT.invalidInput, `${options.file}: no hosts${options.selector ? ` match --selector ${options.selector}` : ''}`);
  const c = await connectClient();
  try {
    await warnWithoutWorker(c);
    const handle = await c.client.workflow.start(hostFactsWorkflow, {
      taskQueue: c.env.MAINT_TASK_QUEUE,
      workflowId: `host-facts-${new Date().toISOString().replace(/[:.]/g, '')}-${Math.random().toString(36).slice(2, 8)}`,
      args: [{ hosts, ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}) }],
    });
    if (!options.json) process.stderr.write(`workflow ${handle.workflowId} started; collecting facts from ${hosts.length} host(s)\n`);
    const results = await handle.result();
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
