import { PolicyError } from '../../policies/common/errors';
import { planOrganisation } from '../../policies/organisation/plan';
import { organisationSchema } from '../../policies/organisation/schema';
import { parsePolicyText } from '../../policies/common/parse';
import { firstOverlap, runsAhead } from '../../policies/windows/overlaps';
import type { Blackout, Weekday, WindowTiming } from '../../policies/windows/schema';

// A Tuesday.
const NOW = new Date('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;

const weekly = (timezone: string, day: Weekday, at: string, hours: number, blackouts: Blackout[] = []): WindowTiming =>
  ({ timezone, recurrence: { kind: 'weekly', days: [day], at, offsetDays: 0 }, durationMs: hours * HOUR, cutoffMs: 0, blackouts });
const once = (timezone: string, at: string, hours: number): WindowTiming => ({ timezone, recurrence: { kind: 'once', at }, durationMs: hours * HOUR, cutoffMs: 0, blackouts: [] });
const overlap = (a: WindowTiming, b: WindowTiming) => {
  const found = firstOverlap(runsAhead(a, NOW), runsAhead(b, NOW));
  return found && { from: found.from, until: found.until, a: found.a.start, b: found.b.start };
};

// Tuesdays 22:00-24:00 in Amsterdam: 21:00-23:00 UTC in winter, 20:00-22:00 in summer.
const TUESDAY_NIGHT = weekly('Europe/Amsterdam', 'tue', '22:00', 2);

describe('when two windows run at the same time (next 366 days)', () => {
  it('finds the first instant both run, and the two runs', () => {
    expect(overlap(TUESDAY_NIGHT, weekly('Europe/Amsterdam', 'tue', '23:00', 2))).toEqual({
      from: '2026-12-01T22:00:00.000Z', until: '2026-12-01T23:00:00.000Z', a: '2026-12-01T21:00:00.000Z', b: '2026-12-01T22:00:00.000Z',
    });
    // Either order gives the same instants.
    expect(overlap(weekly('Europe/Amsterdam', 'tue', '23:00', 2), TUESDAY_NIGHT)).toMatchObject({ from: '2026-12-01T22:00:00.000Z', until: '2026-12-01T23:00:00.000Z' });
  });

  it('windows that touch, one ending when the other starts, do not overlap', () => {
    expect(overlap(TUESDAY_NIGHT, weekly('Europe/Amsterdam', 'wed', '00:00', 3))).toBeUndefined();
    expect(overlap(TUESDAY_NIGHT, weekly('Europe/Amsterdam', 'tue', '20:00', 2))).toBeUndefined();
    // One minute more, and they do.
    expect(overlap(TUESDAY_NIGHT, weekly('Europe/Amsterdam', 'tue', '20:01', 2))).toMatchObject({ from: '2026-12-01T21:00:00.000Z', until: '2026-12-01T21:01:00.000Z' });
  });

  it('compares instants, whatever the timezones', () => {
    // 16:00 in New York (EST) is 21:00 UTC, as 22:00 in Amsterdam; 21:00 in London too.
    expect(overlap(TUESDAY_NIGHT, weekly('America/New_York', 'tue', '16:00', 1))).toMatchObject({ from: '2026-12-01T21:00:00.000Z', until: '2026-12-01T22:00:00.000Z' });
    expect(overlap(TUESDAY_NIGHT, weekly('Europe/London', 'tue', '21:00', 1))).toMatchObject({ from: '2026-12-01T21:00:00.000Z' });
    // 15:00-16:00 in New York ends when Amsterdam's window starts, all year: also in the weeks of
    // March and October/November when only one of the two has changed its clocks.
    expect(overlap(TUESDAY_NIGHT, weekly('America/New_York', 'tue', '15:00', 1))).toBeUndefined();
    // Asia/Tokyo has no DST: 07:30 on Wednesday there is 22:30 UTC on Tuesday, inside Amsterdam's winter window only.
    expect(overlap(weekly('Asia/Tokyo', 'wed', '07:30', 0.5), TUESDAY_NIGHT)).toMatchObject({ from: '2026-12-01T22:30:00.000Z', until: '2026-12-01T23:00:00.000Z' });
    // In summer the Amsterdam window ends at 22:00 UTC, before 07:30 in Tokyo (22:30 UTC).
    expect(overlap(weekly('Asia/Tokyo', 'wed', '07:30', 0.5), weekly('Europe/Amsterdam', 'tue', '22:00', 2, [{ from: '2026-12-01', to: '2027-03-28' }, { from: '2027-10-31', to: '2027-12-31' }]))).toBeUndefined();
  });

  it('a blacked-out occurrence does not run, so it overlaps nothing', () => {
    const extra = once('Europe/Amsterdam', '2026-12-08T23:00', 1);
    expect(overlap(TUESDAY_NIGHT, extra)).toMatchObject({ from: '2026-12-08T22:00:00.000Z' });
    expect(overlap(weekly('Europe/Amsterdam', 'tue', '22:00', 2, [{ date: '2026-12-08', reason: 'Sinterklaas' }]), extra)).toBeUndefined();
    // The next run after a blacked-out one is the first overlap.
    expect(overlap(weekly('Europe/Amsterdam', 'tue', '22:00', 2, [{ date: '2026-12-01' }]), TUESDAY_NIGHT)).toMatchObject({ from: '2026-12-08T21:00:00.000Z' });
  });

  it('looks 366 days ahead, no further', () => {
    expect(overlap(TUESDAY_NIGHT, once('Europe/Amsterdam', '2027-11-30T22:00', 1))).toMatchObject({ from: '2027-11-30T21:00:00.000Z' });
    expect(overlap(TUESDAY_NIGHT, once('Europe/Amsterdam', '2028-01-04T22:00', 1))).toBeUndefined();
  });
});

describe('maint apply: windows over the same service that overlap', () => {
  const HEAD = 'apiVersion: maint/v1\nkind: Organisation\n';
  const ORG = 'organisation: {name: Acme, contact: {email: support@acme.example}}\nservices: [{name: webshop}, {name: api}, {name: mail}]\n';
  const window = (name: string, services: string, extra = '') =>
    `  - {name: ${name}, timezone: Europe/Amsterdam, recurrence: {kind: weekly, days: [tue], at: "22:00"}, duration: 2h, services: [${services}]${extra}}\n`;
  const lateWindow = (name: string, services: string, extra = '') =>
    `  - {name: ${name}, timezone: America/New_York, recurrence: {kind: once, at: "2026-12-08T17:00"}, duration: 3h, services: [${services}]${extra}}\n`;
  const plan = (files: Array<[string, string]>) =>
    planOrganisation(files.map(([file, text]) => ({ file, content: parsePolicyText(text, file, organisationSchema) })), () => ({ rollouts: [], calendarBlackouts: [] }), NOW);
  const rejection = (files: Array<[string, string]>) => {
    try {
      plan(files);
    } catch (err) {
      if (err instanceof PolicyError) return err.message;
      throw err;
    }
    throw new Error('expected the plan to be refused');
  };

  it('is an error naming both windows, the shared services and the first overlap in UTC', () => {
    const message = rejection([
      ['maint.yaml', `${HEAD}${ORG}windows:\n${window('web-weekly', 'webshop, api')}`],
      ['extra.yaml', `${HEAD}windows:\n${lateWindow('api-extra', 'api, mail, webshop')}`],
    ]);
    expect(message).toBe('extra.yaml is invalid (1 problem):\n'
      + '  extra.yaml: windows[0]: window "api-extra" overlaps window "web-weekly" (maint.yaml windows[0]) on services api, webshop: '
      + 'first 2026-12-08T22:00:00Z to 2026-12-08T23:00:00Z UTC ("web-weekly" runs 2026-12-08T21:00:00Z to 2026-12-08T23:00:00Z, "api-extra" 2026-12-08T22:00:00Z to 2026-12-09T01:00:00Z); '
      + 'move one of them, or set allowOverlap: true on one if they may run at the same time');
  });

  it('with allowOverlap: true on one of them, a warning and the plan goes on', () => {
    for (const [first, second] of [[', allowOverlap: true', ''], ['', ', allowOverlap: true']]) {
      const { windows, warnings } = plan([['maint.yaml', `${HEAD}${ORG}windows:\n${window('web-weekly', 'webshop', first)}${lateWindow('web-extra', 'webshop', second)}`]]);
      expect(windows.map((w) => w.name)).toEqual(['web-weekly', 'web-extra']);
      expect(warnings).toEqual([expect.stringMatching(/^maint\.yaml: windows\[1\]: window "web-extra" overlaps window "web-weekly" \(maint\.yaml windows\[0\]\) on service webshop: first 2026-12-08T22:00:00Z to 2026-12-08T23:00:00Z UTC/)]);
      expect(warnings[0]).not.toContain('allowOverlap');
    }
  });

  it('windows over different services may overlap; so may windows that never run at the same time', () => {
    expect(plan([['maint.yaml', `${HEAD}${ORG}windows:\n${window('web', 'webshop')}${lateWindow('api', 'api')}`]]).warnings).toEqual([]);
    const thursday = window('web-thu', 'webshop').replace('[tue]', '[thu]');
    expect(plan([['maint.yaml', `${HEAD}${ORG}windows:\n${window('web-tue', 'webshop')}${thursday}`]]).warnings).toEqual([]);
  });

  it('defaults allowOverlap to false', () => {
    expect(parsePolicyText(`${HEAD}${ORG}windows:\n${window('web', 'webshop')}`, 'maint.yaml', organisationSchema).windows[0]!.allowOverlap).toBe(false);
  });
});
