import { Resolver } from 'node:dns/promises';
import type { ProbeDefinition } from '../../../policies/probes/schema';
import type { ProbeRunner } from './probe';

/** Resolves the name (A or AAAA) at the configured resolver or the worker's; optionally expects addresses. */
export const dnsProbe: ProbeRunner<Extract<ProbeDefinition, { kind: 'dns' }>> = async (probe) => {
  const resolver = new Resolver({ timeout: probe.timeout, tries: 1 });
  if (probe.server !== undefined) resolver.setServers([probe.server]);
  const what = `${probe.host} ${probe.recordType}${probe.server !== undefined ? ` at ${probe.server}` : ''}`;
  let addresses: string[];
  try {
    addresses = probe.recordType === 'A' ? await resolver.resolve4(probe.host) : await resolver.resolve6(probe.host);
  } catch (err) {
    return { ok: false, detail: `${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  } finally {
    resolver.cancel();
  }
  const missing = (probe.expect ?? []).filter((a) => !addresses.includes(a));
  if (missing.length > 0) return { ok: false, detail: `${what} → ${addresses.join(', ')} (expected ${missing.join(', ')})` };
  return { ok: true, detail: `${what} → ${addresses.join(', ')}` };
};
