import { publishedRolloutStatus, type BatchResult, type HostReport, type RolloutProgress } from './types';

/**
 * The rollout keeps only each host's outcome; versions are in its batch workflows' results. This
 * puts them back: the first record (the true "before") and the last versions seen (after any
 * rollback of everything patched).
 */
export function mergeVersions<P extends RolloutProgress>(p: P, batchResults: Array<BatchResult | HostReport[] | undefined>): P {
  const record = new Map<string, HostReport['record']>();
  const after = new Map<string, HostReport['after']>();
  for (const result of batchResults) {
    for (const h of Array.isArray(result) ? result : result?.hosts ?? []) {
      if (h.record && !record.has(h.name)) record.set(h.name, h.record);
      if (h.after) after.set(h.name, h.after);
    }
  }
  // A finished rollout's view, as users see it: in the published spelling of its status.
  return { ...p, status: publishedRolloutStatus(p.status), hosts: p.hosts.map((h) => ({ ...h, ...(record.get(h.name) ? { record: record.get(h.name) } : {}), ...(after.get(h.name) ? { after: after.get(h.name) } : {}) })) };
}

/** Overlays live host states of the running batches on the rollout's own view. */
export function mergeLive(p: RolloutProgress, live: HostReport[]): RolloutProgress {
  const byName = new Map(live.map((h) => [h.name, h]));
  return { ...p, hosts: p.hosts.map((h) => byName.get(h.name) ?? h) };
}
