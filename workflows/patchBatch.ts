import { ApplicationFailure, CancellationScope, condition, isCancellation, metricMeter, setHandler } from '@temporalio/workflow';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { RolloutPolicy } from '../policies/rollout/policy';
import { FAILURE } from '../policies/common/failures';
import type { BatchInput, BatchResult, HostPhase, HostReport, RolloutRef, TargetSet, VersionRecord } from '../policies/rollout/types';
import { healthTarget, strategyBaseline } from '../policies/rollout/strategies';
import { budgetClaims, type ReleaseOutcome } from '../policies/rollout/leases';
import { pickHosts, withPolicyBecome } from '../policies/rollout/targets';
import { hostChecks, hostSteps, inventoryReads, type HostSteps as Steps } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';
import { HostLeases } from './leaseClient';
import { abortBatchSignal, batchProgressQuery, pauseSignal, resumeSignal } from './messages';


/**
 * Counts each host a batch finished in `maint_hosts_total` by outcome (healthy, rolled-back, failed,
 * skipped), strategy kind and policy name; a host an `all-patched` rollback restores later counts
 * again as rolled-back. Emitted by the workflow (never during replay), so a host counts once however
 * often its activities were retried; rollout ids stay out of the tags (unbounded).
 */
function countHosts(policy: RolloutPolicy, hosts: readonly HostReport[]): void {
  const counter = metricMeter.createCounter('maint_hosts', 'hosts', 'Hosts a rollout finished, by outcome, strategy and policy');
  for (const h of hosts) counter.add(1, { outcome: h.state, strategy: policy.strategy.kind, policy: policy.name });
}

/** `phase` tells apart the same hook run while patching and again while restoring (its job key on the host). */
async function runHook(steps: Steps, policy: RolloutPolicy, rolloutId: string, host: ResolvedHost, name: 'drain' | 'undrain' | 'pre' | 'post', phase: 'patch' | 'restore'): Promise<void> {
  const command = policy.hooks[name];
  if (command !== undefined) await steps.changing.runHostHook({ rolloutId, host, hook: name, command, timeoutMs: policy.commandTimeout, attemptKey: phase });
}

/** How a host the batch held is left, for its budgets: a failed host not put back in service keeps counting. */
function leftAs(report: HostReport): ReleaseOutcome {
  if (report.state !== 'failed' || report.outOfServiceUntil !== undefined) return { state: 'in-service' };
  return { state: 'out-of-service', reason: report.outOfServiceFrom === undefined ? `failed before it was drained: ${report.error ?? ''}` : `left out of service: ${report.error ?? ''}` };
}

/**
 * Leases of this batch's hosts when its rollout asks for them (batches started before leases
 * existed replay without). Restores always wait for their host; patching follows `onBusyHost`.
 */
function batchLeases(policy: RolloutPolicy, rolloutId: string, enabled: boolean | undefined) {
  const leases = enabled ? new HostLeases(rolloutId) : undefined;
  return {
    /** The host's lease (true), or, when another rollout has it and `onBusy` is not `wait`, that answer in words. */
    async take(host: ResolvedHost, report: HostReport, onBusy = policy.onBusyHost ?? 'wait'): Promise<true | string> {
      if (!leases) return true;
      const state = report.state;
      let answer;
      try {
        answer = await leases.acquire(host.name, budgetClaims(policy.disruptionBudget, host.tags), onBusy, (why) => Object.assign(report, { state: 'waiting', waiting: why }));
      } catch (err) {
        await leases.release(host.name, { state: 'untouched' });
        throw err;
      } finally {
        if (report.state === 'waiting') report.state = state;
        delete report.waiting;
      }
      return answer.kind === 'granted' || `busy: rollout ${answer.heldBy} has been changing it since ${new Date(answer.since).toISOString()}`;
    },
    async give(host: ResolvedHost, outcome: ReleaseOutcome): Promise<void> {
      await leases?.release(host.name, outcome);
    },
  };
}
type BatchLeases = ReturnType<typeof batchLeases>;

/** `restoreHost` under the host's lease (waiting for it whatever `onBusyHost` says: a patched host must go back). */
async function restoreLeased(leases: BatchLeases, steps: Steps, policy: RolloutPolicy, rollout: RolloutRef, host: ResolvedHost, report: HostReport): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    await leases.take(host, report, 'wait');
    try {
      await restoreHost(steps, policy, rollout, host, report, true, Date.now);
    } finally {
      await leases.give(host, leftAs(report));
    }
  });
}

/**
 * Restores a host's recorded versions, checks its health and puts it back in service, in a
 * non-cancellable scope: an abort must not leave a half-restored host. `report` is updated as it goes.
 */
