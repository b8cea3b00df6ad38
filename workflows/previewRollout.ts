import type { ApprovedUpdate } from '../policies/compliance/rolloutPins';
import { pinWave, type HostApproval } from '../policies/compliance/rolloutPins';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { Strategy } from '../policies/rollout/policy';
import { strategyBaseline } from '../policies/rollout/strategies';
import { hostPreviews, hostScans } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';

export interface HostPreview {
  name: string;
  changes?: Array<{ package: string; from: string; to: string }>;
  error?: string;
  /** `packages: {baseline}`: the approved updates (versions as the rollout would fix them) and how many pending ones are not approved. */
  baseline?: { approved: ApprovedUpdate[]; withheld: number };
}

const PARALLEL_HOSTS = 20;

/**
 * Dry run: what each host would install (apt-get -s, dnf check-update, `check`), changing nothing.
 * With `packages: {baseline}`, each host is scanned and judged first, versions are fixed as the
 * rollout fixes them (the first host, in the order given, to have a package approved sets its
 * version), and the pinned set is simulated (with what it pulls in).
 */
export async function previewRolloutWorkflow(input: { rolloutId: string; strategy: Strategy; hosts: ResolvedHost[] }): Promise<HostPreview[]> {
  const baseline = strategyBaseline(input.strategy)?.definition;
  if (baseline === undefined) {
    return mapWithConcurrency(input.hosts, PARALLEL_HOSTS, async (host): Promise<HostPreview> => {
      try {
        return { name: host.name, changes: await hostPreviews.previewPatch({ rolloutId: input.rolloutId, host, strategy: input.strategy }) };
      } catch (err) {
        return { name: host.name, error: causeMessage(err) };
      }
    });
  }
  const scanId = `preview-${input.rolloutId}`;
  const approvals = await mapWithConcurrency(input.hosts, PARALLEL_HOSTS, async (host): Promise<HostApproval> => {
    const { tags: _tags, ...target } = host;
    try {
      return await hostScans.approveBaselineUpdates({ scanId, target, baseline });
    } catch (err) {
      return { host: host.name, ok: false, error: causeMessage(err), approved: [], withheld: 0 };
    }
  });
  const { targets } = pinWave({}, approvals);
  return mapWithConcurrency(input.hosts, PARALLEL_HOSTS, async (host, i): Promise<HostPreview> => {
    const approval = approvals[i]!;
    if (!approval.ok) return { name: host.name, error: `the baseline scan failed: ${approval.error ?? 'unknown error'}` };
    const pinned = targets[host.name] ?? {};
    const approved = approval.approved.map((u) => ({ ...u, to: pinned[u.package] ?? u.to }));
    const shown = { baseline: { approved, withheld: approval.withheld } };
    if (approved.length === 0) return { name: host.name, changes: [], ...shown };
    try {
      return { name: host.name, changes: await hostPreviews.previewPatch({ rolloutId: input.rolloutId, host, strategy: input.strategy, pinned }), ...shown };
    } catch (err) {
      return { name: host.name, error: causeMessage(err), ...shown };
    }
  });
}
