import { ApplicationFailure } from '@temporalio/activity';
import { installPlan, type PatchBaseline, type SimulatedChange } from '../../policies/compliance/baseline';
import { FAILURE } from '../../policies/common/failures';
import type { BaselinePackages } from '../../policies/rollout/policy';
import type { HostPlanOptions, StrategyContext } from './strategy';

/**
 * The baseline and the versions the rollout fixed for this host (`packages: {baseline}`). Both are
 * decided before the host is touched (policy read, preflight scan); missing either is a bug in the
 * caller, refused before anything changes.
 */
export function baselinePinned(ctx: StrategyContext, packages: BaselinePackages, options: HostPlanOptions): { baseline: PatchBaseline; pinned: Record<string, string> } {
  if (packages.definition === undefined) {
    throw ApplicationFailure.nonRetryable(`${ctx.host.name}: baseline ${packages.baseline} was not read with the policy (no definition): start the rollout with maint, which reads the baseline file`, FAILURE.PreflightFailed);
  }
  if (options.pinned === undefined) {
    throw ApplicationFailure.nonRetryable(`${ctx.host.name}: no approved versions of baseline ${packages.baseline} for this host: the rollout's preflight scan decides them`, FAILURE.PreflightFailed);
  }
  return { baseline: packages.definition, pinned: options.pinned };
}

/** Refuses (changing nothing) when installing `pinned` would install other versions, or pull in packages the baseline denies and `rejectAction` is `block`. */
export function checkBaselinePlan(ctx: StrategyContext, baseline: PatchBaseline, pinned: Record<string, string>, simulated: readonly SimulatedChange[]): void {
  const plan = installPlan(baseline, pinned, simulated);
  if (!plan.ok) throw ApplicationFailure.nonRetryable(`${ctx.host.name}: baseline ${baseline.name}: ${plan.error}; nothing was changed`, FAILURE.PreflightFailed);
}
