import { CancellationScope, condition, getExternalWorkflowHandle, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BudgetClaim, LeaseAnswer, LeaseHolder, OnBusyHost, ReleaseOutcome } from '../policies/rollout/leases';
import { leaseUpkeep } from './activityProfiles';
import { hostLeasesWorkflowId } from './hostLeases';
import { leaseAnswerSignal, leaseReleaseSignal, leaseRequestSignal } from './messages';

/**
 * A batch's side of the host leases: ask for a host before changing it (waiting, when it must, for
 * the answer), give it back when done. One per batch workflow run, which is the holder.
 */
export class HostLeases {
  readonly holder: LeaseHolder;
  private readonly keeper: string;
  private readonly answers = new Map<string, LeaseAnswer>();

  constructor(rolloutId: string) {
    const info = workflowInfo();
    this.holder = { workflowId: info.workflowId, runId: info.runId, rolloutId };
    this.keeper = hostLeasesWorkflowId(info.taskQueue);
    setHandler(leaseAnswerSignal, (answer) => {
      // A final answer is not replaced by a late "still waiting".
      if (answer.kind === 'waiting' && (this.answers.get(answer.host)?.kind ?? 'waiting') !== 'waiting') return;
      this.answers.set(answer.host, answer);
    });
  }

  /**
   * The host's lease: `granted`, or `busy` (another rollout has it and `onBusy` is not `wait`).
   * `waiting` is called with the reason each time it changes. Cancelling the caller withdraws the request.
   */
  async acquire(host: string, budgets: BudgetClaim[], onBusy: OnBusyHost, waiting: (why: string) => void): Promise<Extract<LeaseAnswer, { kind: 'granted' | 'busy' }>> {
    this.answers.delete(host);
    const request = { holder: this.holder, host, budgets, onBusy, at: Date.now() };
    try {
      await getExternalWorkflowHandle(this.keeper).signal(leaseRequestSignal, request);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not running yet (the deployment's first rollout): start it with this request.
      await leaseUpkeep.requestLeaseStarting({ workflowId: this.keeper, taskQueue: workflowInfo().taskQueue, request });
    }
    for (;;) {
      await condition(() => this.answers.has(host));
      const answer = this.answers.get(host)!;
      if (answer.kind !== 'waiting') return answer;
      this.answers.delete(host);
      waiting(answer.blockedBy);
    }
  }

  /** Gives the host back (also a request still waiting), even from a cancelled scope. */
  release(host: string, outcome: ReleaseOutcome): Promise<void> {
    this.answers.delete(host);
    return CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(this.keeper).signal(leaseReleaseSignal, { holder: this.holder, host, outcome }).catch(() => undefined));
  }
}
