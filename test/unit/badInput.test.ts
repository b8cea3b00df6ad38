// Bad-input corpus (issue 15): files that used to get through, or crash with a raw error. Each row
// is the text a user wrote and what they must read: the file, the path inside it and what was
// expected. (fuzz.test.ts checks that random input never crashes; this table pins the messages.)
import { formatProblems, PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { inventorySchema } from '../../policies/inventory/hosts';
import { pulumiOutputsSchema } from '../../policies/inventory/pulumiOutputs';
import { rolloutPolicySchema, targetProblems } from '../../policies/rollout/policy';
import { renderCommand, renderHost, renderUrl } from '../../policies/common/templates';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrganisation } from '../../control/organisation';

const POLICY = `apiVersion: maint/v1
kind: RolloutPolicy
name: web
targets: {inventory: inventory.yaml}
strategy: {kind: apt, packages: security}
`;
const KEY = `SHA256:${'A'.repeat(43)}`;
const INVENTORY = `apiVersion: maint/v1
kind: Inventory
hosts:
  - {name: web-1, address: 10.0.0.5, hostKey: '${KEY}', tags: {role: web}}
`;
const BOMB = `lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
`;

/** The message a user sees for `text` read as `file` with `schema`. */
function rejection(text: string, schema: Parameters<typeof parsePolicyText>[2], file: string): string {
  try {
    parsePolicyText(text, file, schema);
  } catch (err) {
    if (err instanceof PolicyError) return err.message;
    throw err;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('bad input that used to get through: a clear error naming file, path and expectation', () => {
  it.each<[string, string, string]>([
    // [what, file text, what the user reads]
    ['a YAML alias bomb (billion laughs)', `${POLICY}${BOMB}`, 'policy.yaml:9:8: d[0]: YAML aliases here expand to more than 100 copies (an alias bomb?)'],
    ['an alias without its anchor', `${POLICY}description: *nowhere\n`, 'policy.yaml:6:14: description: not valid YAML: Unresolved alias (the anchor must be set before the alias): nowhere'],
    ['maxUnavailable: 0', `${POLICY}maxUnavailable: 0\n`, 'policy.yaml:6:17: maxUnavailable: expected at least 1 host or a percentage above 0%: with 0 the rollout could never make progress'],
    ['maxUnavailable: "0%"', `${POLICY}maxUnavailable: "0%"\n`, 'policy.yaml:6:17: maxUnavailable: expected at least 1 host or a percentage above 0%'],
    ['a batch of 0 hosts', `${POLICY}waves: {batches: [1, 0]}\n`, 'policy.yaml:6:22: waves.batches[1]: expected at least 1 host or a percentage above 0%'],
    ['a batch of "0.0%"', `${POLICY}waves: {batches: ["0.0%"]}\n`, 'policy.yaml:6:19: waves.batches[0]: expected at least 1 host or a percentage above 0%'],
    ['an empty selector', POLICY.replace('{inventory: inventory.yaml}', '{inventory: inventory.yaml, selector: ""}'), 'policy.yaml:4:48: targets.selector: an empty selector would match every host: omit selector to target all hosts'],
    ['a selector of only commas', POLICY.replace('{inventory: inventory.yaml}', '{inventory: inventory.yaml, selector: " , "}'), 'targets.selector: an empty selector would match every host'],
    ['a duration of 1e308 seconds (Infinity)', `${POLICY}bakeTime: 1e308\n`, 'policy.yaml:6:11: bakeTime: expected at most 366d'],
    ['a duration of more than a year', `${POLICY}bakeTime: 400d\n`, 'policy.yaml:6:11: bakeTime: expected at most 366d'],
    ['a health interval past Node timers (25 days)', `${POLICY}health: {interval: 25d}\n`, 'policy.yaml:6:20: health.interval: expected at most 24d (a worker waits this long on one timer)'],
    ['a command timeout past Node timers (2^31 ms)', `${POLICY}commandTimeout: 2147484s\n`, 'policy.yaml:6:17: commandTimeout: expected at most 24d'],
    ['commandTimeout: 0 (would disable the remote timeout)', `${POLICY}commandTimeout: 0\n`, 'policy.yaml:6:17: commandTimeout: expected a timeout above 0 (omit it for the default)'],
    ['a health check timeout of 0', `${POLICY}health: {timeout: 0s}\n`, 'policy.yaml:6:19: health.timeout: expected a timeout above 0'],
    ['a reboot timeout of 0', `${POLICY}reboot: {mode: always, timeout: 0ms}\n`, 'policy.yaml:6:33: reboot.timeout: expected a timeout above 0'],
    ['a command target beginning with "-" (an option to the apply command)', POLICY.replace('strategy: {kind: apt, packages: security}', 'strategy: {kind: command, target: "-rf", check: cat v, apply: "install {{target}}", rollback: "install {{previous}}"}') + '\n', 'strategy.target: expected a version label like 2.0.0 (letters, digits and . _ : + ~ -, beginning with a letter or digit)'],
    ['a health deadline of 0 (every host would fail at once)', `${POLICY}health: {deadline: 0}\n`, 'policy.yaml:6:20: health.deadline: expected a deadline above 0'],
    ['a service gate with a command check', `${POLICY}serviceGate: {checks: [{kind: command, command: "true"}]}\n`, 'serviceGate.checks[0].kind: a service gate watches the service from the worker: http or tcp checks only'],
    ['a service gate on one host', `${POLICY}serviceGate: {checks: [{kind: http, url: "http://{{host.address}}/"}]}\n`, 'serviceGate.checks[0].url: a service gate watches the whole service, not one host: no {{host.…}}'],
    ['a service gate tcp check without its host', `${POLICY}serviceGate: {checks: [{kind: tcp, port: 443}]}\n`, 'serviceGate.checks[0].host: a service gate watches the whole service, not one host: no {{host.…}} (a tcp check needs its `host`)'],
    ['a disruption budget of 0', `${POLICY}disruptionBudget: {groupBy: service, maxUnavailable: 0}\n`, 'disruptionBudget.maxUnavailable: '],
    ['a disruption budget as a percentage', `${POLICY}disruptionBudget: {groupBy: service, maxUnavailable: "50%"}\n`, 'disruptionBudget.maxUnavailable: '],
    ['onBusyHost: queue', `${POLICY}onBusyHost: queue\n`, 'onBusyHost: '],
  ])('policy: %s', (_what, text, expected) => {
    expect(rejection(text, rolloutPolicySchema, 'policy.yaml')).toContain(expected);
  });

  it.each<[string, string, string]>([
    ['a YAML alias bomb in an inventory', `${INVENTORY}${BOMB}`, 'inventory.yaml:8:8: d[0]: YAML aliases here expand to more than 100 copies'],
    ['a tag value beginning with "-" (a hook would read it as an option)', INVENTORY.replace('{role: web}', '{role: web, pool: "-rf"}'), 'inventory.yaml:4:125: hosts[0].tags.pool: a tag value cannot begin with "-": commands would read it as an option'],
    ['a tag value ".." (a dot segment in a health URL path)', INVENTORY.replace('{role: web}', '{role: web, pool: ".."}'), 'hosts[0].tags.pool: a tag value cannot be "." or "..": in a URL path it would move to another path'],
  ])('inventory: %s', (_what, text, expected) => {
    expect(rejection(text, inventorySchema, 'inventory.yaml')).toContain(expected);
  });

  it('a tag value or AZ beginning with "-" from a Pulumi stack', () => {
    const outputs = JSON.stringify({ inventory: [{ id: 'i-1', name: 'web-1', address: '10.0.0.5', hostKeyFingerprint: KEY, tags: { pool: '--all' }, az: '-a' }] });
    const message = rejection(outputs, pulumiOutputsSchema('inventory'), 'outputs.json');
    expect(message).toContain('inventory[0].tags.pool: a tag value cannot begin with "-"');
    expect(message).toContain('inventory[0].az: a tag value cannot begin with "-"');
  });
});

describe('a policy that does not fit the hosts it targets: refused before anything starts (maint rollout start, also --dry-run)', () => {
  const hosts = ['web-1', 'web-2', 'web-3'].map((name) => ({ name, tags: name === 'web-3' ? { role: 'web' } : { role: 'web', pool: 'a' } as Record<string, string> }));
  /** What `maint rollout start -f policy.yaml` prints for `text` over those three hosts ('' if it fits). */
  const planMessage = (text: string) => {
    const problems = targetProblems(parsePolicyText(`${POLICY}${text}`, 'policy.yaml', rolloutPolicySchema), hosts);
    return problems.length > 0 ? formatProblems('policy.yaml', problems) : '';
  };

  it.each<[string, string, string]>([
    ['a canary bigger than the fleet (was clipped silently)', 'waves: {canary: 5}\n', 'policy.yaml: waves.canary: a canary of 5 hosts is more than the 3 hosts the targets select: expected at most 3'],
    ['{{host.tags.constructor}} (no host has that tag)', 'hooks: {drain: "lbctl remove {{host.tags.constructor}}"}\n', 'policy.yaml: hooks.drain: {{host.tags.constructor}}: 3 of the 3 targeted hosts have no tag "constructor" (web-1, web-2, web-3)'],
    ['a tag some targeted hosts lack', 'health: {checks: [{kind: http, url: "http://{{host.address}}/{{host.tags.pool}}"}]}\n', 'policy.yaml: health.checks[0].url: {{host.tags.pool}}: 1 of the 3 targeted hosts has no tag "pool" (web-3)'],
  ])('%s', (_what, text, expected) => {
    expect(planMessage(text)).toContain(expected);
  });

  it('a canary as large as the fleet, and tags every host has, are fine', () => {
    expect(planMessage('waves: {canary: 3}\nhooks: {drain: "lbctl remove {{host.tags.role}}"}\n')).toBe('');
  });
});

describe("a window's rollout task whose policy does not fit its hosts: maint apply refuses it (was: a clipped canary on the night)", () => {
  it('names the organisation file and task, then the policy file and what does not fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-badtask-'));
    try {
      writeFileSync(join(dir, 'inventory.yaml'), `apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: web-1, address: 10.0.0.5, hostKey: '${KEY}', tags: {role: web}}\n  - {name: web-2, address: 10.0.0.6, hostKey: '${KEY}', tags: {role: web}}\n`);
      writeFileSync(join(dir, 'roll.yaml'), `${POLICY}waves: {canary: 3}\n`);
      const org = join(dir, 'maint.yaml');
      writeFileSync(org, `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: support@acme.example}}
services: [{name: shop}]
windows:
  - name: shop-nightly
    timezone: UTC
    recurrence: {kind: weekly, days: [tue], at: "22:00"}
    duration: 2h
    services: [shop]
    notices: {leadTimes: [1h]}
    tasks: [{kind: rollout, policy: roll.yaml}]
`);
      await expect(loadOrganisation([org])).rejects.toThrow(
        `${org} is invalid (1 problem):\n  ${org}: windows[0].tasks[0].policy: cannot use roll.yaml with the hosts it targets now\n`
        + `${join(dir, 'roll.yaml')} is invalid (1 problem):\n  ${join(dir, 'roll.yaml')}: waves.canary: a canary of 3 hosts is more than the 2 hosts the targets select: expected at most 2`,
      );
      writeFileSync(join(dir, 'roll.yaml'), `${POLICY}waves: {canary: 2}\n`);
      expect((await loadOrganisation([org])).windows.map((w) => w.name)).toEqual(['shop-nightly']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('values that used to reach hosts wrong', () => {
  const host = (address: string) => ({ name: 'web-1', address, port: 22, user: 'ops', tags: { role: 'web' } });

  it('an IPv6 address where a health URL names its host is bracketed, elsewhere encoded; a tcp check gets it bare', () => {
    expect(renderUrl('http://{{host.address}}:8080/health?from={{host.address}}', { host: host('::1') })).toBe('http://[::1]:8080/health?from=%3A%3A1');
    expect(new URL(renderUrl('https://{{host.address}}/healthz', { host: host('[fe80::1]') })).hostname).toBe('[fe80::1]');
    expect(renderUrl('http://{{host.address}}:8080/', { host: host('10.0.0.5') })).toBe('http://10.0.0.5:8080/');
    expect(renderHost('{{host.address}}', { host: host('[2001:db8::5]') })).toBe('2001:db8::5');
    expect(renderHost('{{host.address}}', { host: host('web-1.example') })).toBe('web-1.example');
  });

  it('{{host.tags.constructor}} is a tag like any other: a host without it says so, not a TypeError', () => {
    expect(() => renderCommand('lbctl drain {{host.tags.constructor}}', { host: host('10.0.0.5') })).toThrow('{{host.tags.constructor}}: host web-1 has no tag "constructor"');
    expect(() => renderUrl('http://x/{{host.tags.toString}}', { host: host('10.0.0.5') })).toThrow('host web-1 has no tag "toString"');
    expect(renderCommand('echo {{host.tags.constructor}}', { host: { ...host('10.0.0.5'), tags: { constructor: 'acme' } } })).toBe('echo acme');
  });
});
