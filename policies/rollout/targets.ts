import type { Become } from '../inventory/become';
import type { ResolvedHost } from '../inventory/hosts';

/** Picks `names` from `hosts` in the order asked; names no longer there are reported, never guessed. */
export function pickHosts(hosts: readonly ResolvedHost[], names: readonly string[]): { hosts: ResolvedHost[]; missing: string[] } {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const found: ResolvedHost[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const host = byName.get(name);
    if (host) found.push(host);
    else missing.push(name);
  }
  return { hosts: found, missing };
}

/** The policy's `become` for hosts whose inventory sets none; a host's own `become` wins. */
export function withPolicyBecome(hosts: ResolvedHost[], become: Become | undefined): ResolvedHost[] {
  return become === undefined ? hosts : hosts.map((h) => (h.become === undefined ? { ...h, become } : h));
}
