// Starts ONE Temporal dev server (the real binary) for the whole Jest run; test files connect to
// it with createFromExistingServer (see temporal.ts). globalTeardown stops it, pass or fail.
// First, dist/ is rebuilt if any source is newer: e2e, bench and replay tests run dist/.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli, TEMPORAL_CLI_HINT } from '../../cli/temporalCli';
import { ensureFreshBuild } from './build';

export default async function globalSetup(): Promise<void> {
  await ensureFreshBuild();
  const cli = findTemporalCli();
  if (!cli) throw new Error(`tests need the Temporal CLI: ${TEMPORAL_CLI_HINT}`);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: cli.path },
      ip: '127.0.0.1',
      ui: false,
      extraArgs: ['--log-level', 'error'],
    },
  });
  process.env.MAINT_TEST_TEMPORAL_ADDRESS = env.address;
  process.env.MAINT_TEST_TEMPORAL_CLI = cli.path;
  (globalThis as { __maintTemporal?: TestWorkflowEnvironment }).__maintTemporal = env;
}
