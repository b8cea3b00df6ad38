// `maint hosts scan` and `maint hosts compliance` as a user runs them: the built CLI, a `maint
// worker` process on the shared Temporal dev server, and real apt on real sshd hosts (each an apt
// sandbox, see helpers/aptSandbox.ts, with a -security suite and a normal one published on chosen
// dates). One host has a real /run/reboot-required of its own (private /run), one cannot be reached.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostCompliance, ComplianceSummary } from '../../policies/compliance/status';
import type { ScanSummary } from '../../policies/compliance/types';
import { installOnSandbox, startAptSandbox, type AptSandbox } from '../helpers/aptSandbox';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until } from '../helpers/until';

const DAY = 86_400_000;
const T = Date.now();

interface Report {
  baseline: string;
  hosts: HostCompliance[];
  summaries: ComplianceSummary[];
}

describe('maint hosts scan / hosts compliance on real apt hosts over SSH', () => {
  let patched: AptSandbox;
  let fresh: AptSandbox;
  let worker: LongRunning | undefined;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let inventory: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maint-compliance-e2e-'));
    // web-1: a 10-day-old security fix missing, a held package, a reboot pending.
    patched = await startAptSandbox('web', { privateRun: true });
    await patched.reset(['stable', 'stable-security']);
    patched.publish('stable', [{ name: 'maint-demo', version: '1.0.0' }, { name: 'maint-demo', version: '2.0.0' }], new Date(T - 30 * DAY));
    patched.publish('stable-security', [{ name: 'maint-sec', version: '1.0.0' }, { name: 'maint-sec', version: '1.0.1' }], new Date(T - 10 * DAY));
    await installOnSandbox(patched, ['maint-demo=1.0.0', 'maint-sec=1.0.0']);
    await patched.sh('apt-mark hold maint-demo');
    patched.setRebootRequired(true);
    // api-1: only a 2-day-old security fix missing.
    fresh = await startAptSandbox('api');
    await fresh.reset(['stable-security']);
    fresh.publish('stable-security', [{ name: 'maint-fresh', version: '1.0' }, { name: 'maint-fresh', version: '1.1' }], new Date(T - 2 * DAY));
    await installOnSandbox(fresh, ['maint-fresh=1.0']);

    const entry = (name: string, host: AptSandbox['host'], service: string, port = host.port) =>
      `  - ${JSON.stringify({ name, address: host.address, port, user: host.user, identityFile: host.identityFile, hostKey: host.hostKey, tags: { service } })}`;
    inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, ['apiVersion: maint/v1', 'kind: Inventory', 'hosts:',
      entry('web-1', patched.host, 'web'), entry('api-1', fresh.host, 'web'),
      // Nothing listens on port 1: this host's compliance is unknown, with why.
      entry('db-1', fresh.host, 'db', 1), ''].join('\n'));
    writeFileSync(join(dir, 'week.yaml'), 'apiVersion: maint/v1\nkind: PatchBaseline\nname: week\napprove: {classification: [security], afterDays: 7}\n');

    env = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('e2e-compliance'), MAINT_SSH_IDENTITY_FILE: patched.host.identityFile };
    worker = startMaint(['worker'], env);
    await worker.waitFor(/polling task queue/, 90_000);
  }, 240_000);

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await patched?.stop();
    await fresh?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scan reports exactly the missing updates, their classification and age, the held package and the pending reboot, and changes nothing on the hosts', async () => {
    const dpkgBefore = await patched.sh('cat "$DPKG_ADMINDIR/status"');
    const result = await runMaint(['hosts', 'scan', '-f', inventory, '--json'], env, 150_000);
    // db-1 could not be scanned: exit 1, and it is in the report, not left out.
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout) as { scan: ScanSummary[] } & Report;
    expect(out.scan).toEqual([
      { host: 'web-1', ok: true, pending: 2, securityPending: 1, rebootRequired: true, held: 1 },
      { host: 'api-1', ok: true, pending: 1, securityPending: 1, rebootRequired: false, held: 0 },
      expect.objectContaining({ host: 'db-1', ok: false }),
    ]);
    expect(out.baseline).toBe('security-now');
    // Without a baseline every missing security update counts: worst (oldest security update) first.
    expect(out.hosts.map((h) => [h.host, h.state])).toEqual([['web-1', 'non-compliant'], ['api-1', 'non-compliant'], ['db-1', 'unknown']]);
    const [web, api, db] = out.hosts as [HostCompliance, HostCompliance, HostCompliance];
    expect(web.pending.map((m) => [m.package, m.installed, m.candidate, m.classification, m.ageDays, m.approved, m.held])).toEqual([
      ['maint-sec', '1.0.0', '1.0.1', 'security', 10, true, false],
      ['maint-demo', '1.0.0', '2.0.0', 'other', 30, false, true],
    ]);
    expect(web).toMatchObject({ service: 'web', securityPending: 1, oldestSecurityDays: 10, rebootRequired: true, held: ['maint-demo'], reasons: ['1 approved update missing (maint-sec)', 'reboot pending'] });
    expect(api.pending.map((m) => [m.package, m.candidate, m.classification, m.ageDays])).toEqual([['maint-fresh', '1.1', 'security', 2]]);
    expect(api).toMatchObject({ securityPending: 1, oldestSecurityDays: 2, rebootRequired: false, held: [] });
    expect(db.reasons).toEqual([expect.stringMatching(/^scan failed: .*(db-1|127\.0\.0\.1:1|ECONNREFUSED|refused)/)]);
    // Read-only: the dpkg database is as it was, the reboot marker still there.
    expect(await patched.sh('cat "$DPKG_ADMINDIR/status"')).toBe(dpkgBefore);
    expect(await patched.sh('test -e /run/reboot-required && echo pending')).toBe('pending\n');
  }, 180_000);

  it('compliance judges the stored scans against a baseline, worst first, with counts per service and inventory; text and --service too', async () => {
    const judged = await runMaint(['hosts', 'compliance', '-f', inventory, '--baseline', join(dir, 'week.yaml'), '--json'], env);
    expect(judged.code).toBe(1);
    const report = JSON.parse(judged.stdout) as Report;
    expect(report.baseline).toBe('week');
    // afterDays 7: web-1's 10-day-old fix is approved and missing, api-1's 2-day-old one not yet approved.
    expect(report.hosts.map((h) => [h.host, h.state])).toEqual([['web-1', 'non-compliant'], ['db-1', 'unknown'], ['api-1', 'compliant']]);
    expect(report.hosts[2]).toMatchObject({ reasons: [], securityPending: 1, missingApproved: [] });
    expect(report.summaries).toEqual([
      { scope: 'inventory', hosts: 3, compliant: 1, nonCompliant: 1, unknown: 1, oldestSecurity: { host: 'web-1', package: 'maint-sec', ageDays: 10 } },
      { scope: 'db', hosts: 1, compliant: 0, nonCompliant: 0, unknown: 1 },
      { scope: 'web', hosts: 2, compliant: 1, nonCompliant: 1, unknown: 0, oldestSecurity: { host: 'web-1', package: 'maint-sec', ageDays: 10 } },
    ]);

    const text = await runMaint(['hosts', 'compliance', '-f', inventory, '--service', 'web'], env);
    expect(text.code).toBe(1);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^HOST +SERVICE +STATE +MISSING +SECURITY +OLDEST SECURITY +REBOOT +HELD +WHY$/);
    expect(lines[1]).toMatch(/^web-1 +web +non-compliant +2 \(1 approved\) +1 +10d +yes +maint-demo +1 approved update missing \(maint-sec\); reboot pending$/);
    expect(lines[2]).toMatch(/^api-1 +web +non-compliant +1 \(1 approved\) +1 +2d +no/);
    expect(lines).not.toContainEqual(expect.stringMatching(/^db-1/));
    expect(text.stdout).toMatch(/^web +2 +0 +2 +0 +maint-sec on web-1, 10d$/m);
    expect(text.stdout).toContain('(judged against baseline security-now)');

    // Without an inventory: every host the store has scans of.
    const all = JSON.parse((await runMaint(['hosts', 'compliance', '--json'], env)).stdout) as Report;
    expect(all.hosts.map((h) => h.host)).toEqual(['web-1', 'api-1', 'db-1']);

    const unknownService = await runMaint(['hosts', 'compliance', '-f', inventory, '--service', 'shop'], env);
    expect(unknownService.code).toBe(2);
    expect(unknownService.stderr).toContain('--service shop: no host of');
    expect(unknownService.stderr).toContain('(services there: db, web)');
  }, 120_000);

  it('maint apply keeps a schedule per `compliance:` inventory: dry-run shows it, apply creates it once, a triggered run records new scans, removing it deletes it', async () => {
    const org = join(dir, 'maint.yaml');
    const head = `apiVersion: maint/v1\nkind: Organisation\norganisation: {name: Compliance e2e ${env.MAINT_TASK_QUEUE}, contact: {email: ops@example.com}}\n`;
    writeFileSync(org, `${head}compliance:\n  - {inventory: inventory.yaml, schedule: {cron: "0 5 * * *", timezone: Europe/Amsterdam}}\n`);
    const line = (action: string) => new RegExp(`^compliance scan: (compliance-inventory-[0-9a-f]{8}) ${action}: scans ${inventory.replace(/[.]/g, '\\.')} at "0 5 \\* \\* \\*" \\(Europe/Amsterdam\\)$`, 'm');
    const connection = await Connection.connect({ address: process.env.MAINT_TEST_TEMPORAL_ADDRESS! });
    const client = new Client({ connection });
    try {
      const dry = await runMaint(['apply', '-f', org, '--dry-run'], env);
      expect(dry.code).toBe(0);
      const scheduleId = line('create').exec(dry.stdout)?.[1];
      expect(scheduleId).toBeDefined();
      await expect(client.schedule.getHandle(scheduleId!).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);

      expect((await runMaint(['apply', '-f', org], env)).stdout).toMatch(line('create'));
      const described = await client.schedule.getHandle(scheduleId!).describe();
      expect(described.spec.timezone).toBe('Europe/Amsterdam');
      expect(described.action.type === 'startWorkflow' && described.action.workflowType).toBe('complianceScanWorkflow');
      expect((await runMaint(['apply', '-f', org], env)).stdout).toMatch(line('unchanged'));

      // The schedule's run scans the inventory (read by the worker) and records every host again.
      const scannedAt = async () => Object.fromEntries((JSON.parse((await runMaint(['hosts', 'compliance', '-f', inventory, '--json'], env)).stdout) as Report).hosts.map((h) => [h.host, h.scannedAt ?? 0]));
      const before = await scannedAt();
      await client.schedule.getHandle(scheduleId!).trigger();
      const after = await until('the scheduled scan to record web-1, api-1 and db-1', async () => {
        const now = await scannedAt();
        return ['web-1', 'api-1', 'db-1'].every((h) => now[h]! > before[h]!) ? now : undefined;
      }, 90_000, 1000);
      expect(Object.keys(after).sort()).toEqual(['api-1', 'db-1', 'web-1']);

      writeFileSync(org, head);
      const removed = await runMaint(['apply', '-f', org], env);
      expect(removed.stdout).toContain(`compliance scan: ${scheduleId} delete`);
      await expect(client.schedule.getHandle(scheduleId!).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    } finally {
      await connection.close();
    }
  }, 180_000);
});
