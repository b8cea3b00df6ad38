import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../control/errors';
import { loadOrganisation, type Organisation } from '../../control/organisation';
import { reportCustomers, reportSubject } from '../../control/report';

/** Who a monthly report is for: the subscribers of the organisation files, with their language and timezone. */
describe('the customer of a monthly report', () => {
  let organisation: Organisation;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'maint-report-subject-')), 'maint.yaml');
    writeFileSync(file, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: support@acme.example}}
channels: [{name: mail, kind: email, smtp: {host: 127.0.0.1, port: 2525}, from: "Acme <m@acme.example>"}]
slaTiers: [{name: gold, availability: 99.9%, timezone: Europe/London}]
services:
  - name: webshop
    tier: gold
    subscribers:
      - {name: Bakkerij Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}
      - {name: Harbour Ltd, channel: mail, to: ops@harbour.example, language: en, timezone: Europe/London}
  - name: api
    subscribers: [{name: Bakkerij Jansen, channel: mail, to: it@jansen.example, language: nl, timezone: Europe/Amsterdam}]
  - name: intranet
`);
    organisation = await loadOrganisation([file]);
  });

  test('each subscriber name is a customer of every service it subscribes to, in its language and timezone', () => {
    expect(reportCustomers(organisation)).toEqual([
      { name: 'Bakkerij Jansen', language: 'nl', timezone: 'Europe/Amsterdam', services: ['webshop', 'api'] },
      { name: 'Harbour Ltd', language: 'en', timezone: 'Europe/London', services: ['webshop'] },
    ]);
    expect(reportSubject(organisation, { month: '2026-11', customer: 'Bakkerij Jansen', lang: 'en' })).toEqual({ customer: { name: 'Bakkerij Jansen', language: 'en', timezone: 'Europe/Amsterdam' }, services: ['webshop', 'api'] });
    expect(reportSubject(organisation, { month: '2026-11', service: 'intranet' })).toEqual({ customer: { name: 'intranet', language: 'en', timezone: 'Europe/Amsterdam' }, services: ['intranet'] });
  });

  test('an unknown customer or service, or none named among several, is refused naming those the files know', () => {
    const refused = (scope: Parameters<typeof reportSubject>[1]) => {
      try {
        reportSubject(organisation, scope);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidInputError);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused({ month: '2026-11', customer: 'Jansen' })).toBe('--customer Jansen: no subscriber of that name in the organisation files (customers: Bakkerij Jansen, Harbour Ltd)');
    expect(refused({ month: '2026-11', service: 'mail' })).toBe('--service mail: no such service in the organisation files (services: webshop, api, intranet)');
    expect(refused({ month: '2026-11' })).toBe('name a customer with --customer (Bakkerij Jansen, Harbour Ltd) or a service with --service');
  });
});
