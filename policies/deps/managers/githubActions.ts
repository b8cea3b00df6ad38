import { autoReplace } from './autoReplace';
import type { DependencyManager } from './manager';

/** Workflow `uses:` lines: `owner/repo@ref`, a pinned SHA keeping its `# v4.1.0` comment. */
export const githubActionsManager: DependencyManager = {
  prTitle: (u, to) => `Update ${u.depName} action to ${to}`,
  updateDependency: (config) => autoReplace('@', config),
};
