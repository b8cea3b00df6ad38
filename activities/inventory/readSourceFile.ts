import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/activity';
import { PolicyError } from '../../policies/errors';

/** Reads a source file on the worker; a missing or invalid file is a permanent, clearly named failure. */
export function readSourceFile<T>(file: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`${file}: cannot read the inventory on the worker (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'InventoryUnavailable');
  }
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof PolicyError) throw ApplicationFailure.nonRetryable(err.message, 'InventoryInvalid');
    throw err;
  }
}
