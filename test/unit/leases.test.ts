import { budgetClaims, LeaseBook, type LeaseHolder, type LeaseRequest } from '../../policies/rollout/leases';

const holder = (n: number): LeaseHolder => ({ workflowId: `rollout-r${n}-wave-0-part-0`, runId: `run-${n}`, rolloutId: `r${n}` });
const web = [{ key: 'service=web', maxUnavailable: 2 }];
const req = (n: number, host: string, extra: Partial<LeaseRequest> = {}): LeaseRequest => ({ holder: holder(n), host, budgets: web, onBusy: 'wait', at: 1000 + n, ...extra });
const kinds = (replies: Array<{ to: LeaseHolder; answer: { kind: string; host: string } }>) => replies.map((r) => `${r.to.rolloutId}:${r.answer.host}:${r.answer.kind}`);

describe('host leases and disruption budgets', () => {
  it('gives a host to one holder at a time; the next waits and gets it on release', () => {
    const book = new LeaseBook();
    expect(kinds(book.request(req(1, 'web-1')))).toEqual(['r1:web-1:granted']);
    const waiting = book.request(req(2, 'web-1'));
    expect(waiting[0]!.answer).toEqual({ kind: 'waiting', host: 'web-1', blockedBy: 'web-1 is leased by rollout r1' });
    expect(kinds(book.release(holder(1), 'web-1', { state: 'in-service' }, 5000))).toEqual(['r2:web-1:granted']);
    expect(book.state().leases.map((l) => l.holder.rolloutId)).toEqual(['r2']);
  });

  it('answers busy at once for skip and fail, and re-grants to the holder it has', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    expect(book.request(req(2, 'web-1', { onBusy: 'skip' }))[0]!.answer).toEqual({ kind: 'busy', host: 'web-1', heldBy: 'r1', since: 1001 });
    expect(kinds(book.request(req(3, 'web-1', { onBusy: 'fail' })))).toEqual(['r3:web-1:busy']);
    expect(kinds(book.request(req(1, 'web-1')))).toEqual(['r1:web-1:granted']);
    expect(book.state().waiting).toEqual([]);
  });

  it('never lets more hosts of a group out than its budget, across holders', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.request(req(2, 'web-2'));
    const third = book.request(req(1, 'web-3'));
    expect(third[0]!.answer).toMatchObject({ kind: 'waiting', blockedBy: 'budget service=web allows 2 out of service and 2 are: web-1 (rollout r1), web-2 (rollout r2)' });
    // A host of another group is not held up by it.
    expect(kinds(book.request(req(2, 'db-1', { budgets: [{ key: 'service=db', maxUnavailable: 1 }] })))).toEqual(['r2:db-1:granted']);
    expect(kinds(book.release(holder(2), 'web-2', { state: 'in-service' }, 2000))).toEqual(['r1:web-3:granted']);
  });

  it('applies the smallest limit anyone declares for a group', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1', { budgets: [{ key: 'service=web', maxUnavailable: 1 }] }));
    expect(book.request(req(2, 'web-2', { budgets: [{ key: 'service=web', maxUnavailable: 5 }] }))[0]!.answer.kind).toBe('waiting');
    expect(book.budgets()).toEqual([{ key: 'service=web', maxUnavailable: 1, unavailable: [{ host: 'web-1', why: 'rollout r1' }] }]);
  });

  it('keeps counting a host left out of service until it is cleared or put back by a later rollout', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.release(holder(1), 'web-1', { state: 'out-of-service', reason: 'rollback failed: unreachable' }, 3000);
    book.request(req(2, 'web-2'));
    expect(book.request(req(2, 'web-3'))[0]!.answer).toMatchObject({ kind: 'waiting', blockedBy: expect.stringContaining('web-1 (left out of service by r1)') });
    // Leasing the down host itself takes no further room: it is already out.
    expect(kinds(book.request(req(3, 'web-1')))).toEqual(['r3:web-1:granted']);
    expect(book.budgets()[0]!.unavailable.map((u) => u.host)).toEqual(['web-1', 'web-2']);
    // Put back in service by r3: the mark goes, and the waiter gets its room.
    expect(kinds(book.release(holder(3), 'web-1', { state: 'in-service' }, 4000))).toEqual(['r2:web-3:granted']);
    expect(book.state().down).toEqual([]);
  });

  it('an untouched release (gave up waiting, or never changed the host) keeps what was known', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.release(holder(1), 'web-1', { state: 'out-of-service', reason: 'left drained' }, 3000);
    book.request(req(2, 'web-1'));
    book.release(holder(2), 'web-1', { state: 'untouched' }, 3500);
    expect(book.state().down.map((d) => d.host)).toEqual(['web-1']);
    expect(book.state().leases).toEqual([]);
  });

  it('a person clears a down host, not one being changed', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.release(holder(1), 'web-1', { state: 'out-of-service', reason: 'left drained' }, 3000);
    book.request(req(2, 'web-2'));
    const { cleared, leased, unknown } = book.clear(['web-1', 'web-2', 'web-9']);
    expect([cleared.map((d) => d.host), leased.map((l) => l.host), unknown]).toEqual([['web-1'], ['web-2'], ['web-9']]);
    expect(book.state().down).toEqual([]);
  });

  it('takes leases back from holders whose workflow ended and counts their hosts out of service', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.request(req(1, 'web-2'));
    book.request(req(2, 'web-1'));
    book.request(req(3, 'web-4'));
    expect(book.holders().map((h) => h.rolloutId)).toEqual(['r1', 'r2', 'r3']);
    const replies = book.holdersEnded([holder(1)], 9000);
    // web-1 goes to r2 (it was waiting, and leasing a host already out takes no room); web-2 stays counted, so r3 still waits.
    expect(kinds(replies)).toEqual(['r2:web-1:granted', 'r3:web-4:waiting']);
    expect(book.state().down.map((d) => [d.host, d.reason])).toEqual([
      ['web-1', 'rollout r1 ended while it was changing the host; check it, then maint hosts release web-1'],
      ['web-2', 'rollout r1 ended while it was changing the host; check it, then maint hosts release web-2'],
    ]);
  });

  it('survives continue-as-new: the state carries every lease, mark and waiter', () => {
    const book = new LeaseBook();
    book.request(req(1, 'web-1'));
    book.request(req(2, 'web-1'));
    const again = new LeaseBook(JSON.parse(JSON.stringify(book.state())));
    expect(kinds(again.release(holder(1), 'web-1', { state: 'in-service' }, 5000))).toEqual(['r2:web-1:granted']);
  });

  it('puts a host in the group of its tag value, and in none without the tag', () => {
    expect(budgetClaims({ groupBy: 'service', maxUnavailable: 2 }, { service: 'web' })).toEqual([{ key: 'service=web', maxUnavailable: 2 }]);
    expect(budgetClaims({ groupBy: 'service', maxUnavailable: 2 }, { role: 'web' })).toEqual([]);
    expect(budgetClaims(undefined, { service: 'web' })).toEqual([]);
  });
});
