import { userInfo } from 'node:os';
import { inventorySchema, resolveInventory, type ResolvedHost } from '../policies/inventory';
import { parsePolicyText } from '../policies/parse';
import type { InventorySource } from '../policies/pulumiInventory';
import { readSourceFile } from './readFile';

/** An Inventory YAML file (apiVersion maint/v1, kind Inventory). */
export async function readStaticInventory(source: Extract<InventorySource, { kind: 'static' }>): Promise<ResolvedHost[]> {
  return resolveInventory(parsePolicyText(readSourceFile(source.file), source.file, inventorySchema), userInfo().username);
}
