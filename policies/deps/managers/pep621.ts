import { dependencyTitle, type DependencyManager } from './manager';
import { updatePyproject } from './python';

/** pyproject.toml [project] dependencies and optional-dependencies (PEP 621), and [dependency-groups]. */
export const pep621Manager: DependencyManager = {
  prTitle: dependencyTitle,
  updateDependency: (config) => updatePyproject(config, false),
};
