import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptScanCommand, parseAptScan } from '../../policies/compliance/aptScan';
import { approvedVersions, firstSeenKey, globMatches, installPlan, judgeUpdates, patchBaselineSchema, SECURITY_NOW, type PatchBaseline } from '../../policies/compliance/baseline';
import { dnfPendingUpdates, parseDnfUpdateinfoJson, parseDnfUpdateinfoText } from '../../policies/compliance/dnfUpdateinfo';
import { hostCompliance, sortWorstFirst, summariesByService } from '../../policies/compliance/status';
import type { HostScan, PendingUpdate } from '../../policies/compliance/types';
import { parsePolicyText } from '../../policies/common/parse';
import { parseDnfCheckUpdate } from '../../policies/rollout/packages/dnf';

const fixture = (dir: string, name: string) => readFileSync(join(__dirname, '..', 'fixtures', dir, name), 'utf8');
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 5, 0, 0);

const baseline = (yaml: string): PatchBaseline => parsePolicyText(`apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\n${yaml}`, 'baseline.yaml', patchBaselineSchema);

function update(pkg: string, over: Partial<PendingUpdate> = {}): PendingUpdate {
  return { package: pkg, installed: '1.0', candidate: '1.1', source: 'stable-security', classification: 'security', severity: 'unspecified', cves: [], held: false, ...over };
}

describe('the apt scan', () => {
  it('is one read-only command: no apt-get update, install or hold change', () => {
    const cmd = aptScanCommand();
    expect(cmd).toContain('apt list --upgradable');
    expect(cmd).toContain('apt-mark showhold');
    expect(cmd).not.toMatch(/apt-get[^\n]*(update|install|upgrade)|apt-mark (un)?hold|rm |dpkg -i/);
  });

  it('reads every upgradable package: versions, suites, security by *-security, Release date, held, reboot', () => {
    const scan = parseAptScan(fixture('apt', 'compliance-scan.txt'));
    expect(scan.rebootRequired).toBe(true);
    expect(scan.updates.map((u) => u.package)).toEqual(['libc6', 'libc6:i386', 'libssl3', 'linux-image-amd64', 'openssl', 'tzdata']);
    expect(scan.updates.find((u) => u.package === 'openssl')).toEqual({
      package: 'openssl', installed: '3.0.14-1~deb12u2', candidate: '3.0.15-1~deb12u1', source: 'stable-security,stable',
      classification: 'security', severity: 'unspecified', cves: [],
      // In both suites: available since the earlier Release date (stable's).
      publishedAt: Date.parse('2024-11-09T10:16:12Z'), held: false,
    });
    expect(scan.updates.find((u) => u.package === 'libssl3')).toMatchObject({ classification: 'security', publishedAt: Date.parse('2024-12-01T09:02:11Z') });
    expect(scan.updates.find((u) => u.package === 'tzdata')).toMatchObject({ classification: 'other', publishedAt: Date.parse('2024-11-26T20:13:37Z') });
    expect(scan.updates.find((u) => u.package === 'linux-image-amd64')).toMatchObject({ held: true, classification: 'security' });
    expect(scan.updates.find((u) => u.package === 'libc6:i386')).toMatchObject({ installed: '2.36-9+deb12u7', candidate: '2.36-9+deb12u9', classification: 'other' });
  });

  it('refuses output that is not the scan\'s (cut short), instead of reporting a clean host', () => {
    expect(() => parseAptScan('#arch\namd64\n#upgradable\nListing...\n')).toThrow(/no "#reboot" section/);
    expect(parseAptScan('#arch\namd64\n#upgradable\nListing...\n#held\n#releases\n#reboot\n')).toEqual({ updates: [], rebootRequired: false });
  });
});

