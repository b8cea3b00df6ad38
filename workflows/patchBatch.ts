import { CancellationScope, condition, isCancellation, setHandler } from '@temporalio/workflow';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { RolloutPolicy } from '../policies/rollout/policy';
import type { BatchInput, BatchResult, HostPhase, HostReport, RolloutRef, TargetSet, VersionRecord } from '../policies/rollout/types';
import { healthTarget } from '../policies/rollout/strategies';
import { pickHosts } from '../policies/rollout/targets';
import { hostChecks, hostSteps, inventoryReads, type HostSteps as Steps } from './activityProfiles';
import { mapWithConcurrency } from './concurrency';
import { causeMessage } from './failures';
import { abortBatchSignal, batchProgressQuery, pauseSignal, resumeSignal } from './messages';


/** `phase` tells apart the same hook run while patching and again while restoring (its job key on the host). */
async function runHook(steps: Steps, policy: RolloutPolicy, rolloutId: string, host: ResolvedHost, name: 'drain' | 'undrain' | 'pre' | 'post', phase: 'patch' | 'restore'): Promise<void> {
  const command = policy.hooks[name];
  if (command !== undefined) await steps.changing.runHostHook({ rolloutId, host, hook: name, command, timeoutMs: policy.commandTimeout, attemptKey: phase });
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
  const { hosts, missing } = await resolveHosts(input.targets, input.names);
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

  const patchHost = async (host: ResolvedHost) => {
    let record: VersionRecord | undefined;
    try {
      set(host, 'preflight');
      await hostChecks.preflightHost({ rolloutId, host });
      set(host, 'draining', { outOfServiceFrom: Date.now() });
      await hook(host, 'drain');
      await hook(host, 'pre');
      set(host, 'patching');
      record = await steps.recording.recordVersions({ ...rollout, host, strategy: policy.strategy, commandTimeoutMs: policy.commandTimeout });
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
      if (!cancelled) {
        failures++;
        if (failures > input.failuresAllowed) halted = true;
      }
      set(host, 'failed', { error: cancelled ? 'aborted while in progress' : causeMessage(err) });
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
        await patchHost(host);
      }),
    );
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }

  // Halted (scope batch/all-patched) or aborted: the hosts this batch already patched go back too.
  if ((halted && policy.rollback.scope !== 'none') || aborted) {
    const toRestore = hosts.filter((h) => report(h).state === 'healthy' && report(h).record !== undefined);
    await mapWithConcurrency(toRestore, Math.max(1, input.parallelism), (h) => restoreHost(steps, policy, rollout, h, report(h), true, Date.now));
  }
  for (const h of hosts) if (report(h).state === 'pending') set(h, 'skipped', { error: aborted ? 'rollout aborted' : 'rollout halted' });
  return { hosts: [...reports.values()], failures, halted, aborted };
}

/** Rolls back hosts patched by earlier batches (rollback scope `all-patched`), from the records kept on each host. */
export async function rollbackHostsWorkflow(input: RolloutRef & { policy: RolloutPolicy; names: string[]; targets: TargetSet; parallelism: number; wave: number }): Promise<HostReport[]> {
  const steps = hostSteps(input.policy);
  const { hosts, missing } = await resolveHosts(input.targets, input.names);
  const restored = await mapWithConcurrency(hosts, Math.max(1, input.parallelism), async (host) => {
    const report: HostReport = { name: host.name, wave: input.wave, state: 'healthy', attempts: 0 };
    await restoreHost(steps, input.policy, { rolloutId: input.rolloutId, execution: input.execution }, host, report, true, Date.now);
    return report;
  });
  return [...restored, ...missing.map((name): HostReport => ({ name, wave: input.wave, state: 'failed', attempts: 0, error: 'not rolled back: no longer in the inventory' }))];
}

/** Inline targets are picked right here; by reference, an activity reads the source now. */
async function resolveHosts(targets: TargetSet, names: string[]): Promise<{ hosts: ResolvedHost[]; missing: string[] }> {
  if (targets.kind === 'inline') return pickHosts(targets.hosts, names);
  return inventoryReads.resolveTargets({ targets, names });
}
