import { workflowInfo } from '@temporalio/workflow';
import type { ScanSummary } from '../policies/compliance/types';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { TargetSet } from '../policies/rollout/types';
import { hostScans, inventoryReads } from './activityProfiles';
import { chunk, mapWithConcurrency } from './concurrency';

export interface ComplianceScanInput {
  targets: TargetSet;
  /** Hosts scanned at once (default 20, at most 200). */
  parallelism?: number;
  /** Re-read the repositories first (writes apt's lists through `become`); default: read-only. */
  refresh?: boolean;
}

/** Hosts resolved per inventory read when the targets come by reference. */
const RESOLVE_CHUNK = 200;

function sshTarget(host: ResolvedHost) {
  const { tags: _tags, ...target } = host;
  return target;
}

/**
 * Scans the pending updates and pending reboot of every targeted host and records each result in
 * the store under this workflow's id. Returns counts per host (the package lists are in the store);
 * an unreachable host is reported, never hides the others.
 */
export async function complianceScanWorkflow(input: ComplianceScanInput): Promise<ScanSummary[]> {
  const scanId = workflowInfo().workflowId;
  const parallelism = Math.max(1, Math.min(input.parallelism ?? 20, 200));
  const scanAll = (hosts: readonly ResolvedHost[]) =>
    mapWithConcurrency(hosts, parallelism, (host) => hostScans.scanHostCompliance({ scanId, target: sshTarget(host), ...(input.refresh ? { refresh: true } : {}) }));
  if (input.targets.kind === 'inline') return scanAll(input.targets.hosts);
  const names = await inventoryReads.listTargetNames(input.targets);
  const out: ScanSummary[] = [];
  for (const part of chunk(names, RESOLVE_CHUNK)) {
    const { hosts } = await inventoryReads.resolveTargets({ targets: input.targets, names: part });
    out.push(...(await scanAll(hosts)));
  }
  return out;
}
