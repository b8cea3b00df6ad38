import type { DetectedUpdate } from '../types';

/** An update could not be written into its file: nothing of the group is committed. */
export class FileChangeError extends Error {
  constructor(
    readonly file: string,
    readonly depName: string,
    message: string,
  ) {
    super(`${file}: ${depName}: ${message}`);
    this.name = 'FileChangeError';
  }
}

/** Renovate's UpdateDependencyConfig: one file's text and one update of a dependency declared in it. */
export interface UpdateDependencyConfig {
  packageFile: string;
  fileContent: string;
  upgrade: DetectedUpdate;
}

/**
 * The pure half of a Renovate manager we open PRs for, shaped like Renovate's `ManagerApi`
 * (lib/modules/manager/types.ts): one file per manager in this folder, registered in index.ts. Its
 * I/O half (`updateArtifacts`: lockfiles) is activities/deps/managers/<manager>.ts. Renovate itself
 * does the extraction and lookup (activities/renovate).
 */
export interface DependencyManager {
  /** The title of a PR that carries this one update; `to` is its new value (with the digest when only that changes). */
  prTitle(update: DetectedUpdate, to: string): string;
  /**
   * Renovate's `updateDependency`: `fileContent` with the update written in, changing only the
   * version (and digest) characters, or unchanged when it already holds it (a retried run).
   * Throws {@link FileChangeError} when the file no longer holds what the scan saw.
   */
  updateDependency(config: UpdateDependencyConfig): string;
}

/** Renovate's default PR title. */
export function dependencyTitle(update: DetectedUpdate, to: string): string {
  return `Update dependency ${update.depName} to ${to}`;
}

/** `depName` without a registry host: 127.0.0.1:5000/library/node → library/node. */
export function shortName(depName: string): string {
  return depName.replace(/^[^/]*[.:][^/]*\//, '');
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