describe('dnf updateinfo', () => {
  it('dnf5 JSON (list and info): type, severity, CVE ids from the references, issued date, packages', () => {
    const advisories = parseDnfUpdateinfoJson(fixture('dnf', 'fedora41-updateinfo-list.json'), fixture('dnf', 'fedora41-updateinfo-info.json'));
    expect(advisories.find((a) => a.id === 'FEDORA-2024-3dcd3b4ecb')).toEqual({
      id: 'FEDORA-2024-3dcd3b4ecb', classification: 'security', severity: 'important',
      issuedAt: Date.UTC(2024, 10, 21, 2, 48, 26), cves: ['CVE-2024-9143'],
      packages: { 'openssl-libs.x86_64': '1:3.2.2-9.fc41', 'openssl.x86_64': '1:3.2.2-9.fc41' },
    });
    // dnf5 ≥ 5.3 prints Unix seconds; severity None is unspecified.
    expect(advisories.find((a) => a.id === 'FEDORA-2024-8c3e7b2a11')).toMatchObject({ classification: 'bugfix', severity: 'unspecified', issuedAt: 1732000000 * 1000 });
    expect(advisories.find((a) => a.id === 'FEDORA-2024-77aa01bb33')).toMatchObject({ classification: 'enhancement', severity: 'low' });
    expect(() => parseDnfUpdateinfoJson('Error: unknown argument --json')).toThrow(/output 1 is not JSON/);
  });

  it('dnf4 text (list + info): advisories joined by id, CVEs over continuation lines, Updated date', () => {
    const advisories = parseDnfUpdateinfoText(fixture('dnf', 'rocky9-updateinfo-list.txt'), fixture('dnf', 'rocky9-updateinfo-info.txt'));
    expect(advisories.map((a) => a.id)).toEqual(['RLSA-2024:9439', 'RLSA-2024:9827', 'RLBA-2024:9001', 'RLEA-2024:8002']);
    expect(advisories[1]).toEqual({
      id: 'RLSA-2024:9827', classification: 'security', severity: 'moderate', issuedAt: Date.UTC(2024, 10, 20, 16, 2, 7),
      cves: ['CVE-2024-2511', 'CVE-2024-9143'], packages: { 'openssl.x86_64': '1:3.0.7-27.el9_4.1', 'openssl-libs.x86_64': '1:3.0.7-27.el9_4.1' },
    });
    expect(advisories[0]).toMatchObject({ severity: 'important', cves: ['CVE-2024-52533'] });
    expect(advisories[3]).toMatchObject({ classification: 'enhancement', packages: { 'kernel-tools.x86_64': '5.14.0-427.42.1.el9_4' } });
  });

  it('classifies check-update\'s packages by their advisories; a package no advisory names is "other"', () => {
    const advisories = parseDnfUpdateinfoText(fixture('dnf', 'rocky9-updateinfo-list.txt'), fixture('dnf', 'rocky9-updateinfo-info.txt'));
    const updates = dnfPendingUpdates(parseDnfCheckUpdate(fixture('dnf', 'rocky9-check-update.txt')), { 'openssl.x86_64': '1:3.0.7-27.el9' }, advisories, new Set(['kernel']));
    expect(updates.find((u) => u.package === 'openssl.x86_64')).toEqual({
      package: 'openssl.x86_64', installed: '1:3.0.7-27.el9', candidate: '1:3.0.7-27.el9_4.1', source: 'RLSA-2024:9827',
      classification: 'security', severity: 'moderate', cves: ['CVE-2024-2511', 'CVE-2024-9143'], publishedAt: Date.UTC(2024, 10, 20, 16, 2, 7), held: false,
    });
    const kernel = updates.find((u) => u.package === 'kernel.x86_64');
    expect(kernel).toMatchObject({ classification: 'other', severity: 'unspecified', held: true, source: 'baseos' });
  });
});

