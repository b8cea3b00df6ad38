// Signals, queries and updates of rollouts, defined once and shared by workflows and clients (CLI, web).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HostReport, RolloutProgress } from '../policies/rolloutTypes';

/** No new host starts until `resume`; hosts in flight finish their step sequence. */
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal('resume');
/** Opens the manual approval gate the rollout waits at. Rejected when it is not waiting. */
export const approveUpdate = defineUpdate<{ approvedWave: number }, [{ by?: string; comment?: string }]>('approve');
/** Stops the rollout: the batch in flight is rolled back (never left half-patched). Rejected once finished. */
export const abortUpdate = defineUpdate<{ accepted: true }, [{ by?: string; reason?: string }]>('abort');
export const progressQuery = defineQuery<RolloutProgress>('progress');

/** Parent → batch: stop starting hosts and roll back what this batch patched. */
export const abortBatchSignal = defineSignal<[{ reason: string }]>('abortBatch');
/** Live per-host state of one batch. */
export const batchProgressQuery = defineQuery<HostReport[]>('batchProgress');
