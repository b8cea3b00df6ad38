import { dependencyTitle, type DependencyManager } from './manager';
import { updatePyproject } from './python';

/**
 * pyproject.toml of Poetry: [tool.poetry.dependencies] and its groups, and (Poetry 2, which Renovate's
 * poetry manager also reads, superseding pep621 for the file) the PEP 621 [project] dependencies.
 */
export const poetryManager: DependencyManager = {
  prTitle: dependencyTitle,
  updateDependency: (config) => updatePyproject(config, true),
};
