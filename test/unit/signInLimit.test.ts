import { SIGN_IN_LIMITS, SignInLimiter, waitText } from '../../policies/console/signInLimit';

describe('the password sign-in rate limit', () => {
  const t0 = Date.parse('2026-12-02T10:00:00Z');

  it('lets an account fail 5 times, then doubles the wait with each further failure up to 15 min; a success clears it', () => {
    const limiter = new SignInLimiter();
    for (let i = 0; i < 5; i++) {
      expect(limiter.check('olivia', '10.0.0.1', t0 + i)).toBeUndefined();
      limiter.failed('olivia', '10.0.0.1', t0 + i);
    }
    expect(limiter.check('olivia', '10.0.0.1', t0 + 5)).toEqual({ reason: 'account', retryAfterMs: 30_000 - 1 });
    // The same account from another address waits too, and the name is not case-sensitive.
    expect(limiter.check('Olivia', '10.9.9.9', t0 + 5)).toMatchObject({ reason: 'account' });
    // Another account from the same address does not.
    expect(limiter.check('victor', '10.0.0.1', t0 + 5)).toBeUndefined();
    expect(limiter.check('olivia', '10.0.0.1', t0 + 4 + 30_000)).toBeUndefined();
    let at = t0 + 4 + 30_000;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      limiter.failed('olivia', '10.0.0.1', at);
      const wait = limiter.check('olivia', '10.0.0.1', at)!.retryAfterMs;
      waits.push(wait);
      at += wait;
    }
    expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000]);
    limiter.succeeded('olivia');
    expect(limiter.check('olivia', '10.0.0.1', at)).toBeUndefined();
  });

  it('limits one address trying many accounts after 20 failures, and forgets after a quiet hour', () => {
    const limiter = new SignInLimiter();
    for (let i = 0; i < 20; i++) limiter.failed(`user${i}`, '192.0.2.7', t0);
    expect(limiter.check('someone-new', '192.0.2.7', t0 + 1)).toEqual({ reason: 'address', retryAfterMs: 29_999 });
    expect(limiter.check('someone-new', '192.0.2.8', t0 + 1)).toBeUndefined();
    expect(limiter.check('someone-new', '192.0.2.7', t0 + SIGN_IN_LIMITS.forgetAfterMs)).toBeUndefined();
    limiter.failed('user0', '192.0.2.7', t0 + SIGN_IN_LIMITS.forgetAfterMs);
    expect(limiter.check('user0', '192.0.2.7', t0 + SIGN_IN_LIMITS.forgetAfterMs)).toBeUndefined();
  });

  it('keeps a bounded number of keys, forgetting the oldest', () => {
    const limiter = new SignInLimiter({ ...SIGN_IN_LIMITS, accountFailures: 1, maxKeys: 3 });
    limiter.failed('first', 'a', t0);
    expect(limiter.check('first', 'a', t0)).toMatchObject({ reason: 'account' });
    limiter.failed('second', 'a', t0);
    limiter.failed('third', 'a', t0);
    expect(limiter.check('first', 'b', t0)).toBeUndefined();
    expect(limiter.check('third', 'b', t0)).toMatchObject({ reason: 'account' });
  });

  it('says the wait in seconds, then minutes', () => {
    expect([waitText(29_001), waitText(119_000), waitText(120_000), waitText(900_000)]).toEqual(['30 s', '119 s', '2 min', '15 min']);
  });
});