export function restoreHost(steps: Steps, policy: RolloutPolicy, rollout: RolloutRef, host: ResolvedHost, report: HostReport, drainFirst: boolean, now: () => number): Promise<void> {
  const { rolloutId } = rollout;
  // Without a record here, the activity reads the one applyPatch left on the host.
  const record = report.record;
  return CancellationScope.nonCancellable(async () => {
    try {
      if (drainFirst) {
        Object.assign(report, { state: 'draining', outOfServiceFrom: now() });
        await runHook(steps, policy, rolloutId, host, 'drain', 'restore');
      }
      report.state = 'rolling-back';
      report.after = await steps.changing.rollbackHost({ ...rollout, host, strategy: policy.strategy, ...(record !== undefined ? { record } : {}), commandTimeoutMs: policy.commandTimeout });
      await steps.verifying.verifyHealth({ rolloutId, host, health: policy.health });
      await runHook(steps, policy, rolloutId, host, 'undrain', 'restore');
      Object.assign(report, { state: 'rolled-back', outOfServiceUntil: now() });
    } catch (err) {
      Object.assign(report, { state: 'failed', error: `${report.error ? `${report.error}; ` : ''}rollback failed: ${causeMessage(err)}` });
    }
  });
}

/**
 * Patches one batch of hosts, at most `parallelism` at a time: preflight → drain → record versions →
 * apply → reboot if needed → health checks → undrain. A host that fails is rolled back to its
 * recorded versions and verified; once failures pass what the rollout tolerates, no new host starts
 * and the batch's patched hosts are rolled back too (per the policy's rollback scope). Rollbacks run
 * in non-cancellable scopes: an abort never leaves a host half-patched.
 */
export async function patchBatchWorkflow(input: BatchInput): Promise<BatchResult> {
  const { policy, rolloutId } = input;
  const rollout: RolloutRef = { rolloutId, execution: input.execution };
  const steps = hostSteps(policy);
  const target = healthTarget(policy.strategy);

  const reports = new Map<string, HostReport>(input.names.map((name) => [name, { name, wave: input.wave, state: 'pending', attempts: 0 }]));
  setHandler(batchProgressQuery, () => [...reports.values()]);
  // The targets as they are now: a host that left the inventory since the rollout began is skipped.
  const { hosts, missing } = await resolveHosts(input.targets, input.names, input.policy);
  for (const name of missing) Object.assign(reports.get(name)!, { state: 'skipped', error: 'no longer in the inventory; not touched' });
  const report = (host: ResolvedHost) => reports.get(host.name)!;
  const set = (host: ResolvedHost, state: HostPhase, extra: Partial<HostReport> = {}) => Object.assign(report(host), { state }, extra);
  let paused = input.paused ?? false;
  let aborted = false;
  let halted = false;
  let failures = 0;
  const work = new CancellationScope();

  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(abortBatchSignal, () => {
    aborted = true;
    work.cancel();
  });

  const hook = (host: ResolvedHost, name: 'drain' | 'undrain' | 'pre' | 'post') => runHook(steps, policy, rolloutId, host, name, 'patch');
  const leases = batchLeases(policy, rolloutId, input.leases);
  const fail = (host: ResolvedHost, error: string) => {
    failures++;
    if (failures > input.failuresAllowed) halted = true;
    set(host, 'failed', { error });
  };

  /** One host under its lease: another rollout's host is waited for, skipped or failed, per `onBusyHost`. */
  const patchLeased = async (host: ResolvedHost) => {
    const lease = await leases.take(host, report(host));
    if (lease !== true) {
      if ((policy.onBusyHost ?? 'wait') === 'skip') set(host, 'skipped', { error: `${lease}; skipped (onBusyHost: skip)` });
      else fail(host, `${lease} (onBusyHost: fail)`);
      return;
    }
    if (halted) {
      // Another host passed the threshold while this one waited for its lease.
      await leases.give(host, { state: 'untouched' });
      set(host, 'skipped', { error: 'rollout halted: failure threshold passed' });
      return;
    }
    try {
      await patchHost(host);
    } finally {
      await leases.give(host, leftAs(report(host)));
    }
  };

  const patchHost = async (host: ResolvedHost) => {
    let record: VersionRecord | undefined;
    try {
      set(host, 'preflight');
      const pinned = baselineTarget(input, host.name);
      await hostChecks.preflightHost({ rolloutId, host });
      set(host, 'draining', { outOfServiceFrom: Date.now() });
      await hook(host, 'drain');
      await hook(host, 'pre');
      set(host, 'patching');
      record = await steps.recording.recordVersions({ ...rollout, host, strategy: policy.strategy, commandTimeoutMs: policy.commandTimeout, ...(pinned !== undefined ? { pinned } : {}) });
      set(host, 'patching', { record });
      const applied = await steps.changing.applyPatch({ ...rollout, host, strategy: policy.strategy, record, commandTimeoutMs: policy.commandTimeout });
      report(host).attempts += applied.alreadyApplied ? 0 : 1;
      if (policy.reboot.mode !== 'never') {
        set(host, 'rebooting');
        await steps.rebooting.rebootHost({ rolloutId, host, strategy: policy.strategy, reboot: policy.reboot });
      }
      set(host, 'verifying', { after: applied.installed });
      await steps.verifying.verifyHealth({ rolloutId, host, health: policy.health, ...(target !== undefined ? { target } : {}) });
      await hook(host, 'post');
      await hook(host, 'undrain');
      set(host, 'healthy', { outOfServiceUntil: Date.now() });
    } catch (err) {
      const cancelled = isCancellation(err);
      if (cancelled) set(host, 'failed', { error: 'aborted while in progress' });
      else fail(host, causeMessage(err));
      if (record !== undefined && (policy.rollback.scope !== 'none' || cancelled)) {
        await restoreHost(steps, policy, rollout, host, report(host), false, Date.now);
        // Say "rolled back" only when it was; a failed restore keeps its own explanation.
        if (!cancelled && report(host).state === 'rolled-back') report(host).error = `${causeMessage(err)} (rolled back)`;
      } else if (record === undefined && report(host).outOfServiceFrom !== undefined) {
        // Failed before anything changed (e.g. drain or preflight): just put it back in service.
        await CancellationScope.nonCancellable(async () => {
          await hook(host, 'undrain').catch(() => undefined);
          report(host).outOfServiceUntil = Date.now();
        });
      }
    }
  };

  try {
    await work.run(() =>
      mapWithConcurrency(hosts, Math.max(1, input.parallelism), async (host) => {
        await condition(() => !paused || halted || aborted);
        if (halted || aborted) {
          set(host, 'skipped', { error: aborted ? 'rollout aborted' : 'rollout halted: failure threshold passed' });
          return;
        }
        await patchLeased(host);
      }),
    );
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }

  // Halted (scope batch/all-patched) or aborted: the hosts this batch already patched go back too.
  if ((halted && policy.rollback.scope !== 'none') || aborted) {
    const toRestore = hosts.filter((h) => report(h).state === 'healthy' && report(h).record !== undefined);
    await mapWithConcurrency(toRestore, Math.max(1, input.parallelism), (h) => restoreLeased(leases, steps, policy, rollout, h, report(h)));
  }
  for (const h of hosts) if (report(h).state === 'pending' || report(h).state === 'waiting') set(h, 'skipped', { error: aborted ? 'rollout aborted' : 'rollout halted' });
  countHosts(policy, [...reports.values()]);
  return { hosts: [...reports.values()], failures, halted, aborted };
}

