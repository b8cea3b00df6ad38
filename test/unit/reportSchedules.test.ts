import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../control/errors';
import { loadOrganisation } from '../../control/organisation';
import { reportScheduleInput, reportSchedulePlans } from '../../control/reports';
import { previousMonth } from '../../policies/report/schedule';

/** The `reports` section: who gets the monthly report e-mail, when; bad input names file and path. */
describe('monthly report schedules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maint-report-schedules-'));
  const organisationFile = (name: string, reports: string, extra = '') => {
    const file = join(dir, name);
    writeFileSync(file, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: 127.0.0.1, port: 2525}, from: "Acme <m@acme.example>"}
  - {name: hooks, kind: webhook, url: "https://hooks.example/in", unsigned: true}
services:
  - name: webshop
    subscribers:
      - {name: Bakkerij Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
      - {name: Bakkerij Jansen, channel: mail, to: boss@jansen.example, language: nl, timezone: Europe/Amsterdam}
      - {name: Harbour Ltd, channel: hooks, language: en, timezone: Europe/London}
${extra}
${reports}
`);
    return file;
  };
  const refused = async (files: string[]): Promise<string> => {
    const organisation = await loadOrganisation(files);
    try {
      reportSchedulePlans(organisation);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as Error).message;
    }
    throw new Error('not refused');
  };

  test('by default every customer with an e-mail subscription gets one, on the 2nd at 08:00 in its timezone, at all its addresses', async () => {
    const organisation = await loadOrganisation([organisationFile('default.yaml', 'reports: {}')]);
    expect(reportSchedulePlans(organisation)).toEqual([expect.objectContaining({
      customer: 'Bakkerij Jansen', scheduleId: 'report-bakkerij-jansen', language: 'nl', timezone: 'Europe/Amsterdam', dayOfMonth: 2, hour: 8, minute: 0,
      channel: expect.objectContaining({ name: 'mail' }), to: ['it@jansen.example', 'boss@jansen.example'],
    })]);
    expect(reportSchedulePlans(await loadOrganisation([organisationFile('none.yaml', '')]))).toEqual([]);
  });

  test('a bad day or time is refused by the schema, naming file and path', async () => {
    const file = organisationFile('bad-time.yaml', 'reports: {dayOfMonth: 31, at: "8am"}');
    await expect(loadOrganisation([file])).rejects.toThrow(`${file}:`);
    const message = await loadOrganisation([file]).catch((err: Error) => err.message);
    expect(message).toMatch(/reports\.dayOfMonth: .*28/);
    expect(message).toContain('reports.at: expected a local time like 08:00');
  });

  test('an unknown customer, one without e-mail, or the section in two files is refused naming file and path', async () => {
    const file = organisationFile('bad-customers.yaml', 'reports: {customers: [Jansen, Harbour Ltd]}');
    expect(await refused([file])).toBe(`${file} is invalid (2 problems):
  ${file}: reports.customers[0]: unknown customer "Jansen"; customers are the subscribers of services: Bakkerij Jansen, Harbour Ltd
  ${file}: reports.customers[1]: customer "Harbour Ltd" has no e-mail subscription (a subscriber with an e-mail channel and \`to\`) to send the report to`);

    const first = organisationFile('first.yaml', 'reports: {}');
    const second = join(dir, 'second.yaml');
    writeFileSync(second, 'apiVersion: maint/v1\nkind: Organisation\nreports: {at: "09:00"}\n');
    expect(await refused([first, second])).toBe(`${second} is invalid (1 problem):\n  ${second}: reports: is already defined in ${first}; define it in one file only`);
  });

  test('a schedule carries its customer\'s services only: another customer\'s change leaves it unchanged', async () => {
    const other = (title: string) => `
  - name: harbour-portal
    title: {nl: ${title}, en: ${title}}
    subscribers:
      - {name: Harbour Ltd, channel: mail, to: ops@harbour.example, language: en, timezone: Europe/London}`;
    const input = async (name: string, title: string, customer: string) => {
      const organisation = await loadOrganisation([organisationFile(name, 'reports: {}', other(title))]);
      return reportScheduleInput(reportSchedulePlans(organisation).find((p) => p.customer === customer)!, organisation);
    };
    const jansen = await input('scoped.yaml', 'Portaal', 'Bakkerij Jansen');
    expect(jansen.organisation.files.flatMap((f) => f.content.services.map((s) => s.name))).toEqual(['webshop']);
    expect((await input('scoped.yaml', 'Klantportaal', 'Bakkerij Jansen')).configHash).toBe(jansen.configHash);
    const harbour = await input('scoped.yaml', 'Portaal', 'Harbour Ltd');
    expect(harbour.organisation.files.flatMap((f) => f.content.services.map((s) => s.name))).toEqual(['webshop', 'harbour-portal']);
    expect((await input('scoped.yaml', 'Klantportaal', 'Harbour Ltd')).configHash).not.toBe(harbour.configHash);
  });

  test('the month reported is the one before, in the customer\'s timezone', () => {
    // 1 December 00:30 in Amsterdam is still 30 November in UTC.
    expect(previousMonth(Date.parse('2026-11-30T23:30:00Z'), 'Europe/Amsterdam')).toBe('2026-11');
    expect(previousMonth(Date.parse('2026-11-30T23:30:00Z'), 'UTC')).toBe('2026-10');
    expect(previousMonth(Date.parse('2027-01-02T07:00:00Z'), 'Europe/Amsterdam')).toBe('2026-12');
  });
});
