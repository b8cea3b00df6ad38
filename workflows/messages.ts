// Signals, queries and updates of rollouts, defined once and shared by workflows and clients (CLI, web).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DependencyRunSummary } from '../policies/deps/run';
import type { ProbeGroupPlan } from '../policies/probes/plan';
import type { BudgetUse, LeaseAnswer, LeaseBook, LeaseBookState, LeaseHolder, LeaseRequest, ReleaseOutcome } from '../policies/rollout/leases';
import type { HostReport, RolloutProgress } from '../policies/rollout/types';
import type { WindowStatus } from '../policies/windows/types';

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

/** Window → rollout: no wave starts at or after `at` (epoch ms); the window's cutoff moved (extension, cancel). */
export const cutoffSignal = defineSignal<[{ at: number }]>('cutoff');

/** Where a window occurrence is: phase, tasks, notices sent. */
export const windowStatusQuery = defineQuery<WindowStatus>('windowStatus');
/** Cancels the occurrence: before the start nothing runs; during it no further task or wave starts. Customers are told. */
export const cancelWindowUpdate = defineUpdate<WindowStatus, [{ reason: string; by?: string }]>('cancelWindow');
/** Lets the occurrence's routine tasks run although a service's error budget is spent (recorded in the audit trail by the CLI). */
export const overrideBudgetUpdate = defineUpdate<WindowStatus, [{ by: string; reason: string }]>('overrideBudget');
/** Moves the end (and the cutoff with it) later; customers get an "extended" notice. */
export const extendWindowUpdate = defineUpdate<WindowStatus, [{ until: string; reason: string; by?: string }]>('extendWindow');

/** What a dependency run has found and done so far (its result once finished). */
export const dependencyRunQuery = defineQuery<DependencyRunSummary>('dependencyRun');

/** `maint apply` → a probe workflow: probe these services from the next round on (and its new memo). */
export const probeGroupSignal = defineSignal<[ProbeGroupPlan, Record<string, unknown>]>('probeGroup');
/** Batch → lease workflow: a host it is about to change (answered with {@link leaseAnswerSignal}). */
export const leaseRequestSignal = defineSignal<[LeaseRequest]>('leaseRequest');
/** Batch → lease workflow: done with the host (or no longer waiting for it), in or out of service. */
export const leaseReleaseSignal = defineSignal<[{ holder: LeaseHolder; host: string; outcome: ReleaseOutcome }]>('leaseRelease');
/** Lease workflow → batch: granted, still waiting (and why), or busy. */
export const leaseAnswerSignal = defineSignal<[LeaseAnswer]>('leaseAnswer');
/** Everything the lease workflow knows: leases, hosts left out of service, who waits, budgets. */
export const leasesQuery = defineQuery<LeaseOverview>('leases');
/** `maint hosts release`: these hosts are back in service (refused for a host being changed now). */
export const clearHostsUpdate = defineUpdate<Omit<ReturnType<LeaseBook['clear']>, 'replies'>, [{ hosts: string[]; by: string; reason?: string }]>('clearHosts');

export interface LeaseOverview extends LeaseBookState {
  budgets: BudgetUse[];
}
