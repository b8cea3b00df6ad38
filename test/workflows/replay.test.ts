import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReplayResult } from '../helpers/replayHistories';

const DIR = join(__dirname, 'replay');
const REPLAYER = join(__dirname, '..', '..', 'dist', 'test', 'helpers', 'replayHistories.js');

/**
 * Real histories of finished runs (recorded with MAINT_RECORD_HISTORIES=1 from rollout.test.ts,
 * continueAsNew.test.ts, serviceProbes.test.ts, e2e/dependencyUpdates.test.ts, e2e/dependencySplit.test.ts, e2e/reportMailCrash.test.ts and e2e/windowOccurrence.test.ts) must replay on today's workflow code:
 * a change that would break running executions fails here and needs `patched()` or worker versioning.
 */
describe('workflow code replays committed histories', () => {
  it('replays every committed history without nondeterminism, covering each long-running workflow', async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    const { stdout } = await promisify(execFile)(process.execPath, [REPLAYER, DIR], { maxBuffer: 16 * 1024 * 1024 });
    const results = stdout.trim().split('\n').map((line) => JSON.parse(line) as ReplayResult);
    expect(results.map((r) => r.file).sort()).toEqual(files.sort());
    expect(results.filter((r) => !r.ok)).toEqual([]);
    // What the committed histories cover: a history missing for one of these is a gap, not a pass.
    expect([...new Set(results.map((r) => r.workflowType))]).toEqual(expect.arrayContaining(['patchRolloutWorkflow', 'patchBatchWorkflow', 'dependencyUpdatesWorkflow', 'dependencyScanWorkflow', 'maintenanceWindowWorkflow', 'windowLaunchWorkflow', 'serviceProbesWorkflow', 'hostLeasesWorkflow', 'monthlyReportWorkflow']));
    // A rollout chain across continue-as-new: a run that continued as new and one that a run continued into.
    const rollouts = results.filter((r) => r.workflowType === 'patchRolloutWorkflow');
    expect(rollouts.some((r) => r.continuedAsNew)).toBe(true);
    expect(rollouts.some((r) => r.continued && !r.continuedAsNew)).toBe(true);
  }, 300_000); // 26 histories: about a minute on a quiet machine, minutes under load
});
