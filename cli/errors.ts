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
