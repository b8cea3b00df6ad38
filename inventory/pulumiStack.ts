import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSourceOf } from '../policies/inventory/sources';
import { parsePolicyText } from '../policies/common/parse';
import { pulumiHostsToResolved, pulumiOutputsSchema } from '../policies/inventory/pulumiOutputs';
import { InventoryUnavailableError } from './errors';
import type { HostSourceUnit } from './unit';

export const PULUMI_CLI_HINT =
  'install the Pulumi CLI on the worker (https://www.pulumi.com/docs/iac/download-install/; PULUMI_CLI_PATH may name it), ' +
  'or use a pulumi-outputs-file source: `pulumi stack output --json > outputs.json`';

/** PULUMI_CLI_PATH, else `pulumi` on PATH. */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.PULUMI_CLI_PATH, ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'pulumi'))];
  return candidates.find((p): p is string => {
    if (!p) return false;
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A live Pulumi stack, read through the Automation API (`LocalWorkspace.selectStack` + `outputs()`);
 * needs the `pulumi` CLI and the stack's backend credentials (PULUMI_BACKEND_URL,
 * PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE) in the worker's environment.
 */
async function readPulumiStack(source: HostSourceOf<'pulumi-stack'>): Promise<ResolvedHost[]> {
  const cli = findPulumiCli();
  const where = `pulumi ${describe(source)} (${source.workDir})`;
  if (!cli) throw new InventoryUnavailableError(`${where}: the Pulumi CLI is not installed: ${PULUMI_CLI_HINT}`);
  const { LocalWorkspace, PulumiCommand } = await import('@pulumi/pulumi/automation/index.js');
  let outputs: Record<string, { value: unknown }>;
  try {
    const pulumiCommand = await PulumiCommand.get({ root: join(cli, '..', '..'), skipVersionCheck: true }).catch(() => PulumiCommand.get({ skipVersionCheck: true }));
    const stack = await LocalWorkspace.selectStack({ stackName: source.stack, workDir: source.workDir }, { pulumiCommand });
    outputs = await stack.outputs();
  } catch (err) {
    // Pulumi's own `error:` line says why (no such stack, backend not logged in, wrong passphrase).
    const text = err instanceof Error ? err.message : String(err);
    const reason = text.match(/^\s*error: (.+)$/m)?.[1] ?? text.split('\n').slice(0, 3).join(' ');
    throw new InventoryUnavailableError(`${where}: cannot read the outputs: ${reason}`, { cause: err });
  }
  const plain = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
  const parsed = parsePolicyText(JSON.stringify(plain, null, 2), where, pulumiOutputsSchema(source.output));
  return pulumiHostsToResolved(parsed[source.output] ?? [], source, userInfo().username);
}

const describe = (source: HostSourceOf<'pulumi-stack'>) => `stack ${source.stack}`;

export const pulumiStackSource: HostSourceUnit<'pulumi-stack'> = {
  read: readPulumiStack,
  withAbsolutePaths: (source, absolute) => ({ ...source, workDir: absolute(source.workDir) }),
  describe,
  live: true,
};
