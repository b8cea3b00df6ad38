import type { PrManager } from '../../../policies/deps/types';
import { isPrManager } from '../../../policies/deps/managers';
import { noArtifacts, type ManagerArtifacts } from './artifacts';
import { gomodArtifacts } from './gomod';
import { npmArtifacts } from './npm';
import { pipRequirementsArtifacts, pyprojectArtifacts } from './python';

export type { UpdateArtifact } from './artifacts';

/** The artifacts of every manager we open PRs for (`PR_MANAGERS`): a manager left out does not compile. */
export type ArtifactRegistry = { [K in PrManager]: ManagerArtifacts };

/** Artifact refresh by manager; adding a manager is one line here (and its unit in policies/deps/managers/). */
const ARTIFACTS: ArtifactRegistry = {
  npm: npmArtifacts,
  dockerfile: noArtifacts,
  'github-actions': noArtifacts,
  'docker-compose': noArtifacts,
  'helm-values': noArtifacts,
  pip_requirements: pipRequirementsArtifacts,
  pep621: pyprojectArtifacts,
  poetry: pyprojectArtifacts,
  gomod: gomodArtifacts,
  // A POM has no lockfile; what Maven resolves is the file itself.
  maven: noArtifacts,
};

/** The artifact refresh of a manager we open PRs for; none for the others (their updates are never written). */
export function artifactsFor(manager: string): ManagerArtifacts {
  return isPrManager(manager) ? ARTIFACTS[manager] : noArtifacts;
}
