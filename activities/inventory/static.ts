import { userInfo } from 'node:os';
import { inventorySchema, resolveInventory, type ResolvedHost } from '../../policies/inventory';
import { parsePolicyText } from '../../policies/parse';
import type { InventorySource } from '../../policies/pulumiInventory';
import { readSourceFile } from './readSourceFile';

/** An Inventory YAML file (apiVersion maint/v1, kind Inventory). */
export function readStaticInventory(source: Extract<InventorySource, { kind: 'static' }>): ResolvedHost[] {
  return resolveInventory(readSourceFile(source.file, (text) => parsePolicyText(text, source.file, inventorySchema)), userInfo().username);
}
