import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint } from '../helpers/cli';

// `maint apply` refuses windows that break their services' SLA tiers before it talks to Temporal
// (an unreachable address proves nothing was applied), naming the window, the service, the tier and the rule.
const ORG = `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Tiers, contact: {email: support@acme.example}}
slaTiers:
  - {name: gold, availability: 99.95%, noticeLeadTime: 5d, allowedWindows: "Mon-Fri 22:00-06:00 Europe/Amsterdam", maxMaintenancePerMonth: 4h}
services:
  - {name: webshop, tier: gold}
windows:
  - name: web-saturday
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [sat], at: "23:00"}
    duration: 30m
    services: [webshop]
    notices: {leadTimes: [24h]}
  - name: web-tuesday
    timezone: Europe/Amsterdam
    recurrence: {kind: weekly, days: [tue], at: "22:00"}
    duration: 1h
    services: [webshop]
`;

describe('maint apply and SLA tiers', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'maint-sla-tiers-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses, exit 2, every broken rule with file, path, window, service, tier and rule; nothing is applied', async () => {
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, ORG);
    const result = await runMaint(['apply', '-f', file, '--dry-run'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file} is invalid (3 problems):`);
    expect(result.stderr).toContain(`${file}: windows[0].notices.leadTimes: window "web-saturday" announces its runs 1d ahead, but service "webshop" is in SLA tier "gold", whose noticeLeadTime is 5d: announce at least 5d ahead`);
    expect(result.stderr).toMatch(new RegExp(`${file}: windows\\[0\\]\\.recurrence: window "web-saturday" runs Sat \\d{4}-\\d\\d-\\d\\d 23:00 to Sat \\d{4}-\\d\\d-\\d\\d 23:30 \\(Europe/Amsterdam\\), and \\d+ more of its runs in the next 366 days, outside the allowed hours of SLA tier "gold" of service "webshop" \\(allowedWindows: Mon-Fri 22:00-06:00 Europe/Amsterdam\\)`));
    // A Saturday and a Tuesday a week, 30m + 1h: months with five Tuesdays or Saturdays go over 4h.
    expect(result.stderr).toMatch(/windows\[\d\]\.duration: windows? .*plans? \d+h\d*m? of maintenance for service "webshop" in \d{4}-\d\d \(Europe\/Amsterdam\), more than the maxMaintenancePerMonth 4h of its SLA tier "gold"/);
    expect(result.stderr).not.toMatch(/connect|Temporal/i);
  });

  it('names an unknown tier, and `maint schema organisation` documents slaTiers for editors', async () => {
    const file = join(dir, 'unknown.yaml');
    writeFileSync(file, ORG.replace('tier: gold', 'tier: platinum'));
    const result = await runMaint(['apply', '-f', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}: services[0].tier: unknown SLA tier "platinum"; defined under slaTiers: gold`);
    const schema = await runMaint(['schema', 'organisation']);
    expect(schema.code).toBe(0);
    const tier = (JSON.parse(schema.stdout) as { properties: { slaTiers: { items: { properties: Record<string, { description?: string }> } } } }).properties.slaTiers.items.properties;
    expect(Object.keys(tier)).toEqual(expect.arrayContaining(['name', 'availability', 'plannedMaintenanceCounts', 'noticeLeadTime', 'allowedWindows', 'maxMaintenancePerMonth', 'degradedCounts', 'timezone']));
    expect(tier.degradedCounts?.description).toMatch(/slower than their threshold/);
  });
});
