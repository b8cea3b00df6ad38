import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlan } from '../../cli/rolloutView';
import { withBaseline } from '../../control/baselines';
import { patchBaselineSchema, type PatchBaseline } from '../../policies/compliance/baseline';
import { approvedPackageNames, hostApproval, nothingApprovedMessage, pinWave, type HostApproval } from '../../policies/compliance/rolloutPins';
import type { PendingUpdate } from '../../policies/compliance/types';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import { strategyBaseline } from '../../policies/rollout/strategies';
import { planWaves } from '../../policies/rollout/waves';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 5, 0, 0);
const BASELINE: PatchBaseline = parsePolicyText('apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {afterDays: 7}\ndeny: [nginx]\n', 'b.yaml', patchBaselineSchema);

function update(pkg: string, over: Partial<PendingUpdate> = {}): PendingUpdate {
  return { package: pkg, installed: '1.0', candidate: '1.1', source: 'stable-security', classification: 'security', severity: 'unspecified', cves: [], held: false, publishedAt: NOW - 10 * DAY, ...over };
}
const approval = (host: string, approved: Array<[string, string, string?]>, withheld = 0): HostApproval => ({
  host, ok: true, withheld, approved: approved.map(([p, to, c]) => ({ package: p, from: '1.0', to, classification: c === 'other' ? 'other' : 'security' })),
});

describe('what a baseline approves on a host', () => {
  it('approves by age, never a held or denied update, and counts the rest as withheld', () => {
    const scan = { host: 'web-1', at: NOW, ok: true as const, manager: 'apt' as const, rebootRequired: false, updates: [
      update('openssl'), update('libssl3', { publishedAt: NOW - 7 * DAY + 1 }), update('curl', { held: true }), update('nginx'), update('vim', { classification: 'other' }),
    ] };
    expect(hostApproval(scan, BASELINE, new Map(), NOW)).toEqual({ host: 'web-1', ok: true, withheld: 4, approved: [{ package: 'openssl', from: '1.0', to: '1.1', classification: 'security' }] });
    // Exactly 7 days is old enough.
    expect(hostApproval({ ...scan, updates: [update('libssl3', { publishedAt: NOW - 7 * DAY })] }, BASELINE, new Map(), NOW).approved).toHaveLength(1);
  });

  it('a failed scan is a result with why', () => {
    expect(hostApproval({ host: 'web-1', at: NOW, ok: false, error: 'connect ECONNREFUSED' }, BASELINE, new Map(), NOW)).toEqual({ host: 'web-1', ok: false, error: 'connect ECONNREFUSED', approved: [], withheld: 0 });
  });
});

describe('versions fixed for a rollout', () => {
  it('the first host to have a package approved fixes its version for the wave and later waves; hosts offered another are noted', () => {
    const wave0 = pinWave({}, [approval('web-1', [['openssl', '3.0.15']]), approval('web-2', [['openssl', '3.0.16'], ['curl', '8.1']])]);
    expect(wave0.pins).toEqual({ openssl: '3.0.15', curl: '8.1' });
    expect(wave0.targets).toEqual({ 'web-1': { openssl: '3.0.15' }, 'web-2': { openssl: '3.0.15', curl: '8.1' } });
    expect(wave0.notes).toEqual(['web-2: openssl 3.0.16 is offered, 3.0.15 installed as fixed for this rollout by web-1']);
    const wave1 = pinWave(wave0.pins, [approval('web-3', [['openssl', '3.0.17'], ['zlib', '1.3']]), approval('web-4', []), { host: 'web-5', ok: false, error: 'down', approved: [], withheld: 0 }]);
    expect(wave1.pins).toEqual({ openssl: '3.0.15', curl: '8.1', zlib: '1.3' });
    // Nothing approved, or no scan: no target (skipped, or failed with the scan's error).
    expect(wave1.targets).toEqual({ 'web-3': { openssl: '3.0.15', zlib: '1.3' } });
    expect(wave1.notes).toEqual(['web-3: openssl 3.0.17 is offered, 3.0.15 installed as fixed for this rollout by an earlier wave']);
  });

  it('names the packages (security first, architecture dropped) and says when nothing is approved anywhere', () => {
    expect(approvedPackageNames([approval('a', [['openssl', '1'], ['vim', '2', 'other']]), approval('b', [['libc6:i386', '3'], ['vim', '2', 'other'], ['nginx', '4']])]))
      .toEqual({ security: ['libc6', 'nginx', 'openssl'], other: ['vim'] });
    expect(nothingApprovedMessage('web-default', [approval('a', [], 2), approval('b', [], 1)])).toBe('baseline web-default approves nothing to install on any of the 2 hosts (3 pending updates not approved yet)');
    expect(nothingApprovedMessage('web-default', [approval('a', [])])).toBe('baseline web-default approves nothing to install on the host');
    expect(nothingApprovedMessage('web-default', [approval('a', []), approval('b', [['openssl', '1']])])).toBeUndefined();
    expect(nothingApprovedMessage('web-default', [{ host: 'a', ok: false, approved: [], withheld: 0 }])).toBeUndefined();
  });
});

