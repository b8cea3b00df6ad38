import type { HostFactsResult } from '../policies/inventory/facts';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { hostFacts } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { failureCause } from './failures';

export interface HostFactsInput {
  hosts: ResolvedHost[];
  /** How many hosts are asked at once (default 20). */
  parallelism?: number;
}

/**
 * Connects to each host over SSH with its pinned host key and returns its facts, or the reason it
 * could not: one unreachable or impostor host never hides the others.
 */
export async function hostFactsWorkflow(input: HostFactsInput): Promise<HostFactsResult[]> {
  const parallelism = Math.max(1, Math.min(input.parallelism ?? 20, 200));
  return mapWithConcurrency(input.hosts, parallelism, async (host): Promise<HostFactsResult> => {
    try {
      const facts = await hostFacts.collectHostFacts({
        name: host.name,
        address: host.address,
        port: host.port,
        user: host.user,
        hostKey: host.hostKey,
        ...(host.identityFile !== undefined ? { identityFile: host.identityFile } : {}),
      });
      return { name: host.name, ok: true, facts };
    } catch (err) {
      const { message, type } = failureCause(err);
      return { name: host.name, ok: false, error: message, ...(type ? { errorType: type } : {}) };
    }
  });
}
