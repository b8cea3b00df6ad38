import type { ResolvedHost } from '../inventory/hosts';
import type { HostSource } from '../inventory/sources';
import type { RolloutPolicy } from './policy';

/** What a host has before it is touched, and what the patch will install: the basis of rollback. */
export interface VersionRecord {
  /** package (or component) → version installed before the patch; '' = not installed. */
  before: Record<string, string>;
  /** package → version the patch installs. Empty: nothing to do on this host. */
  target: Record<string, string>;
  /** Strategy-specific handle, e.g. the dnf transaction id that `dnf history undo` reverts. */
  transactionId?: string;
  /**
   * Set when the host held a version record this execution did not write (an earlier rollout with
   * the same id, an unreadable file): what was found. It was ignored; `before` is what the host has now.
   */
  ignoredRecord?: string;
}

/**
 * A rollout execution: its id (chosen by people or derived from a window) and the run id of its
 * first execution (Temporal's, the same across continue-as-new). Records kept on hosts are bound to
 * `execution`, so a later rollout that reuses the id never takes an old record for its "before".
 */
export interface RolloutRef {
  rolloutId: string;
  execution: string;
}

/** Where one host is in a rollout, as `maint rollout status` shows it. */
export type HostPhase =
  | 'pending' | 'waiting' | 'preflight' | 'draining' | 'patching' | 'rebooting' | 'verifying'
  | 'healthy' | 'failed' | 'rolling-back' | 'rolled-back' | 'skipped';

/** Phases in which the host is out of service (drained or being changed). */
export const OUT_OF_SERVICE: ReadonlySet<HostPhase> = new Set(['draining', 'patching', 'rebooting', 'verifying', 'rolling-back']);

export interface HostReport {
  name: string;
  wave: number;
  state: HostPhase;
  /** Versions before the patch and the target: what a rollback restores. */
  record?: VersionRecord;
  /** Versions installed when the host's work ended. */
  after?: Record<string, string>;
  /** Apply attempts that reached the host (0 when it was already at the target). */
  attempts: number;
  error?: string;
  /** While `waiting`: for what (another rollout's lease on the host, a full disruption budget). */
  waiting?: string;
  /** Epoch ms: when the host was taken out of service and when it was back (healthy or restored). */
  outOfServiceFrom?: number;
  outOfServiceUntil?: number;
}

/** Where a rollout is; spelled like host states and window phases (`rolled-back`). */
export type RolloutStatus = 'running' | 'paused' | 'awaiting-approval' | 'completed' | 'completed-with-failures' | 'rolled-back' | 'failed' | 'aborted' | 'cut-off';

/**
 * A status as read from Temporal or shown to users. Rollouts recorded before the spelling was made
 * one (their results, queries and histories) say `rolled_back`, and so does the published output
 * (`maint rollout … --json`, its text and the operations alert of a window), which scripts read:
 * {@link publishedRolloutStatus} is the one place that spelling is made.
 */
export type RecordedRolloutStatus = RolloutStatus | 'rolled_back';

/** A status as recorded, old spelling or new, in the one spelling the code branches on. */
export function readRolloutStatus(status: RecordedRolloutStatus): RolloutStatus {
  return status === 'rolled_back' ? 'rolled-back' : status;
}

/** A status as users and their scripts have always seen it (`rolled_back`, unchanged since the first release). */
export function publishedRolloutStatus(status: RecordedRolloutStatus): Exclude<RecordedRolloutStatus, 'rolled-back'> {
  return status === 'rolled-back' ? 'rolled_back' : status;
}

/**
 * The hosts of a rollout. Small sets travel inline (the CLI resolved them); large ones by
 * reference, resolved by the worker a batch at a time, so no payload grows with the fleet.
 */
export type TargetSet =
  | { kind: 'inline'; hosts: ResolvedHost[] }
  /** `source` with absolute paths, read on the worker (a window's tasks: the hosts as they are on the night). */
  | { kind: 'source'; source: HostSource; selector?: string }
  /**
   * The hosts the CLI resolved, stored in the store under the sha256 of their bytes: any worker
   * sharing the CLI's store reads them, whatever paths it sees. Fixed at start, like inline hosts.
   */
  | { kind: 'snapshot'; id: `sha256:${string}`; count: number; /** The selector they were picked by (for people). */ selector?: string };

/** Above this many hosts the CLI passes targets by snapshot or source (payloads stay far below Temporal's limits). */
export const MAX_INLINE_TARGETS = 1000;

export interface RolloutInput {
  rolloutId: string;
  policy: RolloutPolicy;
  targets: TargetSet;
  /** Epoch ms: no wave starts at or after this (a maintenance window's cutoff); the hosts left wait for the next window. */
  notAfter?: number;
}

/** What the rollout itself keeps per host: small, so 10,000 hosts fit in one payload. Versions are in the batch results. */
export type HostOutcome = Pick<HostReport, 'name' | 'wave' | 'state' | 'attempts' | 'error'>;

export function toOutcome(r: HostReport): HostOutcome {
  return { name: r.name, wave: r.wave, state: r.state, attempts: r.attempts, ...(r.error !== undefined ? { error: r.error.length > 200 ? `${r.error.slice(0, 199)}…` : r.error } : {}) };
}

export interface RolloutProgress {
  rolloutId: string;
  policy: string;
  status: RecordedRolloutStatus;
  /** The wave running now (or last run). */
  currentWave: number;
  waves: Array<{ index: number; size: number; canary: boolean; state: 'pending' | 'running' | 'done' | 'failed' | 'rolled-back' | 'skipped' }>;
  /** Every host; `record`/`after` only where a client merged them in from the batch results. */
  hosts: HostReport[];
  /** Batch workflows of this rollout so far: their results hold every host's versions. */
  batches: string[];
  /** Things operations should know that are not failures (e.g. hosts that joined the inventory). */
  notes?: string[];
  failures: number;
  failuresTolerated: number;
  message?: string;
  /** `packages: {baseline}`: the baseline approved nothing on any host, so no host was touched (why, for people). */
  nothingToInstall?: string;
  /** Batch workflows running now; query them (batchProgress) for live host states. */
  runningBatches?: string[];
}

export interface RolloutReport extends RolloutProgress {
  finishedAt: number;
}

export interface BatchInput extends RolloutRef {
  wave: number;
  /** Take a lease per host (workflows/hostLeases.ts); absent in batches started before leases existed. */
  leases?: boolean;
  /** This batch's hosts, in order; resolved from `targets` when the batch starts. */
  names: string[];
  /** Inline: only this batch's hosts. By reference: the whole set. */
  targets: TargetSet;
  policy: RolloutPolicy;
  parallelism: number;
  /** Failed hosts this batch may still have before the rollout halts. */
  failuresAllowed: number;
  /** Start paused (the parent was paused when it started the batch). */
  paused?: boolean;
  /** `packages: {baseline}`: per host, the exact versions to install (decided by the wave's preflight scan). */
  baselineTargets?: Record<string, Record<string, string>>;
  /** `packages: {baseline}`: hosts whose preflight scan failed, and why (they fail, untouched). */
  baselineErrors?: Record<string, string>;
}

export interface BatchResult {
  hosts: HostReport[];
  /** Hosts of this batch whose patch failed (whether or not their rollback worked). */
  failures: number;
  /** True when failures passed the threshold (the batch then stopped starting hosts and rolled back per scope). */
  halted: boolean;
  aborted: boolean;
}

/** The workflow id of a rollout: `rollout-<id>` (the CLI, windows and incidents address it by this). */
export function rolloutWorkflowId(rolloutId: string): string {
  return `rollout-${rolloutId}`;
}