describe('packages: {baseline} in a rollout policy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maint-baseline-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const policyText = (packages: string) => `apiVersion: maint/v1\nkind: RolloutPolicy\nname: web\ntargets: {inventory: hosts.yaml}\nstrategy: {kind: apt, packages: ${packages}}\n`;
  const read = (packages: string) => {
    const file = join(dir, 'policy.yaml');
    return withBaseline(parsePolicyText(policyText(packages), file, rolloutPolicySchema), file);
  };

  it('reads baselines/NAME.yaml beside the policy, or `file`, into the strategy', () => {
    mkdirSync(join(dir, 'baselines'));
    writeFileSync(join(dir, 'baselines', 'web-default.yaml'), 'apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {afterDays: 7}\n');
    writeFileSync(join(dir, 'other.yaml'), 'apiVersion: maint/v1\nkind: PatchBaseline\nname: strict\ndeny: [nginx]\n');
    expect(strategyBaseline(read('{baseline: web-default}').strategy)?.definition).toMatchObject({ name: 'web-default', approve: { classification: ['security'], afterDays: 7 } });
    expect(strategyBaseline(read('{baseline: strict, file: other.yaml}').strategy)?.definition).toMatchObject({ name: 'strict', deny: ['nginx'] });
  });

  it('a missing, invalid or misnamed baseline file is refused naming the policy file, the path in it and the baseline file', () => {
    const policy = join(dir, 'policy.yaml');
    expect(() => read('{baseline: web-default}')).toThrow(`${policy}: strategy.packages.baseline: cannot use baseline web-default from ${join(dir, 'baselines', 'web-default.yaml')}`);
    expect(() => read('{baseline: web-default}')).toThrow('cannot read the file (ENOENT)');
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {afterDays: -1}\n');
    expect(() => read('{baseline: web-default, file: b.yaml}')).toThrow(/strategy\.packages\.file: cannot use baseline web-default[\s\S]*b\.yaml[\s\S]*approve\.afterDays/);
    writeFileSync(join(dir, 'c.yaml'), 'apiVersion: maint/v1\nkind: PatchBaseline\nname: other\n');
    expect(() => read('{baseline: web-default, file: c.yaml}')).toThrow(`${join(dir, 'c.yaml')}: name: expected "web-default" (as ${policy} names it at strategy.packages.baseline), got "other"`);
    expect(() => parsePolicyText(policyText('{baseline: Web_Default}'), 'p.yaml', rolloutPolicySchema)).toThrow(/strategy\.packages/);
  });

  it('a baseline written as a section needs no file', () => {
    const policy = read('{baseline: inline, definition: {apiVersion: maint/v1, kind: PatchBaseline, name: inline, allow: [openssl]}}');
    expect(strategyBaseline(policy.strategy)?.definition?.allow).toEqual(['openssl']);
    expect(() => read('{baseline: inline, definition: {apiVersion: maint/v1, kind: PatchBaseline, name: other}}')).toThrow('strategy.packages.definition.name: expected "inline"');
  });
});

describe('the dry run of a baseline rollout', () => {
  const hosts = ['web-1', 'web-2'].map((name) => ({ name, address: '127.0.0.1', port: 22, user: 'root', hostKey: 'SHA256:x', tags: {} }));
  const plan = planWaves(2, { canary: 1, batches: ['100%'], maxUnavailable: 1 });

  it('shows per host old → new with security/other and dependencies, and a host with nothing approved', () => {
    const text = renderPlan('r1', plan, hosts, [
      { name: 'web-1', changes: [{ package: 'openssl', from: '3.0.14', to: '3.0.15' }, { package: 'libssl3', from: '3.0.14', to: '3.0.15' }], baseline: { approved: [{ package: 'openssl', from: '3.0.14', to: '3.0.15', classification: 'security' }], withheld: 1 } },
      { name: 'web-2', changes: [], baseline: { approved: [], withheld: 2 } },
    ], 'web-default');
    expect(text).toContain('web-1                openssl 3.0.14 → 3.0.15 (security), libssl3 3.0.14 → 3.0.15 (dependency) (1 pending update not approved yet or held)');
    expect(text).toContain('web-2                nothing approved by the baseline (2 pending updates not approved yet or held)');
    expect(text).not.toContain('approves nothing to install');
  });

  it('says so when no host has anything approved', () => {
    const text = renderPlan('r1', plan, hosts, hosts.map((h) => ({ name: h.name, changes: [], baseline: { approved: [], withheld: 0 } })), 'web-default');
    expect(text).toContain('baseline web-default approves nothing to install on any of the 2 hosts: a rollout now would touch no host');
  });
});