describe('PatchBaseline files', () => {
  it('defaults: security only, at once, deny nothing, block', () => {
    expect(baseline('')).toEqual({ ...SECURITY_NOW, name: 'web-default' });
  });

  it('bad input names file:line:col, the path and what was expected', () => {
    const bad = 'approve:\n  classification: [security, critical]\n  afterDays: -1\nallow: ["nginx; rm -rf /"]\nrejectAction: skip\n';
    let message = '';
    try {
      baseline(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^baseline\.yaml is invalid \(4 problems\)/);
    expect(message).toMatch(/baseline\.yaml:5:30: approve\.classification\[1\]: .*"security"/);
    expect(message).toMatch(/baseline\.yaml:6:14: approve\.afterDays: .*>=0/);
    expect(message).toMatch(/baseline\.yaml:7:9: allow\[0\]: expected a package glob like "openssl"/);
    expect(message).toMatch(/baseline\.yaml:8:15: rejectAction: .*"block"\|"allow-as-dependency"/);
  });

  it('globs match the name (with or without architecture) and, after =, the version', () => {
    expect(globMatches('linux-image-*', 'linux-image-6.1.0-28-amd64', '6.1.119-1')).toBe(true);
    expect(globMatches('libc6', 'libc6:i386', '2.36')).toBe(true);
    expect(globMatches('openssl', 'openssl.x86_64', '1:3.0.7')).toBe(true);
    expect(globMatches('openssl', 'openssl-libs', '3')).toBe(false);
    expect(globMatches('nginx=1.24.*', 'nginx', '1.24.0-2')).toBe(true);
    expect(globMatches('nginx=1.24.*', 'nginx', '1.26.0-1')).toBe(false);
    expect(globMatches('lib?sl3', 'libssl3', '3')).toBe(true);
  });
});

describe('which updates a baseline approves', () => {
  const week = baseline('approve: {classification: [security], afterDays: 7}\n');
  const seen = (entries: Array<[string, string, number]>) => new Map(entries.map(([p, v, at]) => [firstSeenKey(p, v), at]));

  it('age boundaries: 7 days exactly is old enough, one millisecond less is not; the earlier of Release date and first seen counts', () => {
    const updates = [
      update('ten-days', { publishedAt: NOW - 10 * DAY }),
      update('two-days', { publishedAt: NOW - 2 * DAY }),
      update('exactly-seven', { publishedAt: NOW - 7 * DAY }),
      update('almost-seven', { publishedAt: NOW - 7 * DAY + 1 }),
      // The suite was republished yesterday, but our scans saw this version 9 days ago.
      update('seen-early', { publishedAt: NOW - DAY }),
      // Nothing known: first seen now, so 0 days.
      update('unknown'),
    ];
    const decisions = judgeUpdates(week, updates, seen([['seen-early', '1.1', NOW - 9 * DAY]]), NOW);
    expect(Object.fromEntries(decisions.map((d) => [d.update.package, [d.approved, d.ageDays]]))).toEqual({
      'ten-days': [true, 10], 'two-days': [false, 2], 'exactly-seven': [true, 7], 'almost-seven': [false, 6], 'seen-early': [true, 9], unknown: [false, 0],
    });
    expect(decisions[1]!.reason).toBe('available for 2 days: approved after 7 (on 2026-12-07)');
    expect(decisions[0]!.reason).toBe('security, available for 10 days (≥ 7)');
  });

  it('deny beats allow and the rules; allow approves at once whatever the classification; versions in globs count', () => {
    const b = baseline('approve: {afterDays: 7}\nallow: [tzdata, "nginx=1.24.*"]\ndeny: ["linux-image-*", tzdata]\n');
    const decisions = judgeUpdates(b, [
      update('linux-image-amd64', { publishedAt: NOW - 30 * DAY }),
      update('tzdata', { classification: 'other', publishedAt: NOW - 30 * DAY }),
      update('nginx', { classification: 'other', candidate: '1.24.0-2', publishedAt: NOW }),
      update('nginx-extras', { classification: 'other', candidate: '1.26.0-1', publishedAt: NOW - 30 * DAY }),
    ], new Map(), NOW);
    expect(decisions.map((d) => [d.update.package, d.approved, d.reason])).toEqual([
      ['linux-image-amd64', false, 'denied by deny[0] "linux-image-*"'],
      ['tzdata', false, 'denied by deny[1] "tzdata"'],
      ['nginx', true, 'allowed by allow[1] "nginx=1.24.*"'],
      ['nginx-extras', false, 'other updates are not approved (approve.classification: security)'],
    ]);
  });

  it('severity filters; apt updates (unspecified) pass only when listed', () => {
    const b = baseline('approve: {classification: [security, bugfix], severity: [critical, important]}\n');
    const decisions = judgeUpdates(b, [update('a', { severity: 'important' }), update('b', { severity: 'moderate' }), update('c'), update('d', { classification: 'bugfix', severity: 'critical' })], new Map(), NOW);
    expect(decisions.map((d) => d.approved)).toEqual([true, false, false, true]);
    expect(decisions[1]!.reason).toBe('severity moderate is not approved (approve.severity: critical, important)');
  });

  it('held packages are approved but not in the set to install', () => {
    const decisions = judgeUpdates(SECURITY_NOW, [update('a'), update('b', { held: true })], new Map(), NOW);
    expect(approvedVersions(decisions)).toEqual({ a: '1.1' });
  });

  it('dependency pulls: installed pinned as dependencies; a denied one blocks the host, or is allowed as a dependency', () => {
    const approved = { openssl: '3.0.15-1' };
    const sim = [{ package: 'openssl', from: '3.0.14-1', to: '3.0.15-1' }, { package: 'libssl3', from: '3.0.14-1', to: '3.0.15-1' }, { package: 'libnew1', from: '', to: '1.0' }];
    expect(installPlan(SECURITY_NOW, approved, sim)).toEqual({ ok: true, target: { openssl: '3.0.15-1', libssl3: '3.0.15-1', libnew1: '1.0' }, dependencies: { libssl3: '3.0.15-1', libnew1: '1.0' } });

    const blocking = baseline('deny: [libssl3]\n');
    expect(installPlan(blocking, approved, sim)).toEqual({ ok: false, error: 'the approved updates (openssl) need packages the baseline denies: libssl3 3.0.15-1 (deny[0] "libssl3"); rejectAction block installs none of them' });
    const lenient = baseline('deny: [libssl3]\nrejectAction: allow-as-dependency\n');
    expect(installPlan(lenient, approved, sim)).toMatchObject({ ok: true, dependencies: { libssl3: '3.0.15-1', libnew1: '1.0' } });

    // The package manager would pick another version than the approved one: refused, not installed half-right.
    expect(installPlan(SECURITY_NOW, approved, [{ package: 'openssl', from: '3.0.14-1', to: '3.0.16-1' }])).toEqual({ ok: false, error: 'openssl: the package manager would install 3.0.16-1 instead of the approved 3.0.15-1' });
  });
});

describe('compliance per host', () => {
  const scan = (host: string, over: Partial<Extract<HostScan, { ok: true }>> = {}): HostScan => ({ host, at: NOW - 3600_000, ok: true, manager: 'apt', updates: [], rebootRequired: false, ...over });
  const week = baseline('approve: {afterDays: 7}\n');

  it('compliant; non-compliant for missing approved updates or a pending reboot (each reason said); unknown without a good scan', () => {
    const clean = hostCompliance({ name: 'a' }, scan('a', { updates: [update('young', { publishedAt: NOW - 2 * DAY })] }), week, new Map(), NOW);
    expect(clean).toMatchObject({ state: 'compliant', reasons: [], securityPending: 1, oldestSecurityDays: 2 });

    const behind = hostCompliance({ name: 'b', tags: { service: 'web' } }, scan('b', { rebootRequired: true, updates: [update('old', { publishedAt: NOW - 10 * DAY }), update('kernel', { held: true, publishedAt: NOW - 20 * DAY })] }), week, new Map(), NOW);
    expect(behind).toMatchObject({ state: 'non-compliant', service: 'web', held: ['kernel'], oldestSecurityDays: 20, rebootRequired: true });
    expect(behind.reasons).toEqual(['2 approved updates missing (kernel, old)', 'held, so never upgraded until the hold is removed: kernel', 'reboot pending']);

    expect(hostCompliance({ name: 'c' }, { host: 'c', at: NOW, ok: false, error: 'c: connection refused' }, week, new Map(), NOW)).toMatchObject({ state: 'unknown', reasons: ['scan failed: c: connection refused'] });
    expect(hostCompliance({ name: 'd' }, undefined, week, new Map(), NOW)).toMatchObject({ state: 'unknown', reasons: ['never scanned: run `maint hosts scan`'] });
  });

  it('worst first, with counts and the oldest missing security update per service and inventory', () => {
    const hosts = [
      hostCompliance({ name: 'ok-1', tags: { service: 'web' } }, scan('ok-1'), week, new Map(), NOW),
      hostCompliance({ name: 'reboot', tags: { service: 'api' } }, scan('reboot', { rebootRequired: true }), week, new Map(), NOW),
      hostCompliance({ name: 'gone', tags: { service: 'web' } }, { host: 'gone', at: NOW, ok: false, error: 'timeout' }, week, new Map(), NOW),
      hostCompliance({ name: 'old', tags: { service: 'web' } }, scan('old', { updates: [update('openssl', { publishedAt: NOW - 40 * DAY })] }), week, new Map(), NOW),
      hostCompliance({ name: 'older' }, scan('older', { updates: [update('libc6', { publishedAt: NOW - 50 * DAY })] }), week, new Map(), NOW),
    ];
    expect(sortWorstFirst(hosts).map((h) => h.host)).toEqual(['older', 'old', 'reboot', 'gone', 'ok-1']);
    expect(summariesByService(hosts)).toEqual([
      { scope: 'inventory', hosts: 5, compliant: 1, nonCompliant: 3, unknown: 1, oldestSecurity: { host: 'older', package: 'libc6', ageDays: 50 } },
      { scope: '(no service)', hosts: 1, compliant: 0, nonCompliant: 1, unknown: 0, oldestSecurity: { host: 'older', package: 'libc6', ageDays: 50 } },
      { scope: 'api', hosts: 1, compliant: 0, nonCompliant: 1, unknown: 0 },
      { scope: 'web', hosts: 3, compliant: 1, nonCompliant: 1, unknown: 1, oldestSecurity: { host: 'old', package: 'openssl', ageDays: 40 } },
    ]);
  });
});
