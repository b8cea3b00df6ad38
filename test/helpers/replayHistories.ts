// Committed workflow histories (test/workflows/replay/): recorded from real test runs, and replayed
// against today's workflow code by the replay test. Replaying runs outside Jest (whose module
// registry trips protobufjs' JSON decoding): `node replayHistories.js DIR` prints one JSON line per history.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowsPath } from '../../worker';

/** Where the replay test finds the committed histories. */
export const REPLAY_DIR = join(__dirname, '..', 'workflows', 'replay');

/** One workflow run to record: its id, the run (the latest when omitted) and the file's name without `.json`. */
export interface RecordedRun {
  workflowId: string;
  runId?: string;
  file: string;
}

/**
 * With MAINT_RECORD_HISTORIES=1, saves these finished runs' real histories (as `temporal workflow
 * show --output json` prints them) to test/workflows/replay/, where the replay test checks that
 * today's workflow code still replays them (ENGINEERING.md). Otherwise does nothing. `server`
 * defaults to the run's dev server (globalSetup); a test with a server of its own passes it.
 */
export function recordHistories(runs: RecordedRun[], server: { address: string; cli: string } = { address: process.env.MAINT_TEST_TEMPORAL_ADDRESS!, cli: process.env.MAINT_TEST_TEMPORAL_CLI! }): void {
  if (!process.env.MAINT_RECORD_HISTORIES) return;
  for (const run of runs) {
    const args = ['workflow', 'show', '--workflow-id', run.workflowId, ...(run.runId ? ['--run-id', run.runId] : []), '--address', server.address, '--output', 'json'];
    writeFileSync(join(REPLAY_DIR, `${run.file}.json`), execFileSync(server.cli, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  }
}

/** A file-name label from a test's full name (Jest's currentTestName), without its describe block's name. */
export function historyLabel(testName: string, describeName: string): string {
  return testName.replace(describeName, '').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').slice(0, 40).toLowerCase();
}

/** What the replayer prints for one history file. */
export interface ReplayResult {
  file: string;
  ok: boolean;
  error?: string;
  workflowType?: string;
  /** The run was started by continue-as-new from an earlier run. */
  continued: boolean;
  /** The run ended by continuing as new. */
  continuedAsNew: boolean;
}

interface HistoryJson {
  events?: Array<{ eventType?: string; workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string }; continuedExecutionRunId?: string } }>;
}

async function main(dir: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as HistoryJson;
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const result: ReplayResult = {
      file, ok: true,
      ...(started?.workflowType?.name ? { workflowType: started.workflowType.name } : {}),
      continued: Boolean(started?.continuedExecutionRunId),
      continuedAsNew: history.events?.at(-1)?.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    };
    try {
      await Worker.runReplayHistory({ workflowsPath: workflowsPath(), replayName: file }, history);
    } catch (err) {
      Object.assign(result, { ok: false, error: err instanceof Error ? err.message : String(err) });
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

if (require.main === module) {
  main(process.argv[2] ?? '.').catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
