import {
  allHandlersFinished, ApplicationFailure, type ChildWorkflowHandle, condition, continueAsNew, executeChild, getExternalWorkflowHandle,
  setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import { toOutcome, type BatchResult, type HostOutcome, type RolloutInput, type RolloutProgress, type RolloutReport, type RolloutStatus, type TargetSet } from '../policies/rollout/types';
import { failuresTolerated, planWaves, type WavePlan } from '../policies/rollout/waves';
import { inventoryReads as inventory } from './activityProfiles';
import { chunk, mapWithConcurrency } from './concurrency';
import { abortBatchSignal, abortUpdate, approveUpdate, cutoffSignal, pauseSignal, progressQuery, resumeSignal } from './messages';
import type { patchBatchWorkflow, rollbackHostsWorkflow } from './patchBatch';
import { FAILURE } from '../policies/common/failures';

/** A batch child never holds more hosts than this, so every history stays far below Temporal's limits. */
export const MAX_HOSTS_PER_BATCH_WORKFLOW = 50;


/** What survives continue-as-new: everything decided so far, compactly (≈ 70 bytes a host). */
export interface RolloutCarry {
  nextWave: number;
  /** Every host the rollout was planned on, in order (a host added to the inventory later is not silently included). */
  reports: HostOutcome[];
  failures: number;
  approvedWaves: number[];
  paused: boolean;
  batches: string[];
  notes?: string[];
  notAfter?: number;
}

export function rolloutWorkflowId(rolloutId: string): string {
  return `rollout-${rolloutId}`;
}

export function batchWorkflowId(rolloutId: string, wave: number, part: number): string {
  return `rollout-${rolloutId}-wave-${wave}-part-${part}`;
}

function needsApprovalAfter(after: 'canary' | 'every-wave' | number[] | undefined, wave: WavePlan): boolean {
  if (after === undefined) return false;
  if (after === 'canary') return wave.canary;
  if (after === 'every-wave') return true;
  return after.includes(wave.index);
}

/**
 * Rolls a patch across hosts in waves (canary, then batches), each wave run by child workflows of
 * at most {@link MAX_HOSTS_PER_BATCH_WORKFLOW} hosts with at most `maxUnavailable` hosts out of
 * service at once. Halts when failures pass the threshold and rolls back per the policy's scope;
 * honours pause/resume, manual approval gates and abort; continues as new when history grows.
 * Returns a per-host report.
 */
export async function patchRolloutWorkflow(input: RolloutInput, carry?: RolloutCarry): Promise<RolloutReport> {
  const { policy, rolloutId, targets } = input;
  // What binds the version records on the hosts to this rollout (the same across continue-as-new).
  const execution = workflowInfo().firstExecutionRunId;
  // Handlers are registered before the first await; until the targets are known, the plan is empty.
  let names: string[] = [];
  let plan: WavePlan[] = [];
  let tolerated = 0;
  const reports = new Map<string, HostOutcome>();
  const initialise = (targetNames: string[]) => {
    names = targetNames;
    plan = planWaves(names.length, { canary: policy.waves.canary, batches: policy.waves.batches, maxUnavailable: policy.maxUnavailable });
    tolerated = failuresTolerated(policy.failureThreshold, names.length);
    for (const [i, name] of names.entries()) reports.set(name, { name, wave: plan.findIndex((w) => i >= w.start && i < w.start + w.size), state: 'pending', attempts: 0 });
    for (const r of carry?.reports ?? []) reports.set(r.name, r);
  };
  const known = carry ? carry.reports.map((r) => r.name) : targets.kind === 'inline' ? targets.hosts.map((h) => h.name) : undefined;
  if (known) initialise(known);
  const batches = [...(carry?.batches ?? [])];
  const notes: string[] = [...(carry?.notes ?? [])];
  /** Inline targets are sliced per batch; a reference is passed as is. */
  const targetsFor = (batchNames: string[]): TargetSet => {
    if (targets.kind !== 'inline') return targets;
    const wanted = new Set(batchNames);
    return { kind: 'inline', hosts: targets.hosts.filter((h) => wanted.has(h.name)) };
  };

  let status: RolloutStatus = carry?.paused ? 'paused' : 'running';
  let paused = carry?.paused ?? false;
  let failures = carry?.failures ?? 0;
  let currentWave = carry?.nextWave ?? 0;
  let abortReason: string | undefined;
  let message: string | undefined;
  const approved = new Set(carry?.approvedWaves ?? []);
  let notAfter = carry?.notAfter ?? input.notAfter;
  let awaitingApproval: number | undefined;
  let running: Array<ChildWorkflowHandle<typeof patchBatchWorkflow>> = [];
  const waveState = (w: WavePlan): RolloutProgress['waves'][number]['state'] => {
    const states = names.slice(w.start, w.start + w.size).map((n) => reports.get(n)!.state);
    if (states.every((s) => s === 'pending')) return w.index === currentWave && status === 'running' && running.length > 0 ? 'running' : 'pending';
    if (states.every((s) => s === 'skipped')) return 'skipped';
    if (states.some((s) => s === 'failed')) return 'failed';
    if (states.some((s) => s === 'rolled-back')) return 'rolled-back';
    if (states.every((s) => s === 'healthy')) return 'done';
    return 'running';
  };
  const progress = (): RolloutProgress => ({
    rolloutId, policy: policy.name, status, currentWave,
    waves: plan.map((w) => ({ index: w.index, size: w.size, canary: w.canary, state: waveState(w) })),
    hosts: [...reports.values()], failures, failuresTolerated: tolerated, batches: [...batches],
    ...(notes.length > 0 ? { notes: [...notes] } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(running.length > 0 ? { runningBatches: running.map((c) => c.workflowId) } : {}),
  });
  const finished = () => ['completed', 'completed-with-failures', 'rolled-back', 'failed', 'aborted', 'cut-off'].includes(status);

  setHandler(progressQuery, progress);
  setHandler(cutoffSignal, ({ at }) => {
    notAfter = at;
  });
  setHandler(pauseSignal, () => {
    if (finished()) return;
    paused = true;
    if (awaitingApproval === undefined) status = 'paused';
    for (const child of running) void getExternalWorkflowHandle(child.workflowId).signal(pauseSignal).catch(() => undefined);
  });
  setHandler(resumeSignal, () => {
    if (finished()) return;
    paused = false;
    if (status === 'paused') status = 'running';
    for (const child of running) void getExternalWorkflowHandle(child.workflowId).signal(resumeSignal).catch(() => undefined);
  });
  setHandler(
    approveUpdate,
    (_request) => {
      const wave = awaitingApproval!;
      approved.add(wave);
      return { approvedWave: wave };
    },
    { validator: (_request) => {
      if (awaitingApproval === undefined) throw ApplicationFailure.nonRetryable(`rollout ${rolloutId} is not waiting for approval (status: ${status})`, FAILURE.NotAwaitingApproval);
    } },
  );
  setHandler(
    abortUpdate,
    async (request) => {
      abortReason = request.reason ?? 'aborted';
      message = `aborted${request.by ? ` by ${request.by}` : ''}: ${abortReason}`;
      await Promise.all(running.map((child) => getExternalWorkflowHandle(child.workflowId).signal(abortBatchSignal, { reason: abortReason! }).catch(() => undefined)));
      return { accepted: true as const };
    },
    { validator: (_request) => {
      if (finished()) throw ApplicationFailure.nonRetryable(`rollout ${rolloutId} has already ended (${status})`, FAILURE.RolloutFinished);
    } },
  );

  const halt = async (why: string) => {
    message = why;
    // Skipped: every host no wave touched.
    for (const r of reports.values()) if (r.state === 'pending') Object.assign(r, { state: 'skipped', error: why });
    if (policy.rollback.scope === 'all-patched') {
      const patched = names.filter((n) => reports.get(n)!.state === 'healthy');
      const parts = chunk(patched, MAX_HOSTS_PER_BATCH_WORKFLOW);
      for (const [part, partNames] of parts.entries()) {
        const workflowId = `rollout-${rolloutId}-rollback-all-part-${part}`;
        batches.push(workflowId);
        const restored = await executeChild<typeof rollbackHostsWorkflow>('rollbackHostsWorkflow', {
          workflowId,
          args: [{ rolloutId, execution, policy, names: partNames, targets: targetsFor(partNames), parallelism: plan[0]?.parallelism ?? 1, wave: -1 }],
        });
        for (const r of restored) reports.set(r.name, { ...toOutcome(r), wave: reports.get(r.name)!.wave });
      }
    }
  };

  if (!known) initialise(await inventory.listTargetNames(targets));

  for (; currentWave < plan.length; currentWave++) {
    const wave = plan[currentWave]!;
    await condition(() => !paused || abortReason !== undefined);
    if (abortReason !== undefined) break;
    if (notAfter !== undefined && Date.now() >= notAfter) {
      // A window's cutoff: no new wave; untouched hosts wait for the next window, nothing is rolled back.
      const left = [...reports.values()].filter((r) => r.state === 'pending');
      for (const r of left) Object.assign(r, { state: 'skipped', error: 'not started: the maintenance window reached its cutoff' });
      message = `stopped at the window cutoff before wave ${currentWave}: ${left.length} host(s) not started`;
      status = 'cut-off';
      return finish();
    }
    status = 'running';
    if (targets.kind !== 'inline' && currentWave > 0) {
      // Re-read the source: hosts that joined since the rollout began are reported, never silently added.
      const planned = new Set(names);
      const joined = (await inventory.listTargetNames(targets)).filter((n) => !planned.has(n));
      if (joined.length > 0) {
        notes[0] = `${joined.length} host(s) joined the inventory after this rollout began and are not part of it: ${joined.slice(0, 10).join(', ')}${joined.length > 10 ? ', …' : ''}`;
      }
    }
    const waveNames = names.slice(wave.start, wave.start + wave.size);
    const parts = chunk(waveNames, MAX_HOSTS_PER_BATCH_WORKFLOW);
    // Several parts share the wave's maxUnavailable budget.
    const concurrentParts = Math.min(parts.length, wave.parallelism);
    const partParallelism = Math.max(1, Math.floor(wave.parallelism / concurrentParts));
    const results = await mapWithConcurrency(parts, concurrentParts, async (partNames, part): Promise<BatchResult> => {
      if (abortReason !== undefined || failures > tolerated) {
        return { hosts: partNames.map((n) => ({ ...reports.get(n)!, state: 'skipped', error: abortReason ? 'rollout aborted' : 'rollout halted' })), failures: 0, halted: false, aborted: abortReason !== undefined };
      }
      const workflowId = batchWorkflowId(rolloutId, wave.index, part);
      batches.push(workflowId);
      const child = await startChild<typeof patchBatchWorkflow>('patchBatchWorkflow', {
        workflowId,
        args: [{ rolloutId, execution, wave: wave.index, names: partNames, targets: targetsFor(partNames), policy, parallelism: partParallelism, failuresAllowed: Math.max(0, tolerated - failures), paused }],
      });
      running.push(child);
      try {
        const result = await child.result();
        failures += result.failures;
        for (const r of result.hosts) reports.set(r.name, toOutcome(r));
        return result;
      } finally {
        running = running.filter((c) => c !== child);
      }
    });

    if (abortReason !== undefined || results.some((r) => r.aborted)) break;
    if (failures > tolerated || results.some((r) => r.halted)) {
      await halt(`halted in wave ${wave.index}: ${failures} host(s) failed, ${tolerated} tolerated`);
      // `rolled-back` only when every failed host was really restored; else people must look.
      const unrestored = [...reports.values()].filter((r) => r.state === 'failed').length;
      status = policy.rollback.scope === 'none' || unrestored > 0 ? 'failed' : 'rolled-back';
      if (policy.rollback.scope !== 'none' && unrestored > 0) message = `${message}; ${unrestored} host(s) could not be restored`;
      return finish();
    }
    const last = currentWave === plan.length - 1;
    if (!last && needsApprovalAfter(policy.approval?.after, wave) && !approved.has(wave.index)) {
      awaitingApproval = wave.index;
      status = 'awaiting-approval';
      message = `waiting for approval after wave ${wave.index}: maint rollout approve ${rolloutId}`;
      await condition(() => approved.has(wave.index) || abortReason !== undefined);
      awaitingApproval = undefined;
      message = undefined;
      if (abortReason !== undefined) break;
      status = paused ? 'paused' : 'running';
    }
    if (!last && policy.bakeTime > 0) {
      await condition(() => abortReason !== undefined, policy.bakeTime);
      if (abortReason !== undefined) break;
    }
    if (!last && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof patchRolloutWorkflow>(input, {
        nextWave: currentWave + 1, reports: names.map((n) => reports.get(n)!), failures, approvedWaves: [...approved], paused, batches, notes,
        ...(notAfter !== undefined ? { notAfter } : {}),
      });
    }
  }

  if (abortReason !== undefined) {
    for (const r of reports.values()) if (r.state === 'pending') Object.assign(r, { state: 'skipped', error: 'rollout aborted' });
    status = 'aborted';
  } else {
    status = failures > 0 ? 'completed-with-failures' : 'completed';
  }
  return finish();

  function finish(): RolloutReport {
    return { ...progress(), finishedAt: Date.now() };
  }
}


