import {
  allHandlersFinished, ApplicationFailure, CancellationScope, type ChildWorkflowHandle, condition, continueAsNew, executeChild, getExternalWorkflowHandle,
  isCancellation, setHandler, startChild, workflowInfo,
} from '@temporalio/workflow';
import { FAILURE } from '../policies/common/failures';
import { rolloutWorkflowId, toOutcome, type BatchInput, type BatchResult, type HostOutcome, type RolloutInput, type RolloutProgress, type RolloutReport, type RolloutStatus, type TargetSet } from '../policies/rollout/types';
import { failuresTolerated, planTargetWaves, waveSettings, ZONE_TAG, type WavePlan } from '../policies/rollout/waves';
import { inventoryReads as inventory, serviceWatch } from './activityProfiles';
import { causeMessage } from './failures';
import { chunk, mapWithConcurrency } from './concurrency';
import { abortBatchSignal, abortUpdate, approveUpdate, cutoffSignal, pauseSignal, progressQuery, resumeSignal } from './messages';
import { patchBatchWorkflow, rollbackHostsWorkflow } from './patchBatch';
import { baselinePlanWorkflow } from './baselinePlan';
import type { PatchBaseline } from '../policies/compliance/baseline';
import { pinWave, type HostApproval } from '../policies/compliance/rolloutPins';
import { strategyBaseline } from '../policies/rollout/strategies';

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
  /** With zone-aware waves: the zone of each host of `reports`. */
  zones?: string[];
  /** With `packages: {baseline}`: the versions fixed so far and what the preflight scans found. */
  baseline?: BaselineProgress;
}

/** What a baseline rollout's preflight scans decided so far (carried over continue-as-new). */
interface BaselineProgress {
  /** package → version, fixed for the rest of the rollout. */
  pins: Record<string, string>;
  /** Hosts scanned, and of those, hosts with something approved; pending updates not approved. */
  scanned: number;
  withUpdates: number;
  withheld: number;
}

export { rolloutWorkflowId };

export function batchWorkflowId(rolloutId: string, wave: number, part: number): string {
  return `rollout-${rolloutId}-wave-${wave}-part-${part}`;
}

function needsApprovalAfter(after: 'canary' | 'every-wave' | number[] | undefined, wave: WavePlan): boolean {
  if (after === undefined) return false;
  if (after === 'canary') return wave.canary;
  if (after === 'every-wave') return true;
  return after.includes(wave.index);
}

const FINISHED: ReadonlySet<RolloutStatus> = new Set(['completed', 'completed-with-failures', 'rolled-back', 'failed', 'aborted', 'cut-off']);

/**
 * Everything a rollout decides as it goes: what its progress query shows and what continue-as-new
 * carries. Handlers and the wave loop change it; the steps below read it.
 */
class Rollout {
  /** What binds the version records on the hosts to this rollout (the same across continue-as-new). */
  readonly execution = workflowInfo().firstExecutionRunId;
  // Until the targets are known, the plan is empty (handlers are registered before the first await).
  names: string[] = [];
  /** With zone-aware waves, the zone of each of `names`. */
  zones: string[] | undefined;
  plan: WavePlan[] = [];
  tolerated = 0;
  readonly reports = new Map<string, HostOutcome>();
  readonly batches: string[];
  readonly notes: string[];
  readonly approved: Set<number>;
  status: RolloutStatus;
  paused: boolean;
  failures: number;
  currentWave: number;
  notAfter: number | undefined;
  abortReason: string | undefined;
  message: string | undefined;
  /** Set when the baseline approved nothing on any host: the rollout touched none (a window tells operations). */
  nothingToInstall: string | undefined;
  awaitingApproval: number | undefined;
  /** Set when the service gate tripped in the current wave: what failed. No further batch starts. */
  gateTripped: string | undefined;
  running: Array<ChildWorkflowHandle<typeof patchBatchWorkflow>> = [];
  baseline: BaselineProgress | undefined;
  /** The current wave's approved versions per host (baseline rollouts), and why a host could not be scanned. */
  waveTargets: Record<string, Record<string, string>> = {};
  waveErrors: Record<string, string> = {};

