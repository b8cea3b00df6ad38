import { jobExitSchema, keptRecordSchema } from '../../policies/rollout/hostState';
import { transientHostProblem } from '../../policies/rollout/packages/transient';

describe('transient package-manager failures', () => {
  it.each([
    ['E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (unattended-upgr)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?',
      'the lock /var/lib/dpkg/lock-frontend is held by another process (an apt or dpkg run)'],
    ['E: Could not get lock /var/lib/apt/lists/lock. It is held by process 967 (apt)\nE: Unable to lock directory /var/lib/apt/lists/', 'the lock /var/lib/apt/lists/lock is held by another process (an apt or dpkg run)'],
    ['E: Could not get lock /var/lib/dpkg/lock - open (11: Resource temporarily unavailable)', 'the lock /var/lib/dpkg/lock is held by another process (an apt or dpkg run)'],
    ['dpkg: error: dpkg status database is locked by another process', 'another package manager holds the dpkg lock'],
    ["Err:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'", 'the mirror deb.debian.org cannot be resolved for now'],
    ['Err:2 http://10.0.0.5/debian bookworm InRelease\n  Could not connect to 10.0.0.5:80 (10.0.0.5), connection timed out', 'the mirror 10.0.0.5:80 cannot be reached for now'],
    ['E: Failed to fetch http://mirror/debian/pool/main/o/openssl/libssl3.deb  503  Service Unavailable [IP: 1.2.3.4 80]', 'the mirror answers with a temporary error'],
    ["Errors during downloading metadata for repository 'baseos':\n  - Curl error (6): Couldn't resolve host name for https://mirrors.rockylinux.org/...", 'the repository cannot be reached for now'],
    ["Error: Failed to download metadata for repo 'appstream': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors were tried", 'the repository metadata cannot be downloaded for now'],
  ])('%s', (output, why) => {
    expect(transientHostProblem(output)).toBe(why);
  });

  it('says nothing of failures that a retry would repeat', () => {
    for (const output of [
      'E: Unable to locate package maint-demo',
      "E: Version '9.9' for 'maint-demo' was not found",
      'E: Sub-process /usr/bin/dpkg returned an error code (1)',
      'Error: Unable to find a match: nginx-99',
      'E: Failed to fetch http://mirror/debian/pool/x.deb  404  Not Found',
      '',
    ]) expect(transientHostProblem(output)).toBeUndefined();
  });
});

describe('what the runner reads back from a host', () => {
  it('takes only an exit status 0-255 for one', () => {
    expect(jobExitSchema.parse('0')).toBe(0);
    expect(jobExitSchema.parse('255')).toBe(255);
    for (const text of ['', 'garbage', '256', '-1', '1.5', ' 1', 'NaN', '0\n1']) expect(jobExitSchema.safeParse(text).success).toBe(false);
  });

  it('takes a kept record only bound to an execution, with versions as strings', () => {
    const record = { rolloutId: 'r', host: 'web-1', execution: 'run-1', record: { before: { nginx: '1.0' }, target: { nginx: '1.1' } } };
    expect(keptRecordSchema.parse(record)).toEqual(record);
    for (const bad of [{ ...record, execution: '' }, { ...record, record: { before: { nginx: 1 }, target: {} } }, { before: {}, target: {} }, null, 'x']) {
      expect(keptRecordSchema.safeParse(bad).success).toBe(false);
    }
  });
});
