import { managerFor } from './managers';
import { FileChangeError } from './managers/manager';
import type { DetectedUpdate } from './types';

/**
 * Writes `updates` (all of one file) into that file's text, changing only the version (and digest)
 * characters: indentation, key order, comments and the value's style stay as they are.
 */
export function applyUpdatesToText(file: string, text: string, updates: DetectedUpdate[]): string {
  let result = text;
  for (const u of updates) {
    if (u.packageFile !== file) throw new FileChangeError(file, u.depName, `update belongs to ${u.packageFile}`);
    const manager = managerFor(u.manager);
    if (manager === undefined) throw new FileChangeError(file, u.depName, `${u.manager} updates are reported, not written`);
    result = manager.updateDependency({ packageFile: file, fileContent: result, upgrade: u });
  }
  return result;
}
