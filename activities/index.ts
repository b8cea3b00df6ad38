import type { SshConnector } from './hosts/ssh';
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
  /** Ledger of sent notices (idempotency across retries and worker crashes). */
  noticeLedgerDir: string;
  email?: EmailSender;
  /** A Temporal client for keeping window schedules filled; absent: schedules are only refreshed by `maint apply`. */
  schedules?: ScheduleDeps;
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
