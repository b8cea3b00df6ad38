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
