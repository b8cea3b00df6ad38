import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { allowedIntervals, parseAllowedWindow, type AllowedWindow } from '../../policies/availability/allowedWindows';
import { monthInterval } from '../../policies/availability/months';
import { planOrganisation } from '../../policies/organisation/plan';
import { organisationSchema } from '../../policies/organisation/schema';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-01T12:00:00Z'); // a Sunday

const HEAD = `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Hosting, contact: {email: support@acme.example}}
`;
const GOLD = `slaTiers:
  - name: gold
    availability: 99.95%
    noticeLeadTime: 5d
    allowedWindows: Mon-Fri 22:00-06:00 Europe/Amsterdam
    maxMaintenancePerMonth: 4h
`;
const SERVICES = `services:
  - {name: webshop, tier: gold}
  - {name: api}
`;
const window = (name: string, recurrence: string, duration: string, extra = '') => `  - name: ${name}
    timezone: Europe/Amsterdam
    recurrence: ${recurrence}
    duration: ${duration}
    services: [webshop]
${extra}`;

const parse = (text: string) => parsePolicyText(text, 'maint.yaml', organisationSchema);
const plan = (text: string, now = NOW) => planOrganisation([{ file: 'maint.yaml', content: parse(text) }], () => ({ rollouts: [], calendarBlackouts: [] }), now).windows;
const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('slaTiers in the organisation file', () => {
  it('reads a tier as written in the issue, with defaults: maintenance excluded, degraded counts as up, the tier timezone from its allowed hours', () => {
    const tier = parse(HEAD + GOLD).slaTiers[0]!;
    expect(tier).toMatchObject({
      name: 'gold', availability: 99.95, plannedMaintenanceCounts: false, noticeLeadTime: 5 * 24 * HOUR,
      maxMaintenancePerMonth: 4 * HOUR, degradedCounts: 'up', timezone: 'Europe/Amsterdam',
    });
    expect(tier.allowedWindows).toEqual([{ text: 'Mon-Fri 22:00-06:00 Europe/Amsterdam', days: ['mon', 'tue', 'wed', 'thu', 'fri'], startMinute: 1320, endMinute: 360, timezone: 'Europe/Amsterdam' }]);
  });

  it.each([
    ['availability: 99.95', 'slaTiers[0].availability: expected string, received number'],
    ['availability: 101%', 'slaTiers[0].availability: expected a percentage like 99.95% (up to four decimals)'],
    ['availability: 100.5%', 'slaTiers[0].availability: expected a percentage above 0% and at most 100%'],
    ['availability: 0%', 'slaTiers[0].availability: expected a percentage above 0% and at most 100%'],
    ['availability: "99.95 %"', 'slaTiers[0].availability: expected a percentage like 99.95% (up to four decimals)'],
    ['noticeLeadTime: 5 days', 'slaTiers[0].noticeLeadTime: expected a duration like 30s, 2m, 1h, 5d or 1h30m'],
    ['allowedWindows: Mon-Fri 22:00-06:00', 'slaTiers[0].allowedWindows: expected days, a time range and a timezone, like "Mon-Fri 22:00-06:00 Europe/Amsterdam"'],
    ['allowedWindows: Mon-Fry 22:00-06:00 Europe/Amsterdam', 'slaTiers[0].allowedWindows: expected days like Mon-Fri or Mon,Wed,Fri (Mon Tue Wed Thu Fri Sat Sun), got "Mon-Fry"'],
    ['allowedWindows: Mon-Fri 22:00-6:00 Europe/Amsterdam', 'slaTiers[0].allowedWindows: expected a time range like 22:00-06:00 (24-hour HH:MM-HH:MM), got "22:00-6:00"'],
    ['allowedWindows: Mon-Fri 22:00-24:30 Europe/Amsterdam', 'slaTiers[0].allowedWindows: expected an end time from 00:00 to 24:00, got "24:30"'],
    ['allowedWindows: Mon-Fri 24:00-06:00 Europe/Amsterdam', 'slaTiers[0].allowedWindows: expected a start time from 00:00 to 23:59, got "24:00"'],
    ['allowedWindows: Sat 00:00-00:00 Europe/Amsterdam', 'slaTiers[0].allowedWindows: "00:00-00:00" starts and ends at the same time; for a whole day write 00:00-24:00'],
    ['allowedWindows: Mon-Fri 22:00-06:00 Europe/Amsterdm', 'slaTiers[0].allowedWindows: unknown timezone "Europe/Amsterdm" (expected an IANA name like Europe/Amsterdam)'],
    ['allowedWindows: Mon-Fri,Wed 22:00-06:00 Europe/Amsterdam', 'slaTiers[0].allowedWindows: Wed is listed twice in "Mon-Fri,Wed"'],
    ['allowedWindows: [Sat 01:00-05:00 UTC, Sun 1-5 UTC]', 'slaTiers[0].allowedWindows[1]: expected a time range like 22:00-06:00 (24-hour HH:MM-HH:MM), got "1-5"'],
    ['degradedCounts: sometimes', 'slaTiers[0].degradedCounts: Invalid option: expected one of "up"|"down"|"half"'],
  ])('refuses %s, naming the file, line, path and what was expected', (line, message) => {
    const key = line.split(':')[0]!;
    const text = GOLD.includes(`    ${key}:`) ? HEAD + GOLD.replace(new RegExp(`    ${key}:.*`), `    ${line}`) : `${HEAD}${GOLD}    ${line}\n`;
    expect(refusal(() => parse(text))).toMatch(new RegExp(`maint\\.yaml:\\d+:\\d+: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('refuses a service in a tier that does not exist, naming the file, the path and the tiers there are', () => {
    const text = HEAD + GOLD + SERVICES.replace('tier: gold', 'tier: gould');
    expect(refusal(() => plan(text))).toContain('maint.yaml: services[0].tier: unknown SLA tier "gould"; defined under slaTiers: gold');
  });

  it('refuses a tier name defined twice across files', () => {
    const error = refusal(() => planOrganisation([
      { file: 'a.yaml', content: parse(HEAD + GOLD) },
      { file: 'b.yaml', content: parse(`apiVersion: maint/v1\nkind: Organisation\n${GOLD}`) },
    ], () => ({ rollouts: [], calendarBlackouts: [] }), NOW));
    expect(error).toContain('b.yaml: slaTiers[0].name: "gold" is already defined in a.yaml at slaTiers[0]');
  });
});

describe('allowed hours', () => {
  const allowed = (text: string) => parseAllowedWindow(text) as AllowedWindow;
  const local = (ms: number) => new Date(ms).toISOString();

  it('reads day lists, ranges that wrap over the weekend, any case, and a whole day as 00:00-24:00', () => {
    expect(allowed('fri-MON 00:00-24:00 UTC').days).toEqual(['mon', 'fri', 'sat', 'sun']);
    expect(allowed('Mon,Wed-Thu,Sat  01:00-05:00  UTC')).toMatchObject({ text: 'Mon,Wed-Thu,Sat 01:00-05:00 UTC', days: ['mon', 'wed', 'thu', 'sat'] });
  });

  it('a night crossing midnight belongs to the day it begins: Fri 22:00 to Sat 06:00, not Mon 00:00-06:00', () => {
    // Mon 2026-11-02 .. Sun 2026-11-08, Amsterdam is UTC+1.
    const periods = allowedIntervals([allowed('Mon-Fri 22:00-06:00 Europe/Amsterdam')], Date.parse('2026-11-02T00:00:00+01:00'), Date.parse('2026-11-09T00:00:00+01:00'));
    expect(periods.map((p) => `${local(p.start)} ${local(p.end)}`)).toEqual([
      '2026-11-02T21:00:00.000Z 2026-11-03T05:00:00.000Z',
      '2026-11-03T21:00:00.000Z 2026-11-04T05:00:00.000Z',
      '2026-11-04T21:00:00.000Z 2026-11-05T05:00:00.000Z',
      '2026-11-05T21:00:00.000Z 2026-11-06T05:00:00.000Z',
      '2026-11-06T21:00:00.000Z 2026-11-07T05:00:00.000Z',
    ]);
  });

  it('follows the wall clock on DST nights (7 real hours in spring, 9 in autumn) and joins periods that touch', () => {
    const spring = allowedIntervals([allowed('Sat 22:00-06:00 Europe/Amsterdam')], Date.parse('2027-03-27T00:00:00Z'), Date.parse('2027-03-28T12:00:00Z'));
    expect(spring).toEqual([{ start: Date.parse('2027-03-27T21:00:00Z'), end: Date.parse('2027-03-28T04:00:00Z') }]);
    const autumn = allowedIntervals([allowed('Sat 22:00-06:00 Europe/Amsterdam')], Date.parse('2026-10-24T00:00:00Z'), Date.parse('2026-10-25T12:00:00Z'));
    expect(autumn).toEqual([{ start: Date.parse('2026-10-24T20:00:00Z'), end: Date.parse('2026-10-25T05:00:00Z') }]);
    const weekend = allowedIntervals([allowed('Fri 22:00-24:00 UTC'), allowed('Sat-Sun 00:00-24:00 UTC')], Date.parse('2026-11-06T00:00:00Z'), Date.parse('2026-11-09T00:00:00Z'));
    expect(weekend).toEqual([{ start: Date.parse('2026-11-06T22:00:00Z'), end: Date.parse('2026-11-09T00:00:00Z') }]);
  });
});

describe('maint apply refuses windows that break their services\' tiers', () => {
  it('accepts windows inside the rules: Tuesdays 22:00 for 2h, announced 5 days ahead (the default lead times)', () => {
    const plans = plan(HEAD + GOLD + SERVICES + 'windows:\n' + window('web-weekly', '{kind: weekly, days: [tue], at: "22:00"}', '45m'));
    expect(plans.map((p) => p.name)).toEqual(['web-weekly']);
  });

  it('refuses a notice lead time shorter than the tier\'s noticeLeadTime', () => {
    const text = HEAD + GOLD + SERVICES + 'windows:\n' + window('web-weekly', '{kind: weekly, days: [tue], at: "22:00"}', '45m', '    notices: {leadTimes: [24h, 1h]}\n');
    expect(refusal(() => plan(text))).toBe(`maint.yaml is invalid (1 problem):
  maint.yaml: windows[0].notices.leadTimes: window "web-weekly" announces its runs 1d ahead, but service "webshop" is in SLA tier "gold", whose noticeLeadTime is 5d: announce at least 5d ahead`);
    const silent = HEAD + GOLD + SERVICES + 'windows:\n' + window('web-weekly', '{kind: weekly, days: [tue], at: "22:00"}', '45m', '    notices: {leadTimes: []}\n');
    expect(refusal(() => plan(silent))).toContain('window "web-weekly" sends no notices, but service "webshop" is in SLA tier "gold"');
  });

  it('refuses a run outside the allowed hours: a Saturday night, and a Monday 02:00 (that night began on Sunday)', () => {
    const text = HEAD + GOLD.replace('maxMaintenancePerMonth: 4h', 'maxMaintenancePerMonth: 20h') + SERVICES + 'windows:\n'
      + window('sat-night', '{kind: weekly, days: [sat], at: "23:00"}', '1h')
      + window('monday-early', '{kind: monthly, week: 1, day: mon, at: "02:00"}', '1h');
    expect(refusal(() => plan(text))).toBe(`maint.yaml is invalid (2 problems):
  maint.yaml: windows[0].recurrence: window "sat-night" runs Sat 2026-11-07 23:00 to Sun 2026-11-08 00:00 (Europe/Amsterdam), and 51 more of its runs in the next 366 days, outside the allowed hours of SLA tier "gold" of service "webshop" (allowedWindows: Mon-Fri 22:00-06:00 Europe/Amsterdam)
  maint.yaml: windows[1].recurrence: window "monday-early" runs Mon 2026-11-02 02:00 to Mon 2026-11-02 03:00 (Europe/Amsterdam), and 12 more of its runs in the next 366 days, outside the allowed hours of SLA tier "gold" of service "webshop" (allowedWindows: Mon-Fri 22:00-06:00 Europe/Amsterdam)`);
  });

  it('accepts a run crossing midnight inside the allowed night (Fri 23:00 to Sat 03:00), and a blacked-out run outside it', () => {
    const text = HEAD + GOLD.replace('maxMaintenancePerMonth: 4h', 'maxMaintenancePerMonth: 20h') + SERVICES + 'windows:\n'
      + window('fri-night', '{kind: weekly, days: [fri], at: "23:00"}', '4h')
      + window('once-sunday', '{kind: once, at: "2026-11-08T12:00"}', '1h', '    blackouts: [{date: 2026-11-08, reason: not really}]\n');
    expect(plan(text)).toHaveLength(2);
  });

  it('on the spring-forward night a 7h window from 23:00 ends at 07:00 local, outside "Sat 22:00-06:00"; on other nights it fits', () => {
    const text = HEAD + GOLD.replace('Mon-Fri 22:00-06:00', 'Sat 22:00-06:00').replace('maxMaintenancePerMonth: 4h', 'maxMaintenancePerMonth: 40h') + SERVICES + 'windows:\n'
      + window('sat-night', '{kind: weekly, days: [sat], at: "23:00"}', '7h');
    expect(refusal(() => plan(text))).toContain('window "sat-night" runs Sat 2027-03-27 23:00 to Sun 2027-03-28 07:00 (Europe/Amsterdam), outside the allowed hours');
  });

  it('refuses more maintenance in a calendar month than maxMaintenancePerMonth, all windows of the service together', () => {
    // Tuesdays 22:00 for 1h: December 2026 has five Tuesdays (1, 8, 15, 22, 29) = 5h > 4h; so do
    // March, June, August and November 2027 (November only partly inside the 366 days, four Tuesdays there).
    const weekly = HEAD + GOLD + SERVICES + 'windows:\n' + window('web-weekly', '{kind: weekly, days: [tue], at: "22:00"}', '1h');
    expect(refusal(() => plan(weekly))).toContain('maint.yaml: windows[0].duration: window "web-weekly" (5h) plans 5h of maintenance for service "webshop" in 2026-12 (Europe/Amsterdam), more than the maxMaintenancePerMonth 4h of its SLA tier "gold"; also in 2027-03, 2027-06, 2027-08');
    // Thursdays 1h (four in November 2026) and a monthly 2h: 6h, named per window.
    const two = HEAD + GOLD + SERVICES + 'windows:\n'
      + window('db-monthly', '{kind: monthly, week: 1, day: wed, at: "22:00"}', '2h')
      + window('web-thursdays', '{kind: weekly, days: [thu], at: "22:00"}', '1h');
    expect(refusal(() => plan(two))).toContain('windows[0].duration: windows "db-monthly" (2h), "web-thursdays" (4h) plan 6h of maintenance for service "webshop" in 2026-11 (Europe/Amsterdam)');
  });

  it('counts overlapping runs once and a run across a month end in each month for its part there', () => {
    // Two windows both Tuesdays 22:00-23:00 (allowed to overlap): 1h a week, not 2h; max 5h a month holds.
    const overlapping = HEAD + GOLD.replace('maxMaintenancePerMonth: 4h', 'maxMaintenancePerMonth: 5h') + SERVICES + 'windows:\n'
      + window('a', '{kind: weekly, days: [tue], at: "22:00"}', '1h') + window('b', '{kind: weekly, days: [tue], at: "22:00"}', '1h', '    allowOverlap: true\n');
    expect(plan(overlapping)).toHaveLength(2);
    // Thu 2026-12-31 22:00 for 6h: 2h in December, 4h in January; max 3h → only January is over.
    const newYear = HEAD + GOLD.replace('maxMaintenancePerMonth: 4h', 'maxMaintenancePerMonth: 3h').replace('Mon-Fri 22:00-06:00', 'Thu 22:00-06:00') + SERVICES + 'windows:\n'
      + window('new-year', '{kind: once, at: "2026-12-31T22:00"}', '6h');
    expect(refusal(() => plan(newYear))).toContain('window "new-year" (4h) plans 4h of maintenance for service "webshop" in 2027-01 (Europe/Amsterdam), more than the maxMaintenancePerMonth 3h');
  });

  it('leaves services without a tier alone', () => {
    const text = HEAD + GOLD + SERVICES + 'windows:\n' + window('api-saturday', '{kind: weekly, days: [sat], at: "12:00"}', '8h', '    notices: {leadTimes: [1h]}\n').replace('[webshop]', '[api]');
    expect(plan(text)).toHaveLength(1);
  });
});

describe('calendar months in a timezone', () => {
  it('are local midnight to midnight: March and October in Amsterdam lose and gain the DST hour', () => {
    const minutes = (m: string, tz: string) => { const i = monthInterval(m, tz); return (i.end - i.start) / 60_000; };
    expect(minutes('2026-03', 'Europe/Amsterdam')).toBe(31 * 1440 - 60);
    expect(minutes('2026-10', 'Europe/Amsterdam')).toBe(31 * 1440 + 60);
    expect(minutes('2026-02', 'UTC')).toBe(28 * 1440);
    expect(monthInterval('2026-12', 'Europe/Amsterdam')).toEqual({ start: Date.parse('2026-11-30T23:00:00Z'), end: Date.parse('2026-12-31T23:00:00Z') });
  });
});
