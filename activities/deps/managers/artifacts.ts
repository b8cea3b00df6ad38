import type { RepositoryPlan } from '../../../policies/deps/resolve';
import type { DetectedUpdate } from '../../../policies/deps/types';
import type { FileChange } from '../../github/port';

/** Renovate's UpdateArtifact: one package file whose updates were written, on a checkout. */
export interface UpdateArtifact {
  /** The checkout; the package file there still holds `packageFileContent`. */
  checkoutDir: string;
  /** Relative to the repository root (normalized, inside it). */
  packageFileName: string;
  updatedDeps: DetectedUpdate[];
  packageFileContent: string;
  newPackageFileContent: string;
  config: { registries: RepositoryPlan['registries']; heartbeat(step: string): void };
}

/**
 * The I/O half of a manager we open PRs for (the pure half is policies/deps/managers/<manager>.ts),
 * as Renovate's `ManagerApi.updateArtifacts`: the other files the PR must change with the package
 * file (a lockfile), read and refreshed on the checkout. One file per manager, registered in index.ts.
 */
export interface ManagerArtifacts {
  updateArtifacts(artifact: UpdateArtifact): Promise<FileChange[]>;
}

/** For managers whose package file is all there is (Dockerfile, workflow files). */
export const noArtifacts: ManagerArtifacts = { updateArtifacts: async () => [] };
