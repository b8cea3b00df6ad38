/**
 * A compile-time test (tsc type-checks all of test/; Jest never runs this file): a host source
 * registry that leaves out a kind does not compile. If HostSourceRegistry stopped requiring every
 * `HostSource['kind']` (say, it became a Partial or a string-keyed record), the directive below
 * would have no error to expect, and the type-check would fail with "Unused '@ts-expect-error'".
 */
import type { HostSourceRegistry } from '../../inventory';
import { pulumiOutputsFileSource } from '../../inventory/pulumiOutputsFile';
import { staticSource } from '../../inventory/static';

// @ts-expect-error -- 'pulumi-stack' is missing: a new kind in policies/inventory/sources.ts needs its unit here.
export const withoutPulumiStack: HostSourceRegistry = {
  static: staticSource,
  'pulumi-outputs-file': pulumiOutputsFileSource,
};
