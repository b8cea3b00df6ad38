import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { PolicyError } from '../policies/common/errors';
import { parsePolicyText } from '../policies/common/parse';
import { CliError, EXIT } from './errors';

/** Reads and validates one user file; any problem is an exit-2 error naming file, path and expectation. */
export function readPolicyFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(EXIT.invalidInput, `${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parsePolicyText(text, file, schema);
  } catch (err) {
    if (err instanceof PolicyError) throw new CliError(EXIT.invalidInput, err.message);
    throw err;
  }
}
