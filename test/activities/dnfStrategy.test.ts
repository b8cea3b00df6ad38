// The dnf strategy against this machine's REAL dnf 4 and rpm, over a real sshd, on a sandboxed
// host (test/helpers/dnfSandbox.ts): record → apply → `dnf history undo`, preview, security-only,
// and the reboot check. Every test starts its own host (installroot, repository, sshd) and removes it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dnfScanner } from '../../activities/compliance/scanners/dnf';
import { dnfStrategy } from '../../activities/patch/strategies/dnf';
import type { Strategy } from '../../policies/rollout/policy';
import { buildRpms, startDnfSandbox, type BuiltRpm, type DnfSandbox } from '../helpers/dnfSandbox';

type Dnf = Extract<Strategy, { kind: 'dnf' }>;
const ALL: Dnf = { kind: 'dnf', packages: 'all' };
const SECURITY: Dnf = { kind: 'dnf', packages: 'security' };
const DNF = '-y';

// maint-demo 2.0-1 needs maint-lib, which 1.0-1 did not: apply installs it, rollback removes it.
// maint-sec's update is a security advisory in the repository's updateinfo.
const OLD = ['maint-demo-1.0-1', 'maint-sec-1:1.0.0-1'];

describe('dnf strategy on a real dnf/rpm (sandboxed installroot) over SSH', () => {
  let build: string;
  let rpms: BuiltRpm[];
  beforeAll(() => {
    build = mkdtempSync(join(tmpdir(), 'maint-rpmbuild-'));
    rpms = buildRpms(build, [
      { name: 'maint-demo', evr: '1.0-1' },
      { name: 'maint-demo', evr: '2.0-1', requires: 'maint-lib' },
      { name: 'maint-lib', evr: '1.0-1' },
      { name: 'maint-sec', evr: '1:1.0.0-1' },
      { name: 'maint-sec', evr: '1:1.0.1-1', security: true },
    ]);
  }, 60_000);
  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  /** A fresh host with the old versions installed; always removed, whatever the test does. */
  async function onHost(test: (host: DnfSandbox) => Promise<void>): Promise<void> {
    const host = await startDnfSandbox(rpms, OLD);
    try {
      expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
      await test(host);
      // Nothing reached the machine itself: its rpm database, /opt, dnf's local-plugin repository.
      expect(execFileSync('/usr/bin/rpm', ['-qa'], { encoding: 'utf8' }).split('\n').filter((p) => p.startsWith('maint-'))).toEqual([]);
      expect(['/opt/maint-demo', '/opt/maint-sec', '/opt/maint-lib', '/var/lib/dnf/plugins/local'].filter((p) => existsSync(p))).toEqual([]);
    } finally {
      await host.close();
    }
  }

  it('previews every upgrade, only the security ones, or the named ones, changing nothing', () => onHost(async (host) => {
    const byName = (a: { package: string }, b: { package: string }) => a.package.localeCompare(b.package);
    const transactions = host.transactions();
    expect((await dnfStrategy.preview(host.ctx, ALL)).sort(byName)).toEqual([
      { package: 'maint-demo.noarch', from: '1.0-1', to: '2.0-1' },
      { package: 'maint-lib.noarch', from: '', to: '1.0-1' },
      { package: 'maint-sec.noarch', from: '1:1.0.0-1', to: '1:1.0.1-1' },
    ]);
    expect(await dnfStrategy.preview(host.ctx, SECURITY)).toEqual([{ package: 'maint-sec.noarch', from: '1:1.0.0-1', to: '1:1.0.1-1' }]);
    expect(await dnfStrategy.preview(host.ctx, { kind: 'dnf', packages: ['maint-sec'] })).toEqual([{ package: 'maint-sec.noarch', from: '1:1.0.0-1', to: '1:1.0.1-1' }]);
    // Not installed: a patch only upgrades, it never installs new software by itself.
    expect(await dnfStrategy.preview(host.ctx, { kind: 'dnf', packages: ['maint-lib'] })).toEqual([]);
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
    expect(host.transactions()).toEqual(transactions);
  }));

  it('all: record → apply → a retried apply changes nothing → history undo → rollback again changes nothing', () => onHost(async (host) => {
    const record = await dnfStrategy.record(host.ctx, ALL);
    expect(record).toEqual({
      before: { 'maint-demo.noarch': '1.0-1', 'maint-lib.noarch': '', 'maint-sec.noarch': '1:1.0.0-1' },
      target: { 'maint-demo.noarch': '2.0-1', 'maint-lib.noarch': '1.0-1', 'maint-sec.noarch': '1:1.0.1-1' },
    });
    const before = host.transactions();

    const applied = await dnfStrategy.apply(host.ctx, ALL, record);
    expect(host.installed()).toEqual({ 'maint-demo': '2.0-1', 'maint-lib': '1.0-1', 'maint-sec': '1:1.0.1-1' });
    expect(host.versionFile('maint-demo')).toBe('2.0');
    expect(host.versionFile('maint-lib')).toBe('1.0');
    const upgrade = String(before.length + 1);
    expect(applied).toEqual({ installed: record.target, alreadyApplied: false, record: { ...record, transactionId: upgrade } });

    // A retry whose first attempt did not live to report (the record without the transaction id):
    // nothing runs again, and the transaction is found, new dependency and all.
    const again = await dnfStrategy.apply(host.ctx, ALL, record);
    expect(again).toEqual({ installed: record.target, alreadyApplied: true, record: applied.record });
    expect(host.transactions()).toHaveLength(before.length + 1);

    expect(await dnfStrategy.rollback(host.ctx, ALL, applied.record)).toEqual(record.before);
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
    expect(host.versionFile('maint-demo')).toBe('1.0');
    expect(host.versionFile('maint-lib')).toBeUndefined();

    expect(await dnfStrategy.rollback(host.ctx, ALL, applied.record)).toEqual(record.before);
    // Exactly two dnf transactions changed the host: the pinned upgrade and the undo of it.
    expect(host.transactions().slice(before.length)).toEqual([
      `${DNF} upgrade maint-demo-2.0-1.noarch maint-sec-1:1.0.1-1.noarch`,
      `${DNF} history undo ${upgrade}`,
    ]);
    expect(host.steps).toEqual(['dnf check-update --refresh', 'dnf upgrade', `dnf history undo ${upgrade}`]);
  }));

  it('security only: patches the package with an advisory and leaves the rest alone, then undoes it', () => onHost(async (host) => {
    const record = await dnfStrategy.record(host.ctx, SECURITY);
    expect(record).toEqual({ before: { 'maint-sec.noarch': '1:1.0.0-1' }, target: { 'maint-sec.noarch': '1:1.0.1-1' } });
    const applied = await dnfStrategy.apply(host.ctx, SECURITY, record);
    expect(applied.installed).toEqual({ 'maint-sec.noarch': '1:1.0.1-1' });
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.1-1' });
    expect(host.versionFile('maint-sec')).toBe('1.0.1');

    expect(await dnfStrategy.rollback(host.ctx, SECURITY, applied.record)).toEqual({ 'maint-sec.noarch': '1:1.0.0-1' });
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
    expect(host.versionFile('maint-sec')).toBe('1.0.0');
    expect(host.transactions().slice(-2)).toEqual([`${DNF} upgrade maint-sec-1:1.0.1-1.noarch`, `${DNF} history undo ${applied.record.transactionId}`]);
  }));

  it('a pinned version: upgrades to exactly that one, not the newest', () => onHost(async (host) => {
    const pinned: Dnf = { kind: 'dnf', packages: ['maint-sec=1:1.0.0-1', 'maint-demo=2.0-1'] };
    const record = await dnfStrategy.record(host.ctx, pinned);
    expect(record.target['maint-sec.noarch']).toBeUndefined();
    expect(record.target['maint-demo.noarch']).toBe('2.0-1');
    await dnfStrategy.apply(host.ctx, pinned, record);
    expect(host.installed()).toEqual({ 'maint-demo': '2.0-1', 'maint-lib': '1.0-1', 'maint-sec': '1:1.0.0-1' });
  }));

  it('without a transaction id, rolls back by downgrade and remove', () => onHost(async (host) => {
    const record = await dnfStrategy.record(host.ctx, ALL);
    const { record: applied } = await dnfStrategy.apply(host.ctx, ALL, record);
    expect(applied.transactionId).toBeDefined();
    const { transactionId: _lost, ...withoutId } = applied;
    expect(await dnfStrategy.rollback(host.ctx, ALL, withoutId)).toEqual(record.before);
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
    expect(host.transactions().slice(-2)).toEqual([
      `${DNF} downgrade maint-demo-1.0-1.noarch maint-sec-1:1.0.0-1.noarch`,
      `${DNF} remove maint-lib.noarch`,
    ]);
  }));

  it('refuses to undo once the repository has dropped the old version, changing nothing; undoes once it is back', () => onHost(async (host) => {
    const only: Dnf = { kind: 'dnf', packages: ['maint-demo'] };
    const record = await dnfStrategy.record(host.ctx, only);
    const { record: applied } = await dnfStrategy.apply(host.ctx, only, record);
    // The mirror moves on: 1.0-1 leaves the repository, as on a distribution's own mirrors. dnf
    // downloaded 1.0-1 itself when the host was set up (its cache may hold it): no help to an undo.
    host.publish(rpms.filter((p) => !(p.name === 'maint-demo' && p.evr === '1.0-1')));
    await host.sh('LC_ALL=C dnf -q makecache --refresh');
    const transactions = host.transactions();
    await expect(dnfStrategy.rollback(host.ctx, only, applied)).rejects.toThrow(
      'dnf-1: cannot roll back: maint-demo-1.0-1.noarch is in no enabled dnf repository any more (dnf\'s cache does not count); nothing was changed');
    expect(host.installed()).toEqual({ 'maint-demo': '2.0-1', 'maint-lib': '1.0-1', 'maint-sec': '1:1.0.0-1' });
    expect(host.transactions()).toEqual(transactions);

    host.publish(rpms);
    await host.sh('LC_ALL=C dnf -q makecache --refresh');
    expect(await dnfStrategy.rollback(host.ctx, only, applied)).toEqual({ 'maint-demo.noarch': '1.0-1', 'maint-lib.noarch': '' });
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
  }));

  it('compliance scan on the real dnf: check-update and updateinfo as dnf prints them, the advisory\'s type, severity and issued date, nothing changed', () => onHost(async (host) => {
    const transactions = host.transactions();
    const findings = await dnfScanner.scan(host.shell, host.ctx.host.name, { refresh: false, timeoutSeconds: 120 });
    const byName = [...findings.updates].sort((a, b) => a.package.localeCompare(b.package));
    expect(byName).toEqual([
      expect.objectContaining({ package: 'maint-demo.noarch', installed: '1.0-1', candidate: '2.0-1', classification: expect.not.stringMatching(/^security$/) }),
      expect.objectContaining({
        package: 'maint-sec.noarch', installed: '1:1.0.0-1', candidate: '1:1.0.1-1', classification: 'security', severity: 'important',
        source: 'MAINT-SA-1', publishedAt: Date.parse('2026-01-01T00:00:00Z'),
      }),
    ]);
    expect(findings.rebootRequired).toBe(false);
    expect(host.transactions()).toEqual(transactions);
    expect(host.installed()).toEqual({ 'maint-demo': '1.0-1', 'maint-sec': '1:1.0.0-1' });
  }));

  it('asks for a reboot when needs-restarting -r reports a core package updated since boot', () => onHost(async (host) => {
    // No kernel, glibc or systemd in the sandbox: nothing core was updated since boot.
    expect(await dnfStrategy.rebootRequired(host.ctx, ALL)).toBe(false);
    // The host's own list of packages that need a reboot (/etc/dnf/plugins/needs-restarting.d):
    // maint-sec, updated now, i.e. after boot.
    mkdirSync(join(host.root, 'etc/dnf/plugins/needs-restarting.d'), { recursive: true });
    writeFileSync(join(host.root, 'etc/dnf/plugins/needs-restarting.d/maint.conf'), 'maint-sec\n');
    const record = await dnfStrategy.record(host.ctx, SECURITY);
    await dnfStrategy.apply(host.ctx, SECURITY, record);
    expect(await dnfStrategy.rebootRequired(host.ctx, SECURITY)).toBe(true);
  }));
});
