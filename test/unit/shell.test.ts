import { execFileSync } from 'node:child_process';
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
