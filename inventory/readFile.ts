import { readFileSync } from 'node:fs';
import { InventoryUnavailableError } from './errors';

export function readSourceFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InventoryUnavailableError(`${file}: cannot read the inventory (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
}
