// The compliance scan against this machine's REAL apt and dpkg (sandboxed, see helpers/aptSandbox.ts)
// over a real sshd, with a normal suite and a *-security suite published on chosen dates; results
// recorded in a real store. Then the baseline's approved versions are installed pinned with the apt
// strategy, and the next scan finds the host compliant.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComplianceActivities } from '../../activities/compliance';
import { runJob } from '../../activities/hosts/jobs';
import { NodeSshConnector } from '../../activities/hosts/ssh';
import { aptStrategy } from '../../activities/patch/strategies/apt';
import type { StrategyContext } from '../../activities/patch/strategy';
import { approvedVersions, installPlan, judgeUpdates, patchBaselineSchema } from '../../policies/compliance/baseline';
import { hostCompliance } from '../../policies/compliance/status';
import { parsePolicyText } from '../../policies/common/parse';
import { openStore, type Store } from '../../store';
import { firstSeenTimes, hostScanHistory, latestHostScans } from '../../store/compliance';
import { installOnSandbox, startAptSandbox, type AptSandbox } from '../helpers/aptSandbox';

const DAY = 86_400_000;
// Release files carry whole seconds.
const T = Math.floor(Date.now() / 1000) * 1000;
const BASELINE = parsePolicyText('apiVersion: maint/v1\nkind: PatchBaseline\nname: web-default\napprove: {classification: [security], afterDays: 7}\n', 'baseline.yaml', patchBaselineSchema);

