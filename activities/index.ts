import type { ActivityDomain } from '../policies/common/taskQueues';
import type { Store } from '../store';
import type { SshConnector } from './hosts/ssh';
import { createComplianceActivities } from './compliance';
import { createDependencyActivities, type DependencyDeps } from './deps';
import { createFactsActivities } from './hosts/facts';
import { createInventoryActivities } from './inventory';
import { createNoticeActivities } from './notices';
import type { EmailSender } from './notices/email';
import { createPatchActivities } from './patch';
import { createProbeActivities } from './probes';
import { createReportActivities } from './reports';
import { createGateActivities } from './gate';
import { createBudgetActivities } from './windows/budgets';
import { createLeaseActivities } from './leases';
import { createScheduleActivities, type ScheduleDeps } from './windows/schedules';
import { createWindowActivities } from './windows/preflight';

/** Everything activities need from the outside world; tests pass real local services. */
export interface ActivityDeps {
  ssh: SshConnector;
  /** The store: the ledger of sent notices (idempotency across retries, worker crashes and workers), inventory snapshots, … */
  store: Store;
  email?: EmailSender;
  /** A Temporal client for keeping window schedules filled; absent: schedules are only refreshed by `maint apply`. */
  schedules?: ScheduleDeps;
  /** GitHub, Renovate and a scratch directory for dependency runs; absent: those activities fail with a clear error. */
  dependencies?: DependencyDeps;
}

/**
 * The one place activities are assembled (Temporal's dependency-injection pattern), by the domain
 * whose task queue they run on (policies/common/taskQueues.ts): a worker serving a domain registers
 * only its activities, and workflows reach each through a profile of that domain.
 */
export function createDomainActivities(deps: ActivityDeps) {
  return {
    hosts: {
      ...createFactsActivities(deps),
      ...createPatchActivities(deps),
      ...createWindowActivities(deps),
      ...createGateActivities(),
      ...createComplianceActivities(deps),
    },
    dependencies: createDependencyActivities(deps.dependencies ?? unconfiguredDependencies),
    control: {
      ...createInventoryActivities(deps),
      ...createNoticeActivities(deps),
      ...createScheduleActivities(deps.schedules),
      ...createProbeActivities(deps),
      ...createLeaseActivities(deps),
      ...createBudgetActivities(deps),
      ...createReportActivities(deps),
    },
  } satisfies Record<ActivityDomain, object>;
}

export type DomainActivities = ReturnType<typeof createDomainActivities>;

/** Every activity, whatever its domain. */
export function createActivities(deps: ActivityDeps): Activities {
  const domains = createDomainActivities(deps);
  return { ...domains.hosts, ...domains.dependencies, ...domains.control };
}

export type Activities = DomainActivities['hosts'] & DomainActivities['dependencies'] & DomainActivities['control'];

const unconfigured = async (): Promise<never> => {
  throw new Error('this worker was started without GitHub/Renovate configuration for dependency runs');
};
const unconfiguredDependencies: DependencyDeps = { depsWorkDir: '', github: unconfigured, renovate: unconfigured };