/**
 * With `packages: {baseline}`, the versions the wave's preflight fixed for the host; a host whose
 * scan failed fails here, before it is drained. Undefined for other strategies.
 */
function baselineTarget(input: BatchInput, host: string): Record<string, string> | undefined {
  if (strategyBaseline(input.policy.strategy) === undefined) return undefined;
  const target = input.baselineTargets?.[host];
  if (target !== undefined) return target;
  throw ApplicationFailure.nonRetryable(`${host}: ${input.baselineErrors?.[host] ?? 'the baseline preflight decided no versions for this host'}; nothing was changed`, FAILURE.PreflightFailed);
}

/** Rolls back hosts patched by earlier batches (rollback scope `all-patched`), from the records kept on each host. */
export async function rollbackHostsWorkflow(input: RolloutRef & { policy: RolloutPolicy; names: string[]; targets: TargetSet; parallelism: number; wave: number; leases?: boolean }): Promise<HostReport[]> {
  const steps = hostSteps(input.policy);
  const leases = batchLeases(input.policy, input.rolloutId, input.leases);
  const { hosts, missing } = await resolveHosts(input.targets, input.names, input.policy);
  const restored = await mapWithConcurrency(hosts, Math.max(1, input.parallelism), async (host) => {
    const report: HostReport = { name: host.name, wave: input.wave, state: 'healthy', attempts: 0 };
    await restoreLeased(leases, steps, input.policy, { rolloutId: input.rolloutId, execution: input.execution }, host, report);
    return report;
  });
  const reports = [...restored, ...missing.map((name): HostReport => ({ name, wave: input.wave, state: 'failed', attempts: 0, error: 'not rolled back: no longer in the inventory' }))];
  countHosts(input.policy, reports);
  return reports;
}

/** Inline targets are picked right here; by reference, an activity reads the source now (or the snapshot). The policy's `become` fills in. */
export async function resolveHosts(targets: TargetSet, names: string[], policy: RolloutPolicy): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
  const { hosts, missing } = targets.kind === 'inline' ? pickHosts(targets.hosts, names) : await inventoryReads.resolveTargets({ targets, names });
  return { hosts: withPolicyBecome(hosts, policy.become), missing };
}
