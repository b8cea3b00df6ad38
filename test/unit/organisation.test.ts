import { PolicyError } from '../../policies/common/errors';
import { isLoopbackHost, organisationSchema, smtpTlsMode } from '../../policies/organisation/schema';
import { channelWarnings, planOrganisation, type LoadedOrganisationFile } from '../../policies/organisation/plan';
import { parsePolicyText } from '../../policies/common/parse';
import { overlappingLaunches, scheduleCalendars, windowLaunches } from '../../policies/windows/launches';

const HEAD = `apiVersion: maint/v1
kind: Organisation
`;
const ORG = `organisation: {name: Acme Hosting, contact: {email: support@acme.example}}
channels:
  - {name: mail, kind: email, smtp: {host: smtp.acme.example}, from: "Acme <m@acme.example>"}
  - {name: hook, kind: webhook, url: "https://partner.example/hook", secretEnv: PARTNER_SECRET}
`;
const SERVICES = `services:
  - name: webshop
    title: {nl: Webwinkel, en: Web shop}
    subscribers:
      - {name: Jansen, channel: mail, to: it@jansen.example, language: nl}
      - {name: Partner, channel: hook, language: en, timezone: Europe/London}
  - name: api
    subscribers:
      - {name: Jansen, channel: mail, to: it@jansen.example, language: nl}
`;
const WINDOW = `windows:
  - name: web-monthly
    timezone: Europe/Amsterdam
    recurrence: {kind: monthly, week: 2, day: tue, at: "22:00", offsetDays: 3}
    duration: 4h
    cutoff: 1h
    services: [webshop, api]
`;

const parse = (text: string, file = 'maint.yaml') => parsePolicyText(text, file, organisationSchema);
const problems = (text: string) => {
  try {
    parse(text);
  } catch (err) {
    return (err as PolicyError).message;
  }
  throw new Error('expected the file to be rejected');
};
const plan = (files: LoadedOrganisationFile[], now = new Date('2026-11-01T00:00:00Z')) => planOrganisation(files, () => ({ rollouts: [], calendarBlackouts: [] }), now).windows;

