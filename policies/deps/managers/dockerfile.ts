import { autoReplace } from './autoReplace';
import { shortName, type DependencyManager } from './manager';

/** Dockerfile `FROM` lines: `image:tag[@digest]`. */
export const dockerfileManager: DependencyManager = {
  prTitle: (u, to) => `Update ${shortName(u.depName)} Docker tag to ${to}`,
  updateDependency: (config) => autoReplace(':', config),
};
