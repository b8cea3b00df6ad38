/**
 * Host leases and disruption budgets, as pure bookkeeping: one maintenance per host at a time, and
 * never more hosts of a budget group (e.g. `service=web`) out of service than its `maxUnavailable`,
 * whichever rollouts they are in. The lease workflow (workflows/hostLeases.ts) keeps one book per
 * deployment and applies the requests, releases and clears it receives, in the order it gets them.
 */

/** Who holds or asks for a lease: a batch workflow run (its rollout for people to read). */
export interface LeaseHolder {
  workflowId: string;
  runId: string;
  rolloutId: string;
}

/** A budget group a host belongs to, with the limit the asking rollout declares for it. */
export interface BudgetClaim {
  /** `tag=value`, e.g. `service=web`. */
  key: string;
  maxUnavailable: number;
}

export type OnBusyHost = 'wait' | 'skip' | 'fail';

export interface LeaseRequest {
  holder: LeaseHolder;
  host: string;
  budgets: BudgetClaim[];
  /** What to do when another holder has the host: queue, or answer `busy` at once. A full budget is always waited for. */
  onBusy: OnBusyHost;
  /** Epoch ms the request was made (for people: how long it has waited). */
  at: number;
}

export interface Lease {
  host: string;
  holder: LeaseHolder;
  budgets: BudgetClaim[];
  since: number;
}

/** A host we know is out of service although nobody is changing it (a failed restore, a drained host left for people). */
export interface DownHost {
  host: string;
  budgets: BudgetClaim[];
  since: number;
  reason: string;
  rolloutId: string;
}

export interface Waiter extends LeaseRequest {
  /** Why it waits, in words (refreshed whenever the book changes). */
  blockedBy: string;
}

export type LeaseAnswer =
  | { kind: 'granted'; host: string }
  | { kind: 'waiting'; host: string; blockedBy: string }
  | { kind: 'busy'; host: string; heldBy: string; since: number };

/**
 * How a holder leaves the host: back in service; out of service (counted until a person clears it or
 * a later rollout puts it back); or untouched (it never got to change it: whatever was known stays).
 */
export type ReleaseOutcome = { state: 'in-service' } | { state: 'out-of-service'; reason: string } | { state: 'untouched' };

export interface LeaseBookState {
  leases: Lease[];
  down: DownHost[];
  waiting: Waiter[];
}

export interface BudgetUse {
  key: string;
  maxUnavailable: number;
  unavailable: Array<{ host: string; why: string }>;
}

/** An answer to send to a holder (the workflow signals it). */
export interface Reply {
  to: LeaseHolder;
  answer: LeaseAnswer;
}

const sameHolder = (a: LeaseHolder, b: LeaseHolder) => a.workflowId === b.workflowId && a.runId === b.runId;

export class LeaseBook {
  private readonly leases = new Map<string, Lease>();
  private readonly down = new Map<string, DownHost>();
  private waiting: Waiter[] = [];

  constructor(state?: LeaseBookState) {
    for (const l of state?.leases ?? []) this.leases.set(l.host, l);
    for (const d of state?.down ?? []) this.down.set(d.host, d);
    this.waiting = [...(state?.waiting ?? [])];
  }

  state(): LeaseBookState {
    const byHost = (a: { host: string }, b: { host: string }) => a.host.localeCompare(b.host);
    return { leases: [...this.leases.values()].sort(byHost), down: [...this.down.values()].sort(byHost), waiting: this.waiting.map((w) => ({ ...w })) };
  }

  /** Anything to watch: holders whose workflows may end without releasing. */
  holders(): LeaseHolder[] {
    const all = [...this.leases.values()].map((l) => l.holder).concat(this.waiting.map((w) => w.holder));
    return all.filter((h, i) => all.findIndex((o) => sameHolder(o, h)) === i);
  }

  /**
   * A request: granted when the host is free (or already this holder's) and every budget it is in has
   * room; else queued (`wait`, or a full budget) or answered busy (`skip`/`fail` and another holder has it).
   */
  request(req: LeaseRequest): Reply[] {
    const held = this.leases.get(req.host);
    if (held && sameHolder(held.holder, req.holder)) return [{ to: req.holder, answer: { kind: 'granted', host: req.host } }];
    if (held && req.onBusy !== 'wait') {
      return [{ to: req.holder, answer: { kind: 'busy', host: req.host, heldBy: held.holder.rolloutId, since: held.since } }];
    }
    this.waiting = this.waiting.filter((w) => !(w.host === req.host && sameHolder(w.holder, req.holder)));
    const blockedBy = this.blocker(req);
    if (blockedBy === undefined) {
      this.grant(req);
      return [{ to: req.holder, answer: { kind: 'granted', host: req.host } }];
    }
    this.waiting.push({ ...req, blockedBy });
    return [{ to: req.holder, answer: { kind: 'waiting', host: req.host, blockedBy } }];
  }

  /**
   * The holder is done with the host (or gives up waiting for it). Out of service, the host keeps
   * counting against its budgets; back in service, an earlier down mark is cleared. Waiters that now
   * fit are granted, first come first served.
   */
  release(holder: LeaseHolder, host: string, outcome: ReleaseOutcome, now: number): Reply[] {
    this.waiting = this.waiting.filter((w) => !(w.host === host && sameHolder(w.holder, holder)));
    const held = this.leases.get(host);
    if (held && sameHolder(held.holder, holder)) {
      this.leases.delete(host);
      if (outcome.state === 'in-service') this.down.delete(host);
      else if (outcome.state === 'out-of-service') this.down.set(host, { host, budgets: held.budgets, since: this.down.get(host)?.since ?? now, reason: outcome.reason, rolloutId: holder.rolloutId });
    }
    return this.grantWaiting();
  }

