import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { LeaseBook, type LeaseBookState, type LeaseHolder, type Reply } from '../policies/rollout/leases';
import { leaseUpkeep } from './activityProfiles';
import { clearHostsUpdate, leaseAnswerSignal, leaseReleaseSignal, leaseRequestSignal, leasesQuery } from './messages';

/** One lease workflow per deployment (workflow task queue): every rollout of it shares its hosts' leases and budgets. */
export function hostLeasesWorkflowId(taskQueue: string): string {
  return `host-leases-${taskQueue}`;
}

/** How often the holders' workflows are checked: a terminated rollout's leases are taken back within two checks (≤ 60 s). */
export const HOLDER_CHECK_MS = 30_000;
/** History stays below this many events (then continue-as-new carries the book). */
const MAX_HISTORY = 2_000;

/**
 * Host leases and disruption budgets for a deployment (policies/rollout/leases.ts): batches signal
 * requests and releases; answers go back as signals to the asking batch run. Holders whose run has
 * ended without releasing (terminated, timed out) are found in two checks {@link HOLDER_CHECK_MS} apart and their
 * hosts counted out of service until a person clears them. Runs for as long as the deployment,
 * continuing as new to keep its history short.
 */
export async function hostLeasesWorkflow(state?: LeaseBookState): Promise<void> {
  const book = new LeaseBook(state);
  const unreachable: LeaseHolder[] = [];
  let sending = 0;
  const send = (replies: Reply[]) => {
    for (const { to, answer } of replies) {
      sending++;
      void getExternalWorkflowHandle(to.workflowId, to.runId).signal(leaseAnswerSignal, answer)
        // The holder's run is gone: whatever it held is released as by an ended holder.
        .catch(() => void unreachable.push(to))
        .finally(() => void sending--);
    }
  };

  setHandler(leaseRequestSignal, (request) => send(book.request(request)));
  setHandler(leaseReleaseSignal, ({ holder, host, outcome }) => send(book.release(holder, host, outcome, Date.now())));
  setHandler(leasesQuery, () => ({ ...book.state(), budgets: book.budgets() }));
  setHandler(clearHostsUpdate, ({ hosts }) => {
    const { replies, ...result } = book.clear(hosts);
    send(replies);
    return result;
  }, { validator: ({ hosts }) => {
    if (hosts.length === 0) throw new Error('name at least one host');
  } });

  const rollOver = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY;
  let lastCheck = Date.now();
  let endedBefore = new Set<string>();
  for (;;) {
    const watching = book.holders().length > 0;
    const wake = () => unreachable.length > 0 || rollOver();
    if (watching) await condition(wake, Math.max(1, lastCheck + HOLDER_CHECK_MS - Date.now()));
    else await condition(() => wake() || book.holders().length > 0);
    if (unreachable.length > 0) send(book.holdersEnded(unreachable.splice(0), Date.now()));
    if (!watching) {
      lastCheck = Date.now();
    } else if (Date.now() >= lastCheck + HOLDER_CHECK_MS) {
      // Seen ended twice: a run that released its hosts just before it ended has had its releases delivered by then.
      const ended = await leaseUpkeep.endedHolders({ holders: book.holders() });
      const key = (h: LeaseHolder) => `${h.workflowId}/${h.runId}`;
      const twice = ended.filter((h) => endedBefore.has(key(h)));
      endedBefore = new Set(ended.map(key));
      if (twice.length > 0) send(book.holdersEnded(twice, Date.now()));
      lastCheck = Date.now();
    }
    if (rollOver()) {
      await condition(() => allHandlersFinished() && sending === 0);
      await continueAsNew<typeof hostLeasesWorkflow>(book.state());
    }
  }
}
