import { TemporalUnreachableError } from '../control/connection';
import { InvalidInputError, MissingToolError, OperationFailedError } from '../control/errors';
import { EnvironmentError } from '../policies/common/environment';
import { MigrationError, StoreUnavailableError } from '../store';

/**
 * Exit codes scripts can rely on:
 *   0 success · 1 the operation ran and something failed (a host, a check) · 2 invalid input
 *   (files, flags, environment) · 3 Temporal unreachable · 4 a required tool is missing
 */
export const EXIT = { ok: 0, failed: 1, invalidInput: 2, temporalUnreachable: 3, missingTool: 4 } as const;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The exit code of an error the CLI or the client side raised on purpose (its message is the whole story); undefined for anything else. */
export function exitCodeOf(err: unknown): number | undefined {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof InvalidInputError || err instanceof EnvironmentError) return EXIT.invalidInput;
  if (err instanceof TemporalUnreachableError) return EXIT.temporalUnreachable;
  if (err instanceof MissingToolError) return EXIT.missingTool;
  if (err instanceof OperationFailedError || err instanceof StoreUnavailableError || err instanceof MigrationError) return EXIT.failed;
  return undefined;
}
