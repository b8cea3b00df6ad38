/**
 * How the client side says an operation could not be done, so each face answers in its own terms
 * (the CLI maps them to exit codes, an HTTP API to statuses). Temporal being unreachable is
 * TemporalUnreachableError (control/connection.ts); a bad environment, EnvironmentError.
 */

/** What the caller gave (files, ids, names) is invalid or names nothing; nothing was done. CLI exit 2. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** A tool or credentials needed here are missing (the Pulumi CLI for a live stack). CLI exit 4. */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
}

/** The operation was asked for and refused or failed (a rollout refused an abort, or ended abnormally). CLI exit 1. */
export class OperationFailedError extends Error {
  override readonly name = 'OperationFailedError';
}
