import { dirname, isAbsolute, resolve } from 'node:path';
import { InventoryUnavailableError, readInventorySource, selectHosts } from '../inventory';
import { PolicyError } from '../policies/common/errors';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { InventorySource } from '../policies/inventory/sources';
import { rolloutPolicySchema, type RolloutPolicy } from '../policies/rollout/policy';
import { SelectorSyntaxError } from '../policies/inventory/selector';
import { CliError, EXIT } from './errors';
import { readPolicyFile } from './files';

/** The policy's source with its paths made absolute (relative paths are relative to the policy file). */
export function policySource(policy: RolloutPolicy, policyFile: string): InventorySource {
  const source: InventorySource = policy.targets.source ?? { kind: 'static', file: policy.targets.inventory! };
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(dirname(policyFile), p));
  return source.kind === 'pulumi-stack' ? { ...source, workDir: absolute(source.workDir) } : { ...source, file: absolute(source.file) };
}

/** The hosts of a source picked by a selector, as the CLI sees them; problems become exit codes 2 and 4. */
export async function readHosts(source: InventorySource, selector?: string): Promise<ResolvedHost[]> {
  try {
    return selectHosts(await readInventorySource(source), selector);
  } catch (err) {
    if (err instanceof PolicyError || err instanceof SelectorSyntaxError) throw new CliError(EXIT.invalidInput, err.message);
    if (err instanceof InventoryUnavailableError) throw new CliError(source.kind === 'pulumi-stack' ? EXIT.missingTool : EXIT.invalidInput, err.message);
    throw err;
  }
}

/** Reads a rollout policy and the hosts it targets; every file is validated before anything starts. */
export async function loadRollout(file: string): Promise<{ policy: RolloutPolicy; hosts: ResolvedHost[]; source: InventorySource }> {
  const policy = readPolicyFile(file, rolloutPolicySchema);
  const source = policySource(policy, file);
  const hosts = await readHosts(source, policy.targets.selector);
  if (hosts.length === 0) {
    const from = source.kind === 'pulumi-stack' ? `stack ${source.stack}` : source.file;
    throw new CliError(EXIT.invalidInput, `${file}: targets select no hosts from ${from}${policy.targets.selector ? ` (selector "${policy.targets.selector}")` : ''}`);
  }
  return { policy, hosts, source };
}
