import { userInfo } from 'node:os';
import { inventorySchema, resolveInventory } from '../policies/inventory/hosts';
import { parsePolicyText } from '../policies/common/parse';
import { readSourceFile } from './readFile';
import type { HostSourceUnit } from './unit';

/** An Inventory YAML file (apiVersion maint/v1, kind Inventory). */
export const staticSource: HostSourceUnit<'static'> = {
  read: async (source) => resolveInventory(parsePolicyText(readSourceFile(source.file), source.file, inventorySchema), userInfo().username),
  withAbsolutePaths: (source, absolute) => ({ ...source, file: absolute(source.file) }),
  describe: (source) => source.file,
  live: false,
};
