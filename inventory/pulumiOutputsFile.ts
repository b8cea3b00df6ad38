import { userInfo } from 'node:os';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { parsePolicyText } from '../policies/common/parse';
import { pulumiHostsToResolved, pulumiOutputsSchema, type InventorySource } from '../policies/inventory/sources';
import { readSourceFile } from './readFile';

/** What `pulumi stack output --json` printed, saved to a file: works without the Pulumi CLI. */
export async function readPulumiOutputsFile(source: Extract<InventorySource, { kind: 'pulumi-outputs-file' }>): Promise<ResolvedHost[]> {
  const outputs = parsePolicyText(readSourceFile(source.file), source.file, pulumiOutputsSchema(source.output));
  return pulumiHostsToResolved(outputs[source.output] ?? [], source, userInfo().username);
}
