import type { SshConnector } from './hosts/ssh';
import { createFactsActivities } from './hosts/facts';
import { createInventoryActivities } from './inventory';
import { createPatchActivities } from './patch';

/** Everything activities need from the outside world; tests pass real local services. */
export interface ActivityDeps {
  ssh: SshConnector;
}

/** The one place activities are assembled (Temporal's dependency-injection pattern). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFactsActivities(deps),
    ...createPatchActivities(deps),
    ...createInventoryActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;