  constructor(readonly input: RolloutInput, private readonly carried?: RolloutCarry) {
    this.batches = [...(carried?.batches ?? [])];
    this.notes = [...(carried?.notes ?? [])];
    this.approved = new Set(carried?.approvedWaves ?? []);
    this.status = carried?.paused ? 'paused' : 'running';
    this.paused = carried?.paused ?? false;
    this.failures = carried?.failures ?? 0;
    this.currentWave = carried?.nextWave ?? 0;
    this.notAfter = carried?.notAfter ?? input.notAfter;
    this.baseline = carried?.baseline;
  }

  get policy() {
    return this.input.policy;
  }

  get aborting(): boolean {
    return this.abortReason !== undefined;
  }

  /** The hosts (with their zones) when known without reading the inventory: carried over, or inline targets. */
  knownTargets(): Array<{ name: string; zone?: string }> | undefined {
    const { targets } = this.input;
    const zones = this.carried?.zones;
    if (this.carried) return this.carried.reports.map((r, i) => ({ name: r.name, ...(zones ? { zone: zones[i]! } : {}) }));
    return targets.kind === 'inline' ? targets.hosts.map((h) => ({ name: h.name, zone: h.tags[ZONE_TAG] })) : undefined;
  }

  /** The hosts by reference, read by the worker: with zone-aware waves, with their zones. */
  async listTargets(): Promise<Array<{ name: string; zone?: string }>> {
    const { targets } = this.input;
    return this.policy.waves.byZone ? inventory.listTargetZones(targets) : (await inventory.listTargetNames(targets)).map((name) => ({ name }));
  }

  initialise(targets: Array<{ name: string; zone?: string }>): void {
    const { policy } = this;
    const { hosts, waves } = planTargetWaves(targets, waveSettings(policy), (t) => t.zone);
    this.names = hosts.map((h) => h.name);
    if (policy.waves.byZone) this.zones = hosts.map((h) => h.zone ?? '');
    this.plan = waves;
    this.tolerated = failuresTolerated(policy.failureThreshold, hosts.length);
    for (const [i, name] of this.names.entries()) this.reports.set(name, { name, wave: this.plan.findIndex((w) => i >= w.start && i < w.start + w.size), state: 'pending', attempts: 0 });
    for (const r of this.carried?.reports ?? []) this.reports.set(r.name, r);
  }

  /** Inline targets are sliced per batch; a reference is passed as is. */
  targetsFor(batchNames: string[]): TargetSet {
    const { targets } = this.input;
    if (targets.kind !== 'inline') return targets;
    const wanted = new Set(batchNames);
    return { kind: 'inline', hosts: targets.hosts.filter((h) => wanted.has(h.name)) };
  }

  finished(): boolean {
    return FINISHED.has(this.status);
  }

  /** Marks every host no wave touched as skipped, saying why. */
  skipPending(error: string): HostOutcome[] {
    const left = [...this.reports.values()].filter((r) => r.state === 'pending');
    for (const r of left) Object.assign(r, { state: 'skipped', error });
    return left;
  }

  private waveState(w: WavePlan): RolloutProgress['waves'][number]['state'] {
    const states = this.names.slice(w.start, w.start + w.size).map((n) => this.reports.get(n)!.state);
    if (states.every((s) => s === 'pending')) return w.index === this.currentWave && this.status === 'running' && this.running.length > 0 ? 'running' : 'pending';
    if (states.every((s) => s === 'skipped')) return 'skipped';
    if (states.some((s) => s === 'failed')) return 'failed';
    if (states.some((s) => s === 'rolled-back')) return 'rolled-back';
    if (states.every((s) => s === 'healthy')) return 'done';
    return 'running';
  }

