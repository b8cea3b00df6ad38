import { Context } from '@temporalio/activity';
import type { RolloutPolicy } from '../../policies/rollout/policy';
import { runHealthCheck } from '../health';

export type ServiceGate = NonNullable<RolloutPolicy['serviceGate']>;

export interface GateTrip {
  /** What failed, in words: "https://shop.example/health → HTTP 503 … (2 rounds in a row)". */
  detail: string;
  /** Epoch ms of the round that tripped the gate. */
  at: number;
}

/** No host: a service gate's checks name the service itself (the policy refuses {{host.…}} there). */
const NO_HOST = { name: '', address: '', port: 0, user: '', tags: {} };

export function createGateActivities() {
  return {
    /**
     * Watches the service with the gate's checks every `interval` until cancelled (the wave has
     * settled) or the checks fail `failuresInARow` rounds in a row: then it returns what failed.
     * Heartbeats every round, so a dead worker's watch is restarted elsewhere quickly.
     */
    async watchService(input: { rolloutId: string; gate: ServiceGate }): Promise<GateTrip> {
      const ctx = Context.current();
      const { gate } = input;
      let inARow = 0;
      for (let round = 1; ; round++) {
        let failed: string | undefined;
        for (const check of gate.checks) {
          const outcome = await runHealthCheck(check, { values: { host: NO_HOST, rolloutId: input.rolloutId }, timeoutMs: gate.timeout, shell: () => Promise.reject(new Error('no shell for a service gate')) });
          if (!outcome.ok) {
            failed = outcome.detail;
            break;
          }
        }
        inARow = failed === undefined ? 0 : inARow + 1;
        ctx.heartbeat({ round, inARow, ...(failed !== undefined ? { failed } : {}) });
        if (failed !== undefined && inARow >= gate.failuresInARow) return { detail: `${failed} (${inARow} round(s) in a row)`, at: Date.now() };
        await ctx.sleep(gate.interval);
      }
    },
  };
}
