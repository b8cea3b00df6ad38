/**
 * The one rollout both tools run, stated once: same patch command, same waves, same health check,
 * same failure threshold. Each tool's file translates it into its own language.
 */
import { planWaves, type WavePlan } from '../../policies/rollout/waves';
import { INITIAL_VERSION, TARGET_VERSION } from './hosts';

export const SCENARIO = {
  /** Ansible `serial: [1, "25%", "100%"]` = our `waves: {canary: 1, batches: ["25%", "100%"]}`. */
  canary: 1,
  batches: ['25%', '100%'] as const,
  patchCommand: `sleep 0.5 && echo ${TARGET_VERSION} > "$MAINT_HOST_DIR/version"`,
  checkCommand: 'cat "$MAINT_HOST_DIR/version"',
  /** `{{previous}}` / `{{ previous.stdout }}` in the tools' own template languages. */
  rollbackCommand: (previous: string) => `echo ${previous} > "$MAINT_HOST_DIR/version"`,
  /** Seconds. Ansible's `delay` is whole seconds, so the interval is one. */
  healthIntervalS: 1,
  healthTimeoutS: 2,
  /** 5 attempts: ours stops when the next attempt would pass the deadline; Ansible `retries: 4` (+1). */
  healthDeadlineS: 5,
  healthAttempts: 5,
  /** Failed hosts tolerated: 0 for us, max_fail_percentage 0 for Ansible. */
  failureThreshold: 0,
  initialVersion: INITIAL_VERSION,
  targetVersion: TARGET_VERSION,
  /** The bad host: the first host of wave 1 (the first "25%" batch), so a whole batch is restored. */
  badHostIndex: 1,
};

export function scenarioWaves(hosts: number): WavePlan[] {
  // maxUnavailable 100%: every host of a wave at once, as Ansible with forks >= the batch size.
  return planWaves(hosts, { canary: SCENARIO.canary, batches: [...SCENARIO.batches], maxUnavailable: '100%' });
}

/** Host indexes of the wave the bad host is in. */
export function badBatch(hosts: number): number[] {
  const wave = scenarioWaves(hosts).find((w) => SCENARIO.badHostIndex >= w.start && SCENARIO.badHostIndex < w.start + w.size)!;
  return Array.from({ length: wave.size }, (_v, k) => wave.start + k);
}
