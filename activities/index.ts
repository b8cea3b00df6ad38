import type { Store } from '../store';
import type { SshConnector } from './hosts/ssh';
import { createDependencyActivities, type DependencyDeps } from './deps';
import { createFactsActivities } from './hosts/facts';
import { createInventoryActivities } from './inventory';
import { createNoticeActivities } from './notices';
import type { EmailSender } from './notices/email';
import { createPatchActivities } from './patch';
import { createScheduleActivities, type ScheduleDeps } from './windows/schedules';
import { createWindowActivities } from './windows/preflight';

/** Everything activities need from the outside world; tests pass real local services. */
export interface ActivityDeps {
  ssh: SshConnector;
  /** The store: the ledger of sent notices (idempotency across retries, worker crashes and workers). */
  store: Store;
  email?: EmailSender;
  /** A Temporal client for keeping window schedules filled; absent: schedules are only refreshed by `maint apply`. */
  schedules?: ScheduleDeps;
  /** GitHub, Renovate and a scratch directory for dependency runs; absent: those activities fail with a clear error. */
  dependencies?: DependencyDeps;
}

/** The one place activities are assembled (Temporal's dependency-injection pattern). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFactsActivities(deps),
    ...createPatchActivities(deps),
    ...createInventoryActivities(),
    ...createNoticeActivities(deps),
    ...createWindowActivities(deps),
    ...createScheduleActivities(deps.schedules),
    ...createDependencyActivities(deps.dependencies ?? unconfiguredDependencies),
  };
}

export type Activities = ReturnType<typeof createActivities>;

const unconfigured = async (): Promise<never> => {
  throw new Error('this worker was started without GitHub/Renovate configuration for dependency runs');
};
const unconfiguredDependencies: DependencyDeps = { depsWorkDir: '', github: unconfigured, renovate: unconfigured };