describe('organisation file', () => {
  it('reads defaults a user can rely on: lead times 5d and 24h, pre-flight 24h, language en, Amsterdam time', () => {
    const org = parse(HEAD + ORG + SERVICES + WINDOW);
    const w = org.windows[0]!;
    expect(w.notices.leadTimes).toEqual([5 * 86_400_000, 86_400_000]);
    expect(w.preflight).toEqual({ before: 86_400_000 });
    expect([w.duration, w.cutoff]).toEqual([4 * 3_600_000, 3_600_000]);
    expect(org.services[1]!.subscribers[0]!.timezone).toBe('Europe/Amsterdam');
  });

  it.each([
    ['an unknown timezone', 'timezone: Europe/Amsterdm', 'windows[0].timezone: unknown timezone "Europe/Amsterdm" (expected an IANA name like Europe/Amsterdam)'],
    ['a zero duration', 'duration: 0s', 'windows[0].duration: expected a duration greater than 0'],
    ['a cutoff as long as the window', 'cutoff: 4h', 'windows[0].cutoff: expected a cutoff shorter than the duration (240 min)'],
    ['a time that is not HH:MM', 'recurrence: {kind: weekly, days: [tue], at: "25:00"}', 'windows[0].recurrence.at: expected a local time like 22:00'],
    ['a cron with six fields', 'recurrence: {kind: cron, expression: "0 0 22 * * 2"}', 'windows[0].recurrence.expression: expected five cron fields'],
    ['a cron hour out of range', 'recurrence: {kind: cron, expression: "0 24 * * *"}', 'windows[0].recurrence.expression:'],
    ['an offset of two months', 'recurrence: {kind: monthly, week: 2, day: tue, at: "22:00", offsetDays: 60}', 'windows[0].recurrence.offsetDays:'],
  ])('rejects %s with the file, line, path and what was expected', (_what, line, message) => {
    const key = line.split(':')[0]!;
    const text = HEAD + ORG + SERVICES + WINDOW.replace(new RegExp(`    ${key}:.*`), `    ${line}`);
    const error = problems(text);
    expect(error).toMatch(/^maint\.yaml is invalid/);
    expect(error).toMatch(new RegExp(`maint\\.yaml:\\d+:\\d+: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('joins several files and shares one notice per recipient across the affected services', () => {
    const plans = plan([
      { file: 'org.yaml', content: parse(HEAD + ORG) },
      { file: 'services.yaml', content: parse(HEAD + SERVICES + WINDOW) },
    ]);
    expect(plans).toHaveLength(1);
    const p = plans[0]!;
    expect(p.recipients.map((r) => `${r.key} ${r.language} ${r.timezone}`)).toEqual(['mail:it@jansen.example nl Europe/Amsterdam', 'hook:Partner en Europe/London']);
    expect(p.title).toEqual({ nl: 'Webwinkel, api', en: 'Web shop, api' });
    expect(p.channels.map((c) => c.name)).toEqual(['mail', 'hook']);
    expect(JSON.stringify(p)).not.toContain('PARTNER_SECRET=');
  });

  it('names the file and path of duplicates and dangling references, and returns nothing', () => {
    const files: LoadedOrganisationFile[] = [
      { file: 'a.yaml', content: parse(HEAD + ORG + SERVICES + WINDOW) },
      {
        file: 'b.yaml',
        content: parse(`${HEAD}services:\n  - name: webshop\n    subscribers: [{name: X, channel: sms, to: x@y.example}]\n  - name: shop2\n    subscribers: [{name: Y, channel: mail}]\nwindows:\n  - {name: other, timezone: UTC, recurrence: {kind: weekly, days: [mon], at: "01:00"}, duration: 1h, services: [nope]}\n`, 'b.yaml'),
      },
    ];
    let message = '';
    try {
      plan(files);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('b.yaml: services[0].name: "webshop" is already defined in a.yaml at services[0]');
    expect(message).toContain('b.yaml: services[1].subscribers[0].to: is required: channel "mail" sends e-mail');
    expect(message).toContain('b.yaml: windows[0].services[0]: unknown service "nope"; defined: webshop, api, shop2');
    expect(() => plan([{ file: 'only.yaml', content: parse(`${HEAD}services: [{name: x}]\n`) }])).toThrow(/only\.yaml: organisation: is required in one of the files/);
  });
});

describe('window launches', () => {
  const [web] = plan([{ file: 'maint.yaml', content: parse(HEAD + ORG + SERVICES + WINDOW) }]);

  it('launches each run at its first notice: Patch Tuesday + 3 days at 22:00 Amsterdam, five days ahead', () => {
    const { due, future } = windowLaunches(web!, new Date('2026-11-23T12:00:00Z'));
    expect(due).toEqual([]);
    // 2nd Tuesday of December 2026 is the 8th; +3 days = Friday 11 December 22:00 CET = 21:00Z.
    expect(future[0]).toMatchObject({ launch: '2026-12-06T21:00:00.000Z', occurrence: { start: '2026-12-11T21:00:00.000Z', cutoff: '2026-12-12T00:00:00.000Z' } });
    expect(future.length).toBeGreaterThanOrEqual(12);
    expect(scheduleCalendars(future.slice(0, 1))).toEqual([{ year: 2026, month: 'DECEMBER', dayOfMonth: 6, hour: 21, minute: 0, second: 0, comment: '2026-12-11T22:00:00+01:00' }]);
  });

  it('starts at once a run whose notices are already due', () => {
    const { due, future } = windowLaunches(web!, new Date('2026-12-09T08:00:00Z'));
    expect(due.map((l) => l.occurrence.start)).toEqual(['2026-12-11T21:00:00.000Z']);
    expect(future[0]!.occurrence.start).toBe('2027-01-15T21:00:00.000Z'); // 2nd Tue Jan 2027 is the 12th, +3
  });

  it('refuses lead times that would make the schedule skip runs', () => {
    const [daily] = plan([{ file: 'maint.yaml', content: parse(HEAD + ORG + SERVICES + WINDOW.replace(/recurrence: .*/, 'recurrence: {kind: weekly, days: [mon, tue], at: "22:00"}')) }]);
    expect(overlappingLaunches(daily!, new Date('2026-11-23T12:00:00Z'))).toMatch(/^the run for 2026-11-24T22:00:00\+01:00 would begin \(notices\/pre-flight 7200 min ahead\) before the one of 2026-11-23T22:00:00\+01:00 ends/);
    expect(overlappingLaunches(web!, new Date('2026-11-23T12:00:00Z'))).toBeUndefined();
  });

  it('takes a webhook or Slack URL by reference (urlEnv / urlFile): exactly one of url, urlEnv, urlFile; the plan carries only the reference', () => {
    const chat = (fields: string) => `${HEAD}organisation: {name: Acme, contact: {email: s@acme.example}}\nchannels:\n  - {name: chat, kind: slack${fields}}\n`;
    expect(problems(chat(''))).toContain('channels[0].url: expected exactly one of url, urlEnv, urlFile');
    expect(problems(chat(', url: "https://chat.example/x", urlEnv: CHAT_URL'))).toContain('channels[0].urlEnv: expected exactly one of url, urlEnv, urlFile (got url, urlEnv)');
    expect(problems(chat(', urlEnv: chat-url'))).toContain('channels[0].urlEnv: expected an environment variable name');
    const org = parse(`${chat(', urlEnv: MAINT_CHAT_URL')}services:\n  - {name: web, subscribers: [{name: Ops, channel: chat}]}\n${WINDOW.replace('[webshop, api]', '[web]')}`);
    const [window] = plan([{ file: 'maint.yaml', content: org }]);
    expect(window!.channels).toEqual([{ name: 'chat', kind: 'slack', urlEnv: 'MAINT_CHAT_URL' }]);
    expect(parse(chat(', urlFile: /run/secrets/chat-url')).channels[0]).toEqual({ name: 'chat', kind: 'slack', urlFile: '/run/secrets/chat-url' });
  });

  it('warns about a written URL that is a secret (a Slack webhook, credentials, a query string), not about plain URLs or references', () => {
    const org = parse(`${HEAD}organisation: {name: Acme, contact: {email: s@acme.example}}
channels:
  - {name: slack, kind: slack, url: "https://hooks.slack.com/services/T0/B0/secret"}
  - {name: token, kind: webhook, url: "https://partner.example/hook?token=abc", unsigned: true}
  - {name: plain, kind: webhook, url: "https://partner.example/hook", secretEnv: PARTNER_SECRET}
  - {name: ref, kind: slack, urlEnv: MAINT_SLACK_URL}
`);
    const warnings = channelWarnings([{ file: 'maint.yaml', content: org }]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^maint\.yaml: channels\[0\]\.url: a Slack webhook URL is a secret; .*channel "slack".* urlEnv or urlFile/);
    expect(warnings[1]).toMatch(/^maint\.yaml: channels\[1\]\.url: this URL carries a secret/);
    expect(warnings.join()).not.toMatch(/T0\/B0|token=abc/);
  });

  it('requires a webhook channel to sign (secretEnv or secretFile) unless it says unsigned: true', () => {
    const hook = (fields: string) => `${HEAD}organisation: {name: Acme, contact: {email: s@acme.example}}\nchannels:\n  - {name: hook, kind: webhook, url: "https://partner.example/hook"${fields}}\n`;
    expect(problems(hook(''))).toContain('channels[0].secretEnv: is required: receivers verify X-Maint-Signature with it (or set unsigned: true to send unsigned notices)');
    expect(problems(hook(', secretEnv: S, secretFile: /run/secrets/s'))).toContain('channels[0].secretFile: expected one of secretEnv, secretFile (got both)');
    expect(problems(hook(', secretEnv: S, unsigned: true'))).toContain('channels[0].unsigned: contradicts secretEnv/secretFile; remove one');
    expect(parse(hook(', unsigned: true')).channels[0]).toMatchObject({ unsigned: true });
  });

  it('requires TLS for SMTP by default, except to loopback hosts; tls: none contradicts secure: true', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', 'relay.localhost']) expect([host, isLoopbackHost(host)]).toEqual([host, true]);
    for (const host of ['smtp.acme.example', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', 'localhost.example', '::2']) expect([host, isLoopbackHost(host)]).toEqual([host, false]);
    expect(smtpTlsMode({ host: 'smtp.acme.example' })).toBe('required');
    expect(smtpTlsMode({ host: '127.0.0.1' })).toBe('starttls');
    expect(smtpTlsMode({ host: 'smtp.acme.example', tls: 'none' })).toBe('none');
    expect(smtpTlsMode({ host: 'localhost', tls: 'required' })).toBe('required');
    const mail = (smtp: string) => `${HEAD}organisation: {name: Acme, contact: {email: s@acme.example}}\nchannels:\n  - {name: mail, kind: email, smtp: {host: smtp.acme.example${smtp}}, from: "Acme <m@acme.example>"}\n`;
    expect(problems(mail(', port: 465, secure: true, tls: none'))).toContain('channels[0].smtp.tls: contradicts secure: true (TLS from the first byte); remove one');
    expect(problems(mail(', tls: always'))).toContain('channels[0].smtp.tls');
    expect(parse(mail(', tls: starttls')).channels[0]).toMatchObject({ smtp: { tls: 'starttls' } });
  });

  it('takes an SMTP password from one reference only: passwordEnv or passwordFile', () => {
    const mail = (smtp: string) => `${HEAD}organisation: {name: Acme, contact: {email: s@acme.example}}\nchannels:\n  - {name: mail, kind: email, smtp: {host: smtp.acme.example, user: maint${smtp}}, from: "Acme <m@acme.example>"}\n`;
    expect(problems(mail(', passwordEnv: MAINT_SMTP_PASSWORD, passwordFile: /run/secrets/smtp'))).toContain('channels[0].smtp.passwordFile: expected one of passwordEnv, passwordFile (got both)');
    expect(parse(mail(', passwordFile: /run/secrets/smtp')).channels[0]).toMatchObject({ smtp: { passwordFile: '/run/secrets/smtp' } });
    expect(parse(mail(', passwordEnv: MAINT_SMTP_PASSWORD')).channels[0]).toMatchObject({ smtp: { passwordEnv: 'MAINT_SMTP_PASSWORD' } });
  });
});
