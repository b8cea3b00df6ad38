import { userInfo } from 'node:os';
import { inventorySchema, resolveInventory, type ResolvedHost } from '../policies/inventory/hosts';
import { parsePolicyText } from '../policies/common/parse';
import type { InventorySource } from '../policies/inventory/sources';
import { readSourceFile } from './readFile';

/** An Inventory YAML file (apiVersion maint/v1, kind Inventory). */
export async function readStaticInventory(source: Extract<InventorySource, { kind: 'static' }>): Promise<ResolvedHost[]> {
  return resolveInventory(parsePolicyText(readSourceFile(source.file), source.file, inventorySchema), userInfo().username);
}