  progress(): RolloutProgress {
    const { notes, message, running, nothingToInstall } = this;
    return {
      rolloutId: this.input.rolloutId, policy: this.policy.name, status: this.status, currentWave: this.currentWave,
      waves: this.plan.map((w) => ({ index: w.index, size: w.size, canary: w.canary, state: this.waveState(w) })),
      hosts: [...this.reports.values()], failures: this.failures, failuresTolerated: this.tolerated, batches: [...this.batches],
      ...(notes.length > 0 ? { notes: [...notes] } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(nothingToInstall !== undefined ? { nothingToInstall } : {}),
      ...(running.length > 0 ? { runningBatches: running.map((c) => c.workflowId) } : {}),
    };
  }

  report(): RolloutReport {
    return { ...this.progress(), finishedAt: Date.now() };
  }

  carry(): RolloutCarry {
    return {
      nextWave: this.currentWave + 1, reports: this.names.map((n) => this.reports.get(n)!), failures: this.failures, approvedWaves: [...this.approved],
      paused: this.paused, batches: this.batches, notes: this.notes,
      ...(this.notAfter !== undefined ? { notAfter: this.notAfter } : {}),
      ...(this.zones !== undefined ? { zones: this.zones } : {}),
      ...(this.baseline !== undefined ? { baseline: this.baseline } : {}),
    };
  }
}

/** Progress, cutoff, pause/resume (passed on to the running batches), approval and abort. */
function handleMessages(r: Rollout): void {
  const { rolloutId } = r.input;
  setHandler(progressQuery, () => r.progress());
  setHandler(cutoffSignal, ({ at }) => {
    r.notAfter = at;
  });
  setHandler(pauseSignal, (request) => {
    if (r.finished()) return;
    r.paused = true;
    if (request?.reason !== undefined && r.awaitingApproval === undefined) r.message = `paused: ${request.reason}`;
    if (r.awaitingApproval === undefined) r.status = 'paused';
    for (const child of r.running) void getExternalWorkflowHandle(child.workflowId).signal(pauseSignal).catch(() => undefined);
  });
  setHandler(resumeSignal, () => {
    if (r.finished()) return;
    r.paused = false;
    if (r.status === 'paused') r.status = 'running';
    if (r.message?.startsWith('paused: ')) r.message = undefined;
    for (const child of r.running) void getExternalWorkflowHandle(child.workflowId).signal(resumeSignal).catch(() => undefined);
  });
  setHandler(
    approveUpdate,
    (_request) => {
      const wave = r.awaitingApproval!;
      r.approved.add(wave);
      return { approvedWave: wave };
    },
    { validator: (_request) => {
      if (r.awaitingApproval === undefined) throw ApplicationFailure.nonRetryable(`rollout ${rolloutId} is not waiting for approval (status: ${r.status})`, FAILURE.NotAwaitingApproval);
    } },
  );
  setHandler(
    abortUpdate,
    async (request) => {
      const reason = request.reason ?? 'aborted';
      r.abortReason = reason;
      r.message = `aborted${request.by ? ` by ${request.by}` : ''}: ${reason}`;
      await Promise.all(r.running.map((child) => getExternalWorkflowHandle(child.workflowId).signal(abortBatchSignal, { reason }).catch(() => undefined)));
      return { accepted: true as const };
    },
    { validator: (_request) => {
      if (r.finished()) throw ApplicationFailure.nonRetryable(`rollout ${rolloutId} has already ended (${r.status})`, FAILURE.RolloutFinished);
    } },
  );
}

const JOINED_NOTE = 'joined the inventory after this rollout began and are not part of it';

/** Re-reads the source: hosts that joined since the rollout began are reported, never silently added. */
async function noteJoinedHosts(r: Rollout): Promise<void> {
  const planned = new Set(r.names);
  const joined = (await inventory.listTargetNames(r.input.targets)).filter((n) => !planned.has(n));
  if (joined.length === 0) return;
  // One note, updated wave by wave, beside the others (pinned versions, …).
  const note = `${joined.length} host(s) ${JOINED_NOTE}: ${joined.slice(0, 10).join(', ')}${joined.length > 10 ? ', …' : ''}`;
  const earlier = r.notes.findIndex((n) => n.includes(JOINED_NOTE));
  if (earlier >= 0) r.notes[earlier] = note;
  else r.notes.push(note);
}

/** Runs one wave as batch children of at most {@link MAX_HOSTS_PER_BATCH_WORKFLOW} hosts, sharing the wave's maxUnavailable budget. */
async function runWave(r: Rollout, wave: WavePlan): Promise<BatchResult[]> {
  const { rolloutId } = r.input;
  const names = r.names.slice(wave.start, wave.start + wave.size).filter((n) => r.reports.get(n)!.state === 'pending');
  if (names.length === 0) return [];
  const parts = chunk(names, MAX_HOSTS_PER_BATCH_WORKFLOW);
  const concurrentParts = Math.min(parts.length, wave.parallelism);
  const partParallelism = Math.max(1, Math.floor(wave.parallelism / concurrentParts));
  return mapWithConcurrency(parts, concurrentParts, async (partNames, part): Promise<BatchResult> => {
    if (r.aborting || r.failures > r.tolerated || r.gateTripped !== undefined) {
      return { hosts: partNames.map((n) => ({ ...r.reports.get(n)!, state: 'skipped', error: r.aborting ? 'rollout aborted' : 'rollout halted' })), failures: 0, halted: false, aborted: r.aborting };
    }
    const workflowId = batchWorkflowId(rolloutId, wave.index, part);
    r.batches.push(workflowId);
    const child = await startChild(patchBatchWorkflow, {
      workflowId,
      args: [{
        rolloutId, execution: r.execution, leases: true, wave: wave.index, names: partNames, targets: r.targetsFor(partNames), policy: r.policy, parallelism: partParallelism,
        failuresAllowed: Math.max(0, r.tolerated - r.failures), paused: r.paused, ...baselineFor(r, partNames),
      }],
    });
    r.running.push(child);
    try {
      const result = await child.result();
      r.failures += result.failures;
      for (const h of result.hosts) r.reports.set(h.name, toOutcome(h));
      return result;
    } finally {
      r.running = r.running.filter((c) => c !== child);
    }
  });
}

/** A batch's part of the wave's baseline plan: the pinned versions of its hosts, and the scans that failed. */
function baselineFor(r: Rollout, names: string[]): Pick<BatchInput, 'baselineTargets' | 'baselineErrors'> {
  if (r.baseline === undefined) return {};
  const pick = <T>(from: Record<string, T>) => Object.fromEntries(names.filter((n) => Object.hasOwn(from, n)).map((n) => [n, from[n]!]));
  return { baselineTargets: pick(r.waveTargets), baselineErrors: pick(r.waveErrors) };
}

/**
 * Preflight of a wave with `packages: {baseline}`: its hosts are scanned read-only (children of at
 * most {@link MAX_HOSTS_PER_BATCH_WORKFLOW} hosts) and the versions fixed ({@link pinWave}): a
 * package's version is the one the first host of the rollout to have it approved got (the canary's),
 * for every later host too. Hosts with nothing approved are skipped, saying so; they are never drained.
 */
async function planBaselineWave(r: Rollout, wave: WavePlan, baseline: PatchBaseline): Promise<void> {
  const { rolloutId } = r.input;
  const names = r.names.slice(wave.start, wave.start + wave.size).filter((n) => r.reports.get(n)!.state === 'pending');
  const approvals: HostApproval[] = [];
  for (const [part, partNames] of chunk(names, MAX_HOSTS_PER_BATCH_WORKFLOW).entries()) {
    const workflowId = `rollout-${rolloutId}-wave-${wave.index}-baseline-part-${part}`;
    approvals.push(...(await executeChild(baselinePlanWorkflow, {
      workflowId,
      args: [{ scanId: workflowId, baseline, names: partNames, targets: r.targetsFor(partNames), policy: r.policy, parallelism: wave.parallelism }],
    })));
  }
  const progress = r.baseline ?? { pins: {}, scanned: 0, withUpdates: 0, withheld: 0 };
  const pinned = pinWave(progress.pins, approvals);
  r.waveTargets = pinned.targets;
  r.waveErrors = Object.fromEntries(approvals.filter((a) => !a.ok).map((a) => [a.host, `the baseline preflight scan failed: ${a.error ?? 'unknown error'}`]));
  for (const a of approvals) {
    if (a.ok && a.approved.length === 0) {
      Object.assign(r.reports.get(a.host)!, { state: 'skipped', error: `nothing to install: baseline ${baseline.name} approves none of its pending updates${a.withheld > 0 ? ` (${a.withheld} not approved yet or held)` : ''}` });
    }
  }
  r.notes.push(...pinned.notes.slice(0, Math.max(0, 20 - r.notes.length)));
  r.baseline = {
    pins: pinned.pins, scanned: progress.scanned + approvals.length,
    withUpdates: progress.withUpdates + approvals.filter((a) => !a.ok || a.approved.length > 0).length,
    withheld: progress.withheld + approvals.reduce((n, a) => n + a.withheld, 0),
  };
}

/**
 * The wave with the policy's service gate watching the service: from the wave's first host until
 * `settle` after its last. When the gate trips, no further batch starts and the batches in flight
 * are aborted (each rolls back what it patched); the caller rolls back the rest of the wave.
 */
async function runGatedWave(r: Rollout, wave: WavePlan, gate: NonNullable<RolloutInput['policy']['serviceGate']>): Promise<BatchResult[]> {
  const trip = (why: string) => {
    r.gateTripped = why;
    for (const child of r.running) void getExternalWorkflowHandle(child.workflowId).signal(abortBatchSignal, { reason: `service gate: ${why}` }).catch(() => undefined);
  };
  const watching = new CancellationScope();
  const watch = watching.run(() => serviceWatch(gate).watchService({ rolloutId: r.input.rolloutId, gate })).then(
    (t) => trip(t.detail),
    (err: unknown) => {
      if (!isCancellation(err)) trip(`the service could not be watched: ${causeMessage(err)}`);
    },
  );
  const results = await runWave(r, wave);
  if (r.gateTripped === undefined) await condition(() => r.gateTripped !== undefined || r.aborting, gate.settle ?? 3 * gate.interval);
  watching.cancel();
  await watch;
  return results;
}

/**
 * The rollout stops in `wave` (`why`): untouched hosts are skipped and the patched hosts go back:
 * with rollback scope `all-patched` every host patched so far, and when the service gate tripped
 * (`wholeWave`) also the healthy hosts of this wave (scope `none` keeps them). The status says
 * whether all came back.
 */
async function haltAndRollBack(r: Rollout, wave: WavePlan, why: string, wholeWave = false): Promise<void> {
  const { policy } = r;
  const { rolloutId } = r.input;
  r.message = why;
  r.skipPending(why);
  const scope = policy.rollback.scope;
  if (scope === 'all-patched' || (wholeWave && scope !== 'none')) {
    const patched = r.names.filter((n) => r.reports.get(n)!.state === 'healthy' && (scope === 'all-patched' || r.reports.get(n)!.wave === wave.index));
    for (const [part, partNames] of chunk(patched, MAX_HOSTS_PER_BATCH_WORKFLOW).entries()) {
      const workflowId = `rollout-${rolloutId}-rollback-all-part-${part}`;
      r.batches.push(workflowId);
      const restored = await executeChild(rollbackHostsWorkflow, {
        workflowId,
        args: [{ rolloutId, execution: r.execution, leases: true, policy, names: partNames, targets: r.targetsFor(partNames), parallelism: r.plan[0]?.parallelism ?? 1, wave: -1 }],
      });
      for (const h of restored) r.reports.set(h.name, { ...toOutcome(h), wave: r.reports.get(h.name)!.wave });
    }
  }
  // `rolled-back` only when every failed host was really restored; else people must look.
  const unrestored = [...r.reports.values()].filter((h) => h.state === 'failed').length;
  r.status = scope === 'none' || unrestored > 0 ? 'failed' : 'rolled-back';
  if (scope !== 'none' && unrestored > 0) r.message = `${r.message}; ${unrestored} host(s) could not be restored`;
}

/** Waits at the approval gate after `wave`; false when the rollout was aborted meanwhile. */
async function awaitApproval(r: Rollout, wave: WavePlan): Promise<boolean> {
  r.awaitingApproval = wave.index;
  r.status = 'awaiting-approval';
  r.message = `waiting for approval after wave ${wave.index}: maint rollout approve ${r.input.rolloutId}`;
  await condition(() => r.approved.has(wave.index) || r.aborting);
  r.awaitingApproval = undefined;
  r.message = undefined;
  if (r.aborting) return false;
  r.status = r.paused ? 'paused' : 'running';
  return true;
}

/**
 * Rolls a patch across hosts in waves (canary, then batches), each wave run by child workflows of
 * at most {@link MAX_HOSTS_PER_BATCH_WORKFLOW} hosts with at most `maxUnavailable` hosts out of
 * service at once. Halts when failures pass the threshold and rolls back per the policy's scope;
 * honours pause/resume, manual approval gates and abort; continues as new when history grows.
 * Returns a per-host report.
 */
export async function patchRolloutWorkflow(input: RolloutInput, carry?: RolloutCarry): Promise<RolloutReport> {
  const r = new Rollout(input, carry);
  const known = r.knownTargets();
  if (known) r.initialise(known);
  handleMessages(r);
  if (!known) r.initialise(await r.listTargets());

  for (; r.currentWave < r.plan.length; r.currentWave++) {
    const wave = r.plan[r.currentWave]!;
    await condition(() => !r.paused || r.aborting);
    if (r.aborting) break;
    if (r.notAfter !== undefined && Date.now() >= r.notAfter) {
      // A window's cutoff: no new wave; untouched hosts wait for the next window, nothing is rolled back.
      const left = r.skipPending('not started: the maintenance window reached its cutoff');
      r.message = `stopped at the window cutoff before wave ${r.currentWave}: ${left.length} host(s) not started`;
      r.status = 'cut-off';
      return r.report();
    }
    r.status = 'running';
    // Only a source can have grown: inline and snapshot targets are the list at start (and a snapshot's
    // worker may not see the source at all). Histories before snapshots had only these two kinds.
    if (input.targets.kind === 'source' && r.currentWave > 0) await noteJoinedHosts(r);
    const baseline = strategyBaseline(r.policy.strategy)?.definition;
    if (baseline !== undefined) await planBaselineWave(r, wave, baseline);
    const gate = r.policy.serviceGate;
    const results = gate ? await runGatedWave(r, wave, gate) : await runWave(r, wave);

    if (r.gateTripped !== undefined && !r.aborting) {
      await haltAndRollBack(r, wave, `halted in wave ${wave.index}: the service gate tripped: ${r.gateTripped}`, true);
      return r.report();
    }
    if (r.aborting || results.some((b) => b.aborted)) break;
    if (r.failures > r.tolerated || results.some((b) => b.halted)) {
      await haltAndRollBack(r, wave, `halted in wave ${wave.index}: ${r.failures} host(s) failed, ${r.tolerated} tolerated`);
      return r.report();
    }
    if (r.currentWave === r.plan.length - 1) continue;
    if (needsApprovalAfter(r.policy.approval?.after, wave) && !r.approved.has(wave.index) && !(await awaitApproval(r, wave))) break;
    if (r.policy.bakeTime > 0) {
      await condition(() => r.aborting, r.policy.bakeTime);
      if (r.aborting) break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof patchRolloutWorkflow>(input, r.carry());
    }
  }

  if (r.aborting) {
    r.skipPending('rollout aborted');
    r.status = 'aborted';
  } else {
    r.status = r.failures > 0 ? 'completed-with-failures' : 'completed';
    if (r.baseline !== undefined && r.baseline.withUpdates === 0) {
      const name = strategyBaseline(r.policy.strategy)?.baseline ?? '';
      r.nothingToInstall = `baseline ${name} approves nothing to install on ${r.baseline.scanned === 1 ? 'the host' : `any of the ${r.baseline.scanned} hosts`}${r.baseline.withheld > 0 ? ` (${r.baseline.withheld} pending update(s) not approved yet or held)` : ''}: no host was touched`;
      r.message = r.nothingToInstall;
    }
  }
  return r.report();
}
