import { execFileSync } from 'node:child_process';
import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { becomeCommand, becomeProblem } from '../../policies/inventory/become';
import { hostFactsScript, hostReadiness, HOST_FACTS_SCRIPT, parseHostFacts } from '../../policies/inventory/facts';
import { inventorySchema, resolveInventory } from '../../policies/inventory/hosts';
import { hostSourceSchema } from '../../policies/inventory/sources';

const KEY = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const SUDO = { method: 'sudo' as const, user: 'root' };

describe('become (privilege escalation)', () => {
  it('is off by default, `{}` means sudo as root, and a host may set its own', () => {
    const inv = parsePolicyText(
      [
        'apiVersion: maint/v1',
        'kind: Inventory',
        'defaults: {user: ops, become: {}}',
        'hosts:',
        `  - {name: web-1, address: 10.0.0.5, hostKey: '${KEY}'}`,
        `  - {name: db-1, address: 10.0.0.6, hostKey: '${KEY}', become: {method: sudo, user: postgres}}`,
      ].join('\n'),
      'inv.yaml',
      inventorySchema,
    );
    expect(resolveInventory(inv, 'x').map((h) => [h.name, h.become])).toEqual([['web-1', SUDO], ['db-1', { method: 'sudo', user: 'postgres' }]]);
    const none = parsePolicyText(`apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: a, address: 127.0.0.1, hostKey: '${KEY}'}\n`, 'inv.yaml', inventorySchema);
    expect(resolveInventory(none, 'x')[0]).not.toHaveProperty('become');
    expect(hostSourceSchema.parse({ kind: 'pulumi-outputs-file', file: 'o.json', user: 'ops', become: {} })).toMatchObject({ become: SUDO });
  });

  it('rejects an unknown method or user, naming the path', () => {
    const bad = (become: string) => {
      try {
        parsePolicyText(`apiVersion: maint/v1\nkind: Inventory\ndefaults: {become: ${become}}\nhosts: []\n`, 'inv.yaml', inventorySchema);
      } catch (err) {
        if (err instanceof PolicyError) return err.problems.map((p) => p.path);
        throw err;
      }
      throw new Error('accepted');
    };
    expect(bad('{method: su}')).toEqual(['defaults.become.method']);
    expect(bad('{method: pkexec}')).toEqual(['defaults.become.method']);
    expect(bad('{user: "root; id"}')).toEqual(['defaults.become.user']);
    expect(bad('{password: x}')).toEqual(['defaults.become.password']);
  });

  it('runs a command through sudo -n with the job directory passed on, quoted as one word', () => {
    expect(becomeCommand("echo 'hi'; id", undefined)).toBe("echo 'hi'; id");
    const wrapped = becomeCommand("printf '%s|%s' \"$(id -u)\" \"$MAINT_JOB_DIR\"", SUDO);
    expect(wrapped).toBe(`sudo -n -u root -- env "MAINT_JOB_DIR=\${MAINT_JOB_DIR:-/var/lib/maint}" MAINT_JOB_DIR_PRIVATE=1 sh -c 'printf '\\''%s|%s'\\'' "$(id -u)" "$MAINT_JOB_DIR"'`);
    expect(becomeCommand('true', { method: 'sudo', user: 'app' })).toBe('sudo -n -u app -- env "MAINT_JOB_DIR=${MAINT_JOB_DIR:-}" MAINT_JOB_DIR_PRIVATE=1 sh -c true');
    // Run for real (the tests run as root, where sudo needs no rule): root, and the variable survives env_reset.
    if (process.getuid?.() === 0) {
      expect(execFileSync('sh', ['-c', wrapped], { encoding: 'utf8', env: { ...process.env, MAINT_JOB_DIR: '/srv/jobs dir' } })).toBe('0|/srv/jobs dir');
      expect(execFileSync('sh', ['-c', wrapped], { encoding: 'utf8', env: { ...process.env, MAINT_JOB_DIR: '' } })).toBe('0|/var/lib/maint');
    }
  });

  it('says what to add to sudoers when sudo wants a password, is missing or refuses', () => {
    expect(becomeProblem('web-1', 'ops', SUDO, 'ok')).toBeUndefined();
    expect(becomeProblem('web-1', 'ops', SUDO, 'failed sudo: a password is required')).toBe(
      'sudo needs a password for ops on web-1: add a NOPASSWD rule for ops (e.g. `ops ALL=(root) NOPASSWD: ALL` in /etc/sudoers.d/maint)',
    );
    expect(becomeProblem('web-1', 'ops', SUDO, 'missing')).toMatch(/^web-1: sudo is not installed.*NOPASSWD rule for ops/);
    expect(becomeProblem('web-1', 'ops', SUDO, 'failed Sorry, user ops is not allowed to execute')).toMatch(/^sudo -n refused to run commands as root for ops on web-1 \(Sorry, user ops is not allowed to execute\)/);
    // A facts read without the probe (an older worker's) is no proof that become works.
    expect(becomeProblem('web-1', 'ops', SUDO, undefined)).toMatch(/^sudo -n refused/);
  });

  it('runs a command through doas -n the same way, and says what to add to doas.conf', () => {
    const DOAS = { method: 'doas' as const, user: 'root' };
    expect(becomeCommand('id -u', DOAS)).toBe('doas -n -u root -- env "MAINT_JOB_DIR=${MAINT_JOB_DIR:-/var/lib/maint}" MAINT_JOB_DIR_PRIVATE=1 sh -c \'id -u\'');
    expect(becomeProblem('web-1', 'ops', DOAS, 'failed doas: Authentication required')).toBe(
      'doas needs a password for ops on web-1: add a nopass rule for ops (e.g. `permit nopass ops as root` in /etc/doas.conf)',
    );
    expect(becomeProblem('web-1', 'ops', DOAS, 'failed doas: Operation not permitted')).toBe(
      'doas -n refused to run commands as root for ops on web-1 (doas: Operation not permitted): add a nopass rule for ops (e.g. `permit nopass ops as root` in /etc/doas.conf)',
    );
    expect(becomeProblem('web-1', 'ops', DOAS, 'missing')).toMatch(/^web-1: doas is not installed, .*install doas \(Debian: opendoas\) and add a nopass rule for ops/);
  });

  it('tries become in the facts script only where the host has one; hostReadiness reports it first', () => {
    expect(hostFactsScript(undefined)).toBe(HOST_FACTS_SCRIPT);
    const facts = parseHostFacts(execFileSync('sh', ['-c', hostFactsScript(SUDO)], { encoding: 'utf8' }));
    if (process.getuid?.() === 0) expect(facts.become).toBe('ok');
    expect(hostReadiness('web-1', { ...facts, become: 'failed sudo: a password is required' }, { user: 'ops', become: SUDO }).becomeFails).toMatch(/^sudo needs a password for ops on web-1/);
    expect(hostReadiness('web-1', { ...facts, become: 'failed sudo: a password is required' }, { user: 'ops' })).not.toHaveProperty('becomeFails');
  });
});
