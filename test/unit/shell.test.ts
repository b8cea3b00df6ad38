import { execFileSync } from 'node:child_process';
import { PerHostLimit } from '../../activities/hosts/ssh';
import { shellQuote, withRemoteTimeout } from '../../policies/common/shell';

describe('shell quoting', () => {
  const hostile = ["it's", 'a b', '$(touch /tmp/pwned)', '`id`', 'x; rm -rf /', 'line\nbreak', '"quoted"', '', '*', '\\'];

  it.each(hostile)('passes %j through sh as exactly one argument', (value) => {
    const out = execFileSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
    expect(out).toBe(value);
  });

  it('leaves plain words readable and refuses NUL', () => {
    expect(shellQuote('nginx=1.2.3-1')).toBe('nginx=1.2.3-1');
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('wraps commands in a remote timeout that really ends them', () => {
    const started = Date.now();
    const status = (() => {
      try {
        execFileSync('sh', ['-c', withRemoteTimeout('sleep 30', 1)]);
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    })();
    expect(status).toBe(124);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('per-host connection limit', () => {
  it('lets at most N holders per host in at once, queues the rest in order, and frees slots', async () => {
    const limit = new PerHostLimit(2);
    const order: string[] = [];
    const a = await limit.acquire('h:22');
    const b = await limit.acquire('h:22');
    const other = await limit.acquire('g:22'); // another host is not held up
    const c = limit.acquire('h:22').then((release) => (order.push('c'), release));
    const d = limit.acquire('h:22').then((release) => (order.push('d'), release));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    expect(limit.inUse('h:22')).toBe(2);
    a();
    a(); // releasing twice frees one slot only
    const releaseC = await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    releaseC();
    other();
    expect([limit.inUse('h:22'), limit.inUse('g:22')]).toEqual([0, 0]);
  });
});
