import { PR_MANAGERS, type PrManager } from '../types';
import { dockerComposeManager } from './dockerCompose';
import { dockerfileManager } from './dockerfile';
import { githubActionsManager } from './githubActions';
import { gomodManager } from './gomod';
import { helmValuesManager } from './helmValues';
import type { DependencyManager } from './manager';
import { mavenManager } from './maven';
import { npmManager } from './npm';
import { pep621Manager } from './pep621';
import { pipRequirementsManager } from './pipRequirements';
import { poetryManager } from './poetry';

/** One unit per manager we open PRs for (`PR_MANAGERS`): a manager left out does not compile. */
export type ManagerRegistry = { [K in PrManager]: DependencyManager };

/** The managers by Renovate's name; adding one is a new file plus one line here (and its artifacts in activities/deps/managers/). */
const MANAGERS: ManagerRegistry = {
  npm: npmManager,
  dockerfile: dockerfileManager,
  'github-actions': githubActionsManager,
  'docker-compose': dockerComposeManager,
  'helm-values': helmValuesManager,
  pip_requirements: pipRequirementsManager,
  pep621: pep621Manager,
  poetry: poetryManager,
  gomod: gomodManager,
  maven: mavenManager,
};

export function isPrManager(manager: string): manager is PrManager {
  return (PR_MANAGERS as readonly string[]).includes(manager);
}

/** The unit of a manager we open PRs for; undefined for the others (their updates are only reported). */
export function managerFor(manager: string): DependencyManager | undefined {
  return isPrManager(manager) ? MANAGERS[manager] : undefined;
}
