import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ApplicationFailure } from '@temporalio/activity';
import { PolicyError } from '../../policies/errors';
import { inventorySchema, resolveInventory, type ResolvedHost } from '../../policies/inventory';
import { parsePolicyText } from '../../policies/parse';
import { matchesSelector, parseSelector } from '../../policies/selector';

/** Reads an inventory file on the worker, as it is now, and applies the selector. */
export function readInventoryFile(file: string, selector?: string): ResolvedHost[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ApplicationFailure.nonRetryable(`${file}: cannot read the inventory on the worker (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'InventoryUnavailable');
  }
  let hosts: ResolvedHost[];
  try {
    hosts = resolveInventory(parsePolicyText(text, file, inventorySchema), userInfo().username);
  } catch (err) {
    if (err instanceof PolicyError) throw ApplicationFailure.nonRetryable(err.message, 'InventoryInvalid');
    throw err;
  }
  if (selector === undefined) return hosts;
  const terms = parseSelector(selector);
  return hosts.filter((h) => matchesSelector(h.tags, terms));
}
