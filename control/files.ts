import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { PolicyError } from '../policies/common/errors';
import { parsePolicyText } from '../policies/common/parse';
import { InvalidInputError } from './errors';

/** Reads and validates one user file; any problem is an InvalidInputError naming file, path and expectation. */
export function readPolicyFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return parsePolicyText(text, file, schema);
  } catch (err) {
    if (err instanceof PolicyError) throw new InvalidInputError(err.message);
    throw err;
  }
}
