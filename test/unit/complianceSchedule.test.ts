import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { complianceSchedulePlans } from '../../control/complianceSchedules';
import { loadOrganisation } from '../../control/organisation';
import { parsePolicyText } from '../../policies/common/parse';
import { organisationSchema } from '../../policies/organisation/schema';

const HEAD = 'apiVersion: maint/v1\nkind: Organisation\norganisation: {name: Acme, contact: {email: ops@acme.example}}\n';

describe('compliance: in the organisation file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'maint-compliance-schedule-'));
    writeFileSync(join(dir, 'hosts.yaml'), 'apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: web-1, address: 127.0.0.1, hostKey: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", tags: {service: web}}\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names file, line, path and expectation for every bad field', () => {
    const text = `${HEAD}compliance:\n  - inventory: hosts.yaml\n    schedule: {cron: "0 25 * * *", timezone: Mars/Olympus}\n    colour: red\n  - schedule: {cron: "daily"}\n`;
    let message = '';
    try {
      parsePolicyText(text, 'maint.yaml', organisationSchema);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^maint\.yaml is invalid/);
    expect(message).toMatch(/maint\.yaml:\d+:\d+: compliance\[0\]\.schedule\.cron: .*hour/);
    expect(message).toMatch(/maint\.yaml:\d+:\d+: compliance\[0\]\.schedule\.timezone: unknown timezone "Mars\/Olympus"/);
    expect(message).toMatch(/maint\.yaml:\d+:\d+: compliance\[0\]\.colour: unknown key "colour"/);
    expect(message).toMatch(/maint\.yaml:\d+:\d+: compliance\[1\]\.inventory: is required/);
    expect(message).toMatch(/maint\.yaml:\d+:\d+: compliance\[1\]\.schedule\.cron: expected five cron fields/);
  });

  it('plans one schedule per inventory with a deterministic id; a missing or repeated inventory names the file and path', async () => {
    const good = join(dir, 'maint.yaml');
    writeFileSync(good, `${HEAD}compliance:\n  - {inventory: hosts.yaml, schedule: {cron: "0 5 * * *", timezone: Europe/Amsterdam}}\n`);
    const plans = await complianceSchedulePlans(await loadOrganisation([good]));
    expect(plans.map((p) => [p.scheduleId.replace(/[0-9a-f]{8}$/, 'HASH'), p.inventory, p.cron, p.timezone])).toEqual([['compliance-hosts-HASH', join(dir, 'hosts.yaml'), '0 5 * * *', 'Europe/Amsterdam']]);
    expect((await complianceSchedulePlans(await loadOrganisation([good])))[0]!.scheduleId).toBe(plans[0]!.scheduleId);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `${HEAD}compliance:\n  - {inventory: nowhere.yaml, schedule: {cron: "0 5 * * *"}}\n  - {inventory: hosts.yaml, schedule: {cron: "0 5 * * *"}}\n  - {inventory: hosts.yaml, schedule: {cron: "0 6 * * *"}}\n`);
    const org = await loadOrganisation([bad]);
    await expect(complianceSchedulePlans(org)).rejects.toThrow(`${bad}: compliance[0].inventory: cannot use nowhere.yaml`);
    await expect(complianceSchedulePlans(org)).rejects.toThrow(`${join(dir, 'nowhere.yaml')}: cannot read the inventory (ENOENT)`);
    await expect(complianceSchedulePlans(org)).rejects.toThrow(`${bad}: compliance[2].inventory: hosts.yaml is already scanned by ${bad} compliance[1].inventory`);
  });
});
