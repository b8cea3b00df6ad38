/**
 * Patch compliance as a client sees it: a scan run now through the worker (the compliance scan
 * workflow), and the compliance of hosts judged from the store's latest scans against a baseline.
 * The CLI (and later the console) call this; it parses and renders nothing.
 */
import { isAbsolute, resolve } from 'node:path';
import { SECURITY_NOW, patchBaselineSchema, type PatchBaseline } from '../policies/compliance/baseline';
import { hostCompliance, sortWorstFirst, summariesByService, type ComplianceSummary, type HostCompliance } from '../policies/compliance/status';
import type { ScanSummary } from '../policies/compliance/types';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { MAX_INLINE_TARGETS, type TargetSet } from '../policies/rollout/types';
import type { Store } from '../store';
import { firstSeenTimes, latestHostScans, scannedHosts } from '../store/compliance';
import { complianceScanWorkflow } from '../workflows/complianceScan';
import type { Connected } from './connection';
import { readPolicyFile } from './files';

/** What the hosts are judged by: a `kind: PatchBaseline` file, or without one, every security update at once. */
export function loadBaseline(file: string | undefined): PatchBaseline {
  return file === undefined ? SECURITY_NOW : readPolicyFile(file, patchBaselineSchema);
}

/** A scan run's workflow id: meaningful and unique (`compliance-scan-<time>-<random>`). */
export function complianceScanId(now = new Date()): string {
  return `compliance-scan-${now.toISOString().replace(/[:.]/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The scan's targets: up to MAX_INLINE_TARGETS hosts travel with it, beyond the inventory by reference (read by the worker). */
export function scanTargets(hosts: ResolvedHost[], inventoryFile: string, selector?: string): TargetSet {
  if (hosts.length <= MAX_INLINE_TARGETS) return { kind: 'inline', hosts };
  const file = isAbsolute(inventoryFile) ? inventoryFile : resolve(inventoryFile);
  return { kind: 'source', source: { kind: 'static', file }, ...(selector !== undefined ? { selector } : {}) };
}

/** Runs the compliance scan workflow on these targets now and waits for it; `started` gets its workflow id first. */
export async function runComplianceScan(
  c: Connected,
  targets: TargetSet,
  options: { parallelism?: number; refresh?: boolean; started?: (workflowId: string) => void } = {},
): Promise<ScanSummary[]> {
  const handle = await c.client.workflow.start(complianceScanWorkflow, {
    taskQueue: c.env.MAINT_TASK_QUEUE,
    workflowId: complianceScanId(),
    args: [{ targets, ...(options.parallelism !== undefined ? { parallelism: options.parallelism } : {}), ...(options.refresh ? { refresh: true } : {}) }],
  });
  options.started?.(handle.workflowId);
  return handle.result();
}

export interface ComplianceReport {
  /** The baseline the hosts were judged by (`security-now` without a file). */
  baseline: string;
  at: number;
  /** Worst first (policies/compliance/status.ts sortWorstFirst). */
  hosts: HostCompliance[];
  /** The whole set first (`inventory`), then one per service. */
  summaries: ComplianceSummary[];
}

/**
 * Each host's compliance from its latest scan in the store. `hosts`: the inventory's (service from
 * the `service` tag; never scanned = unknown), or without one every host the store has scans of.
 */
export async function complianceReport(store: Store, hosts: ReadonlyArray<{ name: string; tags?: Record<string, string> }> | undefined, baseline: PatchBaseline, now = Date.now()): Promise<ComplianceReport> {
  const list = hosts ?? (await scannedHosts(store)).map((name) => ({ name }));
  const names = list.map((h) => h.name);
  const [scans, firstSeen] = await Promise.all([latestHostScans(store, names), firstSeenTimes(store, names)]);
  const judged = sortWorstFirst(list.map((h) => hostCompliance(h, scans.get(h.name), baseline, firstSeen.get(h.name) ?? new Map(), now)));
  return { baseline: baseline.name, at: now, hosts: judged, summaries: summariesByService(judged) };
}
