import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { openStore, type Store } from '../../store';
import { workflowsPath } from '../../worker';

let runtimeInstalled = false;

/** Connects this test file to the run's dev server (started by globalSetup). */
export async function connectTestEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const address = process.env.MAINT_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('MAINT_TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (globalSetup starts the server)');
  return TestWorkflowEnvironment.createFromExistingServer({ address });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (it takes 1-2 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') });
  return bundle;
}

/** A task queue of its own for each test, so tests never steal each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}

/** A fresh, empty store (SQLite in a temporary directory, migrated) for one worker of a test. */
export function testStore(): Promise<Store> {
  return openStore({ engine: 'sqlite', file: join(mkdtempSync(join(tmpdir(), 'maint-store-')), 'store.db') });
}
