import { autoReplace } from './autoReplace';
import { shortName, type DependencyManager } from './manager';

/** Compose files' `image: name:tag[@digest]` of services without a `build:` (Renovate locates the image text). */
export const dockerComposeManager: DependencyManager = {
  prTitle: (u, to) => `Update ${shortName(u.depName)} Docker tag to ${to}`,
  updateDependency: (config) => autoReplace(':', config),
};
