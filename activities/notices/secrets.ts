import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { secretEnvProblem, secretLimits } from '../../policies/common/environment';
import { FAILURE } from '../../policies/common/failures';

/** A secret a channel names: the variable or file, and the settings that named them (for errors). */
export interface SecretRef {
  env?: string | undefined;
  file?: string | undefined;
  /** The channel's settings, e.g. `smtp.passwordEnv` / `smtp.passwordFile`. */
  settings: { env: string; file: string };
}

/** A channel names a secret this worker does not allow (MAINT_SECRET_DIRS, MAINT_SECRET_ENV_PREFIX): a retry is refused just the same. */
function refused(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, FAILURE.SecretRefused);
}

/**
 * Reads a secret named by a channel (environment variable or file); the value is never logged.
 * Only what the worker allows is read: a file inside MAINT_SECRET_DIRS after its symlinks are
 * resolved, a variable with MAINT_SECRET_ENV_PREFIX and never the worker's own configuration, so
 * an organisation file cannot make the worker send its SSH key or payload key to a server.
 */
export function readSecret(ref: SecretRef, what: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const limits = secretLimits(env);
  if (ref.env !== undefined) {
    const problem = secretEnvProblem(ref.env, limits);
    if (problem !== undefined) throw refused(`${what}: ${ref.settings.env}: refused: ${problem}`);
    const value = env[ref.env];
    if (value === undefined || value === '') throw new Error(`${what}: environment variable ${ref.env} is not set on the worker`);
    return value;
  }
  if (ref.file !== undefined) {
    let real: string;
    try {
      real = realpathSync(ref.file);
    } catch (err) {
      throw new Error(`${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    if (limits.dirs !== undefined && !limits.dirs.some((dir) => inside(real, dir))) {
      throw refused(`${what}: ${ref.settings.file}: refused: ${ref.file}${real !== ref.file ? ` (${real})` : ''} is not in MAINT_SECRET_DIRS (${limits.dirs.join(':')})`);
    }
    try {
      return readFileSync(real, 'utf8').trim();
    } catch (err) {
      throw new Error(`${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
  return undefined;
}

function inside(file: string, dir: string): boolean {
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch {
    return false;
  }
  const rel = relative(realDir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
}

/** The URL a webhook or Slack channel posts to: written in the channel, or read now from the variable or file it names. */
export function channelUrl(channel: { name: string; url?: string; urlEnv?: string; urlFile?: string }): string {
  const url = channel.url ?? readSecret({ env: channel.urlEnv, file: channel.urlFile, settings: { env: 'urlEnv', file: 'urlFile' } }, `channel ${channel.name}`);
  if (url === undefined) throw new Error(`channel ${channel.name}: names no url, urlEnv or urlFile`);
  return url;
}
