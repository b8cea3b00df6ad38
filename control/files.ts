import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { expandHome } from '../activities/hosts/ssh';
import { EnvironmentError } from '../policies/common/environment';
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

/** Reads a file a variable names (a key, a certificate, a token); an unreadable one is an EnvironmentError naming both. */
export function readEnvironmentFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(expandHome(path));
  } catch (err) {
    throw new EnvironmentError(`${variable}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}
