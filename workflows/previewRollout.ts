import type { ResolvedHost } from '../policies/inventory/hosts';
import type { Strategy } from '../policies/rollout/policy';
import { hostPreviews } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';

export interface HostPreview {
  name: string;
  changes?: Array<{ package: string; from: string; to: string }>;
  error?: string;
}

/** Dry run: what each host would install (apt-get -s, dnf check-update, `check`), changing nothing. */
export async function previewRolloutWorkflow(input: { rolloutId: string; strategy: Strategy; hosts: ResolvedHost[] }): Promise<HostPreview[]> {
  return mapWithConcurrency(input.hosts, 20, async (host): Promise<HostPreview> => {
    try {
      return { name: host.name, changes: await hostPreviews.previewPatch({ rolloutId: input.rolloutId, host, strategy: input.strategy }) };
    } catch (err) {
      return { name: host.name, error: causeMessage(err) };
    }
  });
}
