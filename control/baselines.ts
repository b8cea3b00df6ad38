import { dirname, isAbsolute, resolve } from 'node:path';
import { patchBaselineSchema } from '../policies/compliance/baseline';
import { formatProblems } from '../policies/common/errors';
import type { RolloutPolicy } from '../policies/rollout/policy';
import { strategyBaseline } from '../policies/rollout/strategies';
import { InvalidInputError } from './errors';
import { readPolicyFile } from './files';

/** Where a policy's `packages: {baseline: NAME}` is read from: `file` relative to the policy, else baselines/NAME.yaml beside it. */
export function baselineFile(policyFile: string, ref: { baseline: string; file?: string }): string {
  const file = ref.file ?? `baselines/${ref.baseline}.yaml`;
  return isAbsolute(file) ? file : resolve(dirname(policyFile), file);
}

/**
 * The policy with its `packages: {baseline}` read and carried in `definition` (what the worker
 * judges updates by). A missing or invalid file, or one whose `name` is not the one the policy
 * names, is an InvalidInputError naming the policy file, the path in it and the baseline file.
 */
export function withBaseline(policy: RolloutPolicy, policyFile: string): RolloutPolicy {
  const ref = strategyBaseline(policy.strategy);
  if (ref === undefined || ref.definition !== undefined) {
    if (ref?.definition !== undefined && ref.definition.name !== ref.baseline) {
      throw new InvalidInputError(formatProblems(policyFile, [{ path: 'strategy.packages.definition.name', message: `expected "${ref.baseline}" (the baseline named by strategy.packages.baseline), got "${ref.definition.name}"` }]));
    }
    return policy;
  }
  const file = baselineFile(policyFile, ref);
  let definition;
  try {
    definition = readPolicyFile(file, patchBaselineSchema);
  } catch (err) {
    throw new InvalidInputError(`${formatProblems(policyFile, [{ path: `strategy.packages${ref.file !== undefined ? '.file' : '.baseline'}`, message: `cannot use baseline ${ref.baseline} from ${file}` }])}\n${(err as Error).message}`);
  }
  if (definition.name !== ref.baseline) {
    throw new InvalidInputError(formatProblems(file, [{ path: 'name', message: `expected "${ref.baseline}" (as ${policyFile} names it at strategy.packages.baseline), got "${definition.name}"` }]));
  }
  return { ...policy, strategy: { ...policy.strategy, packages: { ...ref, definition } } as RolloutPolicy['strategy'] };
}