  /**
   * Holders whose workflows have ended without releasing (terminated, timed out): their leases go,
   * and the hosts they were changing count as out of service until a person looks (`maint hosts release`).
   */
  holdersEnded(ended: LeaseHolder[], now: number): Reply[] {
    const gone = (h: LeaseHolder) => ended.some((e) => sameHolder(e, h));
    this.waiting = this.waiting.filter((w) => !gone(w.holder));
    for (const lease of [...this.leases.values()].filter((l) => gone(l.holder))) {
      this.leases.delete(lease.host);
      this.down.set(lease.host, {
        host: lease.host, budgets: lease.budgets, since: now, rolloutId: lease.holder.rolloutId,
        reason: `rollout ${lease.holder.rolloutId} ended while it was changing the host; check it, then maint hosts release ${lease.host}`,
      });
    }
    return this.grantWaiting();
  }

  /** A person says these hosts are back in service. A host leased now cannot be cleared (it is being changed). */
  clear(hosts: string[]): { cleared: DownHost[]; leased: Lease[]; unknown: string[]; replies: Reply[] } {
    const cleared: DownHost[] = [];
    const leased: Lease[] = [];
    const unknown: string[] = [];
    for (const host of hosts) {
      const lease = this.leases.get(host);
      const mark = this.down.get(host);
      if (lease) leased.push(lease);
      else if (mark) {
        this.down.delete(host);
        cleared.push(mark);
      } else unknown.push(host);
    }
    return { cleared, leased, unknown, replies: cleared.length > 0 ? this.grantWaiting() : [] };
  }

  /** Every budget group someone holds, waits for or left a host down in, with what counts against it. */
  budgets(): BudgetUse[] {
    const keys = new Map<string, number>();
    for (const c of this.claims()) keys.set(c.key, Math.min(keys.get(c.key) ?? Infinity, c.maxUnavailable));
    return [...keys].sort(([a], [b]) => a.localeCompare(b)).map(([key, maxUnavailable]) => ({ key, maxUnavailable, unavailable: this.unavailableIn(key) }));
  }

  private claims(): BudgetClaim[] {
    return [...this.leases.values(), ...this.down.values(), ...this.waiting].flatMap((x) => x.budgets);
  }

  /** The strictest limit anyone holding, waiting or left down in the group declares (while they are around). */
  private limitFor(claim: BudgetClaim): number {
    let limit = claim.maxUnavailable;
    for (const c of this.claims()) if (c.key === claim.key && c.maxUnavailable < limit) limit = c.maxUnavailable;
    return limit;
  }

  private grant(req: LeaseRequest): void {
    this.leases.set(req.host, { host: req.host, holder: req.holder, budgets: req.budgets, since: req.at });
  }

  private grantWaiting(): Reply[] {
    const replies: Reply[] = [];
    const still: Waiter[] = [];
    for (const w of this.waiting) {
      const blockedBy = this.blocker(w);
      if (blockedBy === undefined) {
        this.grant(w);
        replies.push({ to: w.holder, answer: { kind: 'granted', host: w.host } });
      } else {
        if (blockedBy !== w.blockedBy) replies.push({ to: w.holder, answer: { kind: 'waiting', host: w.host, blockedBy } });
        still.push({ ...w, blockedBy });
      }
    }
    this.waiting = still;
    return replies;
  }

  private unavailableIn(key: string): Array<{ host: string; why: string }> {
    const out: Array<{ host: string; why: string }> = [];
    for (const l of this.leases.values()) if (l.budgets.some((b) => b.key === key)) out.push({ host: l.host, why: `rollout ${l.holder.rolloutId}` });
    for (const d of this.down.values()) {
      if (!this.leases.has(d.host) && d.budgets.some((b) => b.key === key)) out.push({ host: d.host, why: `left out of service by ${d.rolloutId}: ${d.reason}` });
    }
    return out.sort((a, b) => a.host.localeCompare(b.host));
  }

  /** Why `req` cannot be granted now, or undefined when it can. */
  private blocker(req: LeaseRequest): string | undefined {
    const held = this.leases.get(req.host);
    if (held && !sameHolder(held.holder, req.holder)) return `${req.host} is leased by rollout ${held.holder.rolloutId}`;
    for (const claim of req.budgets) {
      const limit = this.limitFor(claim);
      const out = this.unavailableIn(claim.key).filter((u) => u.host !== req.host);
      if (out.length + 1 > limit) {
        const list = out.slice(0, 5).map((u) => `${u.host} (${u.why.split(':')[0]})`).join(', ');
        return `budget ${claim.key} allows ${limit} out of service and ${out.length} are: ${list}${out.length > 5 ? ', …' : ''}`;
      }
    }
    return undefined;
  }
}

/** The budget groups a host is in under a policy's `disruptionBudget` (none when the host lacks the tag). */
export function budgetClaims(budget: { groupBy: string; maxUnavailable: number } | undefined, tags: Record<string, string>): BudgetClaim[] {
  if (!budget || !Object.hasOwn(tags, budget.groupBy)) return [];
  return [{ key: `${budget.groupBy}=${tags[budget.groupBy]}`, maxUnavailable: budget.maxUnavailable }];
}
