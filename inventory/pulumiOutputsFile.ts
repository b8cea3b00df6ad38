import { userInfo } from 'node:os';
import { parsePolicyText } from '../policies/common/parse';
import { pulumiHostsToResolved, pulumiOutputsSchema } from '../policies/inventory/pulumiOutputs';
import { readSourceFile } from './readFile';
import type { HostSourceUnit } from './unit';

/** What `pulumi stack output --json` printed, saved to a file: works without the Pulumi CLI. */
export const pulumiOutputsFileSource: HostSourceUnit<'pulumi-outputs-file'> = {
  read: async (source) => {
    const outputs = parsePolicyText(readSourceFile(source.file), source.file, pulumiOutputsSchema(source.output));
    return pulumiHostsToResolved(outputs[source.output] ?? [], source, userInfo().username);
  },
  withAbsolutePaths: (source, absolute) => ({ ...source, file: absolute(source.file) }),
  describe: (source) => source.file,
  live: false,
};
