import type { ProbeDefinition } from '../../../policies/probes/schema';

export interface ProbeOutcome {
  ok: boolean;
  /** What was seen: "https://shop.example/health → HTTP 503 down (expected 200)". */
  detail: string;
}

/** One kind of probe (http, tcp, dns): one file each, registered in index.ts. */
export type ProbeRunner<P extends ProbeDefinition = ProbeDefinition> = (probe: P) => Promise<ProbeOutcome>;
