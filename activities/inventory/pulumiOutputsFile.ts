import { userInfo } from 'node:os';
import type { ResolvedHost } from '../../policies/inventory';
import { parsePolicyText } from '../../policies/parse';
import { pulumiHostsToResolved, pulumiOutputsSchema, type InventorySource } from '../../policies/pulumiInventory';
import { readSourceFile } from './readSourceFile';

/** What `pulumi stack output --json` printed, saved to a file: works without the Pulumi CLI. */
export function readPulumiOutputsFile(source: Extract<InventorySource, { kind: 'pulumi-outputs-file' }>): ResolvedHost[] {
  const outputs = readSourceFile(source.file, (text) => parsePolicyText(text, source.file, pulumiOutputsSchema(source.output)));
  return pulumiHostsToResolved(outputs[source.output] ?? [], source, userInfo().username);
}
