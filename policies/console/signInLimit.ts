/**
 * The rate limit of password sign-in: per account and per client address, a number of failures is
 * free, then each further attempt waits twice as long as the one before (exponential back-off, capped).
 * A success clears the account's count; an address's count is forgotten after a quiet hour.
 */
export interface SignInLimits {
  /** Failures of one account before it has to wait. */
  accountFailures: number;
  /** Failures from one address (any account) before it has to wait. */
  addressFailures: number;
  /** The first wait; each failure after it doubles it. */
  firstWaitMs: number;
  maxWaitMs: number;
  /** A key without a failure for this long starts again from zero. */
  forgetAfterMs: number;
  /** Keys kept at most (the oldest are forgotten first): unknown names cannot fill memory. */
  maxKeys: number;
}

export const SIGN_IN_LIMITS: SignInLimits = {
  accountFailures: 5, addressFailures: 20, firstWaitMs: 30_000, maxWaitMs: 15 * 60_000, forgetAfterMs: 60 * 60_000, maxKeys: 10_000,
};

interface Failures {
  count: number;
  lastAt: number;
}

/** Why a sign-in must wait: for which of the two, until when. */
export interface SignInWait {
  reason: 'account' | 'address';
  retryAfterMs: number;
}

export class SignInLimiter {
  private readonly failures = new Map<string, Failures>();
  constructor(private readonly limits: SignInLimits = SIGN_IN_LIMITS) {}

  private waitOf(key: string, free: number, now: number): number {
    const f = this.failures.get(key);
    if (!f || now - f.lastAt >= this.limits.forgetAfterMs || f.count < free) return 0;
    const wait = Math.min(this.limits.firstWaitMs * 2 ** (f.count - free), this.limits.maxWaitMs);
    return Math.max(0, f.lastAt + wait - now);
  }

  /** Whether a sign-in of `account` from `address` may be tried now; undefined: it may. */
  check(account: string, address: string, now: number): SignInWait | undefined {
    const byAccount = this.waitOf(`account:${account.toLowerCase()}`, this.limits.accountFailures, now);
    const byAddress = this.waitOf(`address:${address}`, this.limits.addressFailures, now);
    if (byAccount === 0 && byAddress === 0) return undefined;
    return byAccount >= byAddress ? { reason: 'account', retryAfterMs: byAccount } : { reason: 'address', retryAfterMs: byAddress };
  }

  failed(account: string, address: string, now: number): void {
    for (const key of [`account:${account.toLowerCase()}`, `address:${address}`]) {
      const f = this.failures.get(key);
      const count = f && now - f.lastAt < this.limits.forgetAfterMs ? f.count + 1 : 1;
      this.failures.delete(key);
      this.failures.set(key, { count, lastAt: now });
    }
    // Insertion order is age order (a failure re-inserts its key): drop from the front.
    while (this.failures.size > this.limits.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(account: string): void {
    this.failures.delete(`account:${account.toLowerCase()}`);
  }
}

/** `30 s`, `2 min`, `15 min`: how long to wait, rounded up. */
export function waitText(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}