describe('compliance scan of a real apt host over SSH', () => {
  let sandbox: AptSandbox;
  let store: Store;
  let dataDir: string;
  let clock = T;

  beforeAll(async () => {
    sandbox = await startAptSandbox('scan');
    dataDir = mkdtempSync(join(tmpdir(), 'maint-scan-store-'));
    store = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await sandbox?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports exactly the missing updates with classification, age, hold and reboot; the baseline approves the 10-day-old security update, not the 2-day-old one; installed pinned, the host turns compliant', async () => {
    const activities = createComplianceActivities({ ssh: new NodeSshConnector(), store, now: () => clock });
    const scan = (scanId: string, refresh = false) => activities.scanHostCompliance({ scanId, target: sandbox.host, refresh });

    await sandbox.reset(['stable', 'maint-security']);
    sandbox.publish('stable', [{ name: 'maint-demo', version: '1.0.0' }, { name: 'maint-demo', version: '2.0.0', depends: 'maint-lib (>= 1.0.0)' }, { name: 'maint-lib', version: '1.0.0' }], new Date(T - 30 * DAY));
    const security = [{ name: 'maint-sec', version: '1:1.0.0' }, { name: 'maint-sec', version: '1:1.0.1' }, { name: 'maint-fresh', version: '1.0' }];
    sandbox.publish('maint-security', security, new Date(T - 10 * DAY));
    await installOnSandbox(sandbox, ['maint-demo=1.0.0', 'maint-sec=1:1.0.0', 'maint-fresh=1.0']);

    // Ten days ago: the security fix for maint-sec is out. The scan changes nothing on the host.
    clock = T - 10 * DAY;
    const status = await sandbox.sh('cat "$DPKG_ADMINDIR/status"');
    expect(await scan('scan-1')).toEqual({ host: sandbox.host.name, ok: true, pending: 2, securityPending: 1, rebootRequired: false, held: 0 });
    expect(await sandbox.sh('cat "$DPKG_ADMINDIR/status"')).toBe(status);

    // Two days ago: maint-fresh 1.1 is published in the security suite; the scan refreshes apt's lists first.
    sandbox.publish('maint-security', [...security, { name: 'maint-fresh', version: '1.1' }], new Date(T - 2 * DAY));
    clock = T - 2 * DAY;
    expect(await scan('scan-2', true)).toMatchObject({ ok: true, pending: 3, securityPending: 2 });

    // Now: someone held maint-demo, and a reboot is pending.
    await sandbox.sh('apt-mark hold maint-demo');
    sandbox.setNeedrestart('NEEDRESTART-VER: 3.6\nNEEDRESTART-KCUR: 6.1.0-27-amd64\nNEEDRESTART-KEXP: 6.1.0-28-amd64\nNEEDRESTART-KSTA: 3\n');
    clock = T;
    expect(await scan('scan-3')).toEqual({ host: sandbox.host.name, ok: true, pending: 3, securityPending: 2, rebootRequired: true, held: 1 });

    const latest = (await latestHostScans(store, [sandbox.host.name])).get(sandbox.host.name)!;
    expect(latest).toEqual({
      host: sandbox.host.name, at: T, ok: true, manager: 'apt', rebootRequired: true,
      updates: [
        { package: 'maint-demo', installed: '1.0.0', candidate: '2.0.0', source: 'stable', classification: 'other', severity: 'unspecified', cves: [], publishedAt: T - 30 * DAY, held: true },
        { package: 'maint-fresh', installed: '1.0', candidate: '1.1', source: 'maint-security', classification: 'security', severity: 'unspecified', cves: [], publishedAt: T - 2 * DAY, held: false },
        { package: 'maint-sec', installed: '1:1.0.0', candidate: '1:1.0.1', source: 'maint-security', classification: 'security', severity: 'unspecified', cves: [], publishedAt: T - 2 * DAY, held: false },
      ],
    });
    const firstSeen = (await firstSeenTimes(store, [sandbox.host.name])).get(sandbox.host.name)!;
    const compliance = hostCompliance(sandbox.host, latest, BASELINE, firstSeen, T);
    expect(compliance.state).toBe('non-compliant');
    expect(compliance.reasons).toEqual(['1 approved update missing (maint-sec)', 'reboot pending']);
    // maint-sec's suite was republished 2 days ago, but our scans saw the version 10 days ago.
    expect(compliance.pending.map((m) => [m.package, m.classification, m.ageDays, m.approved, m.held])).toEqual([
      ['maint-sec', 'security', 10, true, false],
      ['maint-fresh', 'security', 2, false, false],
      ['maint-demo', 'other', 30, false, true],
    ]);
    expect(compliance).toMatchObject({ held: ['maint-demo'], oldestSecurityDays: 10, rebootRequired: true });

    // The baseline's exact set, installed pinned by the apt strategy (as a rollout with that baseline does).
    const approved = approvedVersions(judgeUpdates(BASELINE, latest.ok ? latest.updates : [], firstSeen, T));
    expect(approved).toEqual({ 'maint-sec': '1:1.0.1' });
    const strategy = { kind: 'apt' as const, packages: Object.entries(approved).map(([p, v]) => `${p}=${v}`) };
    const ctx: StrategyContext = {
      shell: sandbox.shell, host: sandbox.host, rolloutId: 'compliance-e2e', commandTimeoutSeconds: 300, heartbeat: () => undefined,
      runChange: (step, command) => runJob(sandbox.shell, `compliance-e2e.${sandbox.host.name}.${step}`, command, { timeoutSeconds: 300 }),
    };
    const preview = await aptStrategy.preview(ctx, strategy);
    expect(installPlan(BASELINE, approved, preview)).toEqual({ ok: true, target: { 'maint-sec': '1:1.0.1' }, dependencies: {} });
    const record = await aptStrategy.record(ctx, strategy);
    expect(record.target).toEqual({ 'maint-sec': '1:1.0.1' });
    await aptStrategy.apply(ctx, strategy, record);
    expect(await sandbox.installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-fresh': '1.0', 'maint-sec': '1:1.0.1' });

    // Rebooted (needrestart quiet): the next scan finds the host compliant; maint-fresh waits for its 7 days.
    sandbox.setNeedrestart('NEEDRESTART-KSTA: 1\n');
    clock = T + 3600_000;
    expect(await scan('scan-4')).toMatchObject({ ok: true, pending: 2, securityPending: 1, rebootRequired: false });
    const after = (await latestHostScans(store, [sandbox.host.name])).get(sandbox.host.name)!;
    const now = hostCompliance(sandbox.host, after, BASELINE, (await firstSeenTimes(store, [sandbox.host.name])).get(sandbox.host.name)!, clock);
    expect(now).toMatchObject({ state: 'compliant', reasons: [], securityPending: 1 });
    expect((await hostScanHistory(store, sandbox.host.name)).map((h) => [h.at, h.pending, h.rebootRequired])).toEqual([
      [T + 3600_000, 2, false], [T, 3, true], [T - 2 * DAY, 3, false], [T - 10 * DAY, 2, false],
    ]);
  }, 240_000);

  it('a host that cannot be reached is recorded as a failed scan with why (compliance unknown), not skipped', async () => {
    const activities = createComplianceActivities({ ssh: new NodeSshConnector(), store, now: () => T });
    const gone = { ...sandbox.host, name: 'gone-1', port: 1 };
    const summary = await activities.scanHostCompliance({ scanId: 'scan-gone', target: gone });
    expect(summary).toMatchObject({ host: 'gone-1', ok: false });
    expect(summary.error).toMatch(/gone-1|127\.0\.0\.1:1|ECONNREFUSED|refused/);
    const latest = (await latestHostScans(store, ['gone-1'])).get('gone-1');
    expect(hostCompliance({ name: 'gone-1' }, latest, BASELINE, new Map(), T)).toMatchObject({ state: 'unknown', reasons: [`scan failed: ${summary.error}`] });
  }, 60_000);
});
