import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { Strategy } from '../policies/rollout/policy';
import { NON_RETRYABLE } from '../policies/common/failures';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';

const { previewPatch } = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '60 seconds',
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [...NON_RETRYABLE.hostPreview] },
});

export interface HostPreview {
  name: string;
  changes?: Array<{ package: string; from: string; to: string }>;
  error?: string;
}

/** Dry run: what each host would install (apt-get -s, dnf check-update, `check`), changing nothing. */
export async function previewRolloutWorkflow(input: { rolloutId: string; strategy: Strategy; hosts: ResolvedHost[] }): Promise<HostPreview[]> {
  return mapWithConcurrency(input.hosts, 20, async (host): Promise<HostPreview> => {
    try {
      return { name: host.name, changes: await previewPatch({ rolloutId: input.rolloutId, host, strategy: input.strategy }) };
    } catch (err) {
      return { name: host.name, error: causeMessage(err) };
    }
  });
}
