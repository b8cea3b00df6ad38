import fc from 'fast-check';
import { cronExpressionProblem, nextOccurrences, occurrenceAt, occurrencesBetween } from '../../policies/windows/occurrences';
import type { Blackout, Recurrence, Weekday, WindowTiming } from '../../policies/windows/schema';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const timing = (recurrence: Recurrence, more: Partial<WindowTiming> = {}): WindowTiming => ({
  timezone: 'Europe/Amsterdam',
  recurrence,
  durationMs: 4 * HOUR,
  cutoffMs: 30 * MINUTE,
  blackouts: [],
  ...more,
});
const weekly = (days: Weekday[], at: string, offsetDays = 0): Recurrence => ({ kind: 'weekly', days, at, offsetDays });
const monthly = (week: 1 | 2 | 3 | 4 | 'last', day: Weekday, at: string, offsetDays = 0): Recurrence => ({ kind: 'monthly', week, day, at, offsetDays });
const cron = (expression: string, offsetDays = 0): Recurrence => ({ kind: 'cron', expression, offsetDays });
const once = (at: string): Recurrence => ({ kind: 'once', at });

const between = (t: WindowTiming, from: string, to: string) => occurrencesBetween(t, new Date(from), new Date(to));
const starts = (t: WindowTiming, from: string, to: string) => between(t, from, to).map((o) => o.start);
const localStarts = (t: WindowTiming, from: string, to: string) => between(t, from, to).map((o) => o.localStart);
const next = (t: WindowTiming, after: string, count: number, includeBlackedOut = false) =>
  nextOccurrences(t, new Date(after), count, { includeBlackedOut }).map((o) => (o.blackout ? `${o.localStart} (${o.blackout.reason})` : o.localStart));

describe('window occurrences: daylight saving time in Europe/Amsterdam (2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00)', () => {
  it('moves a daily 02:30 cron start on the spring day forward by the gap, to 03:30 CEST', () => {
    expect(between(timing(cron('30 2 * * *')), '2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z').map((o) => [o.start, o.localStart])).toEqual([
      ['2026-03-28T01:30:00.000Z', '2026-03-28T02:30:00+01:00'],
      ['2026-03-29T01:30:00.000Z', '2026-03-29T03:30:00+02:00'],
      ['2026-03-30T00:30:00.000Z', '2026-03-30T02:30:00+02:00'],
    ]);
  });

  it('moves a weekly Sunday 02:30 window on the spring day to 03:30 CEST, and its 4 hours end at 07:30 CEST', () => {
    const [before, spring, after] = between(timing(weekly(['sun'], '02:30')), '2026-03-22T00:00:00Z', '2026-04-06T00:00:00Z');
    expect(before).toMatchObject({ start: '2026-03-22T01:30:00.000Z', localStart: '2026-03-22T02:30:00+01:00' });
    expect(spring).toEqual({
      start: '2026-03-29T01:30:00.000Z',
      end: '2026-03-29T05:30:00.000Z',
      cutoff: '2026-03-29T05:00:00.000Z',
      localStart: '2026-03-29T03:30:00+02:00',
      localEnd: '2026-03-29T07:30:00+02:00',
    });
    expect(after).toMatchObject({ start: '2026-04-05T00:30:00.000Z', localStart: '2026-04-05T02:30:00+02:00' });
  });

  it('starts 02:30 on the autumn day once, at the first 02:30 (CEST, 00:30Z)', () => {
    expect(starts(timing(cron('30 2 * * *')), '2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z')).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
    expect(localStarts(timing(weekly(['sun'], '02:30')), '2026-10-18T00:00:00Z', '2026-11-02T00:00:00Z')).toEqual([
      '2026-10-18T02:30:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-11-01T02:30:00+01:00',
    ]);
  });

  it('runs an hourly cron once in the repeated hour and once in the shifted gap hour (no duplicates)', () => {
    expect(localStarts(timing(cron('30 * * * *')), '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z')).toEqual([
      '2026-10-25T00:30:00+02:00',
      '2026-10-25T01:30:00+02:00',
      '2026-10-25T02:30:00+02:00',
      '2026-10-25T03:30:00+01:00',
      '2026-10-25T04:30:00+01:00',
    ]);
    expect(localStarts(timing(cron('30 * * * *')), '2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z')).toEqual([
      '2026-03-29T00:30:00+01:00',
      '2026-03-29T01:30:00+01:00',
      '2026-03-29T03:30:00+02:00',
      '2026-03-29T04:30:00+02:00',
    ]);
  });

  it('measures duration and cutoff in real hours across the change', () => {
    // 4 h from 01:00 on the autumn day: the clock shows 04:00 CET, four hours later.
    expect(between(timing(once('2026-10-25T01:00')), '2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual([
      {
        start: '2026-10-24T23:00:00.000Z',
        end: '2026-10-25T03:00:00.000Z',
        cutoff: '2026-10-25T02:30:00.000Z',
        localStart: '2026-10-25T01:00:00+02:00',
        localEnd: '2026-10-25T04:00:00+01:00',
      },
    ]);
    expect(between(timing(once('2026-03-29T01:00')), '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual([
      {
        start: '2026-03-29T00:00:00.000Z',
        end: '2026-03-29T04:00:00.000Z',
        cutoff: '2026-03-29T03:30:00.000Z',
        localStart: '2026-03-29T01:00:00+01:00',
        localEnd: '2026-03-29T06:00:00+02:00',
      },
    ]);
  });

  it('keeps a 22:00 weekly window at 22:00 local: the UTC hour goes from 21 to 20 in spring and back in autumn', () => {
    const tuesday22 = timing(weekly(['tue'], '22:00'));
    expect(between(tuesday22, '2026-03-17T00:00:00Z', '2026-04-01T00:00:00Z').map((o) => [o.start, o.localStart])).toEqual([
      ['2026-03-17T21:00:00.000Z', '2026-03-17T22:00:00+01:00'],
      ['2026-03-24T21:00:00.000Z', '2026-03-24T22:00:00+01:00'],
      ['2026-03-31T20:00:00.000Z', '2026-03-31T22:00:00+02:00'],
    ]);
    expect(starts(tuesday22, '2026-10-20T00:00:00Z', '2026-11-01T00:00:00Z')).toEqual(['2026-10-20T20:00:00.000Z', '2026-10-27T21:00:00.000Z']);
  });

  it('keeps the wall-clock time when offsetDays crosses the change (last Fri of March 2026 + 3 days)', () => {
    expect(between(timing(monthly('last', 'fri', '22:00', 3)), '2026-03-10T00:00:00Z', '2026-04-10T00:00:00Z').map((o) => [o.start, o.localStart])).toEqual([
      ['2026-03-30T20:00:00.000Z', '2026-03-30T22:00:00+02:00'],
    ]);
  });
});

describe('window occurrences: calendar arithmetic', () => {
  it('finds Patch Tuesday (2nd Tuesday) in every month of 2026', () => {
    expect(localStarts(timing(monthly(2, 'tue', '22:00')), '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      '2026-01-13T22:00:00+01:00',
      '2026-02-10T22:00:00+01:00',
      '2026-03-10T22:00:00+01:00',
      '2026-04-14T22:00:00+02:00',
      '2026-05-12T22:00:00+02:00',
      '2026-06-09T22:00:00+02:00',
      '2026-07-14T22:00:00+02:00',
      '2026-08-11T22:00:00+02:00',
      '2026-09-08T22:00:00+02:00',
      '2026-10-13T22:00:00+02:00',
      '2026-11-10T22:00:00+01:00',
      '2026-12-08T22:00:00+01:00',
    ]);
  });

  it('finds the last Friday of months of 28, 30 and 31 days', () => {
    expect(localStarts(timing(monthly('last', 'fri', '22:00')), '2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z')).toEqual([
      '2026-01-30T22:00:00+01:00',
      '2026-02-27T22:00:00+01:00',
      '2026-03-27T22:00:00+01:00',
      '2026-04-24T22:00:00+02:00',
      '2026-05-29T22:00:00+02:00',
    ]);
    expect(localStarts(timing(monthly(4, 'fri', '22:00')), '2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z')).toEqual(['2026-05-22T22:00:00+02:00']);
  });

  it('runs cron "0 22 31 * *" only in months with a 31st', () => {
    expect(starts(timing(cron('0 22 31 * *')), '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      '2026-01-31T21:00:00.000Z',
      '2026-03-31T20:00:00.000Z',
      '2026-05-31T20:00:00.000Z',
      '2026-07-31T20:00:00.000Z',
      '2026-08-31T20:00:00.000Z',
      '2026-10-31T21:00:00.000Z',
      '2026-12-31T21:00:00.000Z',
    ]);
  });

  it('runs a 29 February cron next in 2028', () => {
    expect(next(timing(cron('0 1 29 2 *')), '2026-01-01T00:00:00Z', 1)).toEqual(['2028-02-29T01:00:00+01:00']);
    expect(nextOccurrences(timing(cron('0 1 29 2 *')), new Date('2026-01-01T00:00:00Z'), 1)[0]!.start).toBe('2028-02-29T00:00:00.000Z');
  });

  it.each<[string, Recurrence, string, string[]]>([
    ['Patch Tuesday + 3 (Friday)', monthly(2, 'tue', '22:00', 3), '2026-03-01', ['2026-03-13T22:00:00+01:00', '2026-04-17T22:00:00+02:00']],
    ['last Tuesday + 3 crosses the month end', monthly('last', 'tue', '22:00', 3), '2026-03-01', ['2026-04-03T22:00:00+02:00', '2026-05-01T22:00:00+02:00']],
    ['last Tuesday + 3 crosses the year end', monthly('last', 'tue', '22:00', 3), '2026-12-01', ['2027-01-01T22:00:00+01:00', '2027-01-29T22:00:00+01:00']],
    ['Patch Tuesday + 27 crosses the month end', monthly(2, 'tue', '22:00', 27), '2026-01-06', ['2026-02-09T22:00:00+01:00', '2026-03-09T22:00:00+01:00']],
    ['Patch Tuesday of Dec 2026 + 27 is 2027-01-04', monthly(2, 'tue', '22:00', 27), '2026-12-15', ['2027-01-04T22:00:00+01:00', '2027-02-08T22:00:00+01:00']],
    ['1st Monday - 2 falls in the previous month', monthly(1, 'mon', '22:00', -2), '2026-01-15', ['2026-01-31T22:00:00+01:00', '2026-02-28T22:00:00+01:00']],
    ['cron on the 1st - 2 crosses the year end', cron('0 22 1 * *', -2), '2026-12-01', ['2026-12-30T22:00:00+01:00', '2027-01-30T22:00:00+01:00']],
  ])('offsetDays: %s', (_name, recurrence, after, expected) => {
    expect(next(timing(recurrence), `${after}T00:00:00Z`, 2)).toEqual(expected);
  });

  it('runs a once window if it is still ahead, and then never again', () => {
    const t = timing(once('2026-12-03T22:00'));
    expect(next(t, '2026-06-01T00:00:00Z', 5)).toEqual(['2026-12-03T22:00:00+01:00']);
    expect(nextOccurrences(t, new Date('2026-12-03T21:00:00Z'), 1)[0]?.start).toBe('2026-12-03T21:00:00.000Z');
    expect(nextOccurrences(t, new Date('2026-12-03T21:00:00.001Z'), 5)).toEqual([]);
    expect(nextOccurrences(t, new Date('2027-01-01T00:00:00Z'), 5)).toEqual([]);
    expect(localStarts(timing(once('2026-03-29T02:30')), '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual(['2026-03-29T03:30:00+02:00']);
  });

  it('reads cron day fields like Vixie cron: both restricted means either, one starting with * means both', () => {
    expect(localStarts(timing(cron('0 22 1 * 2')), '2026-01-01T00:00:00Z', '2026-02-02T00:00:00Z')).toEqual([
      '2026-01-01T22:00:00+01:00',
      '2026-01-06T22:00:00+01:00',
      '2026-01-13T22:00:00+01:00',
      '2026-01-20T22:00:00+01:00',
      '2026-01-27T22:00:00+01:00',
      '2026-02-01T22:00:00+01:00',
    ]);
    expect(localStarts(timing(cron('0 22 */2 * tue')), '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')).toEqual([
      '2026-01-13T22:00:00+01:00',
      '2026-01-27T22:00:00+01:00',
    ]);
    expect(localStarts(timing(cron('15 3 * jan,feb 7')), '2026-01-20T00:00:00Z', '2026-02-10T00:00:00Z')).toEqual([
      '2026-01-25T03:15:00+01:00',
      '2026-02-01T03:15:00+01:00',
      '2026-02-08T03:15:00+01:00',
    ]);
    expect(localStarts(timing(cron('0/20 1-2 10 3 *')), '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      '2026-03-10T01:00:00+01:00',
      '2026-03-10T01:20:00+01:00',
      '2026-03-10T01:40:00+01:00',
      '2026-03-10T02:00:00+01:00',
      '2026-03-10T02:20:00+01:00',
      '2026-03-10T02:40:00+01:00',
    ]);
  });

  it('rejects cron expressions it cannot run, and unknown timezones', () => {
    expect(cronExpressionProblem('0 22 * * 2')).toBeUndefined();
    expect(cronExpressionProblem('0 24 * * *')).toBe('invalid cron expression "0 24 * * *": hour 24 is out of range 0-23');
    expect(cronExpressionProblem('0 0 30 2 *')).toBe('invalid cron expression "0 0 30 2 *": no selected month has that day, so it never runs');
    expect(cronExpressionProblem('0 22 * * 5L')).toMatch(/"L" in the day-of-week field is not standard cron/);
    expect(cronExpressionProblem('H 22 * * *')).toMatch(/"H" in the minute field/);
    expect(cronExpressionProblem('0 22 * *')).toMatch(/expected five fields/);
    expect(() => occurrencesBetween(timing(cron('0 22 * * 2#2')), new Date('2026-01-01'), new Date('2026-02-01'))).toThrow(/"#" in the day-of-week field/);
    expect(() => nextOccurrences(timing(weekly(['tue'], '22:00'), { timezone: 'Mars/Olympus' }), new Date('2026-01-01'), 1)).toThrow(
      'unknown timezone "Mars/Olympus" (expected an IANA name like Europe/Amsterdam)',
    );
  });
});

describe('window occurrences: blackouts', () => {
  const christmasEve: Blackout = { date: '2026-12-24', reason: 'Christmas Eve' };

  it.each<[string, Recurrence, Blackout[], string | undefined]>([
    ['on the blacked-out day', once('2026-12-24T22:00'), [christmasEve], 'Christmas Eve'],
    ['from the evening before, running into the day', once('2026-12-23T22:00'), [christmasEve], 'Christmas Eve'],
    ['ending at midnight as the day begins (touching)', once('2026-12-23T20:00'), [christmasEve], undefined],
    ['starting at midnight as the day ends (touching)', once('2026-12-25T00:00'), [christmasEve], undefined],
    ['with no reason given', once('2026-12-24T10:00'), [{ date: '2026-12-24' }], 'blackout 2026-12-24'],
    ['starting before a freeze, running into its first day', once('2026-12-17T22:00'), [{ from: '2026-12-18', to: '2027-01-04', reason: 'year-end freeze' }], 'year-end freeze'],
    ['on the last day of a freeze (to is inclusive)', once('2027-01-04T22:00'), [{ from: '2026-12-18', to: '2027-01-04' }], 'freeze 2026-12-18 to 2027-01-04'],
    ['the day after a freeze', once('2027-01-05T00:00'), [{ from: '2026-12-18', to: '2027-01-04' }], undefined],
    ['ending when a timed freeze begins', once('2026-06-10T05:00'), [{ from: '2026-06-10T09:00', to: '2026-06-10T17:30' }], undefined],
    ['overlapping a timed freeze by a minute', once('2026-06-10T05:01'), [{ from: '2026-06-10T09:00', to: '2026-06-10T17:30', reason: 'launch' }], 'launch'],
    ['starting when a timed freeze ends (to is exclusive)', once('2026-06-10T17:30'), [{ from: '2026-06-10T09:00', to: '2026-06-10T17:30' }], undefined],
    ['in two blackouts at once', once('2026-12-24T22:00'), [christmasEve, { from: '2026-12-18', to: '2027-01-04', reason: 'year-end freeze' }], 'Christmas Eve; year-end freeze'],
  ])('a 4h window %s', (_name, recurrence, blackouts, reason) => {
    const [occurrence] = between(timing(recurrence, { blackouts }), '2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z');
    expect(occurrence?.blackout).toEqual(reason === undefined ? undefined : { reason });
  });

  it('reads blackout days in the window timezone, not in UTC', () => {
    // 2026-12-24 in Auckland (NZDT, +13) is 2026-12-23T11:00Z until 2026-12-24T11:00Z.
    const t = timing(cron('0 * * * *'), { timezone: 'Pacific/Auckland', durationMs: HOUR, blackouts: [christmasEve] });
    const around = between(t, '2026-12-23T09:00:00Z', '2026-12-23T13:00:00Z');
    expect(around.map((o) => [o.localStart, o.blackout?.reason ?? 'runs'])).toEqual([
      ['2026-12-23T22:00:00+13:00', 'runs'],
      ['2026-12-23T23:00:00+13:00', 'runs'],
      ['2026-12-24T00:00:00+13:00', 'Christmas Eve'],
      ['2026-12-24T01:00:00+13:00', 'Christmas Eve'],
    ]);
  });

  it('skips blacked-out occurrences in nextOccurrences, and shows them with their reason on request', () => {
    const t = timing(weekly(['tue'], '22:00'), { blackouts: [{ from: '2026-12-18', to: '2027-01-04', reason: 'year-end freeze' }] });
    expect(next(t, '2026-12-14T00:00:00Z', 3)).toEqual(['2026-12-15T22:00:00+01:00', '2027-01-05T22:00:00+01:00', '2027-01-12T22:00:00+01:00']);
    expect(next(t, '2026-12-14T00:00:00Z', 4, true)).toEqual([
      '2026-12-15T22:00:00+01:00',
      '2026-12-22T22:00:00+01:00 (year-end freeze)',
      '2026-12-29T22:00:00+01:00 (year-end freeze)',
      '2027-01-05T22:00:00+01:00',
    ]);
    // The last Friday of December 2026 is Christmas Day.
    const lastFriday = timing(monthly('last', 'fri', '22:00'), { blackouts: [{ date: '2026-12-25', reason: 'Christmas' }] });
    expect(next(lastFriday, '2026-11-01T00:00:00Z', 2)).toEqual(['2026-11-27T22:00:00+01:00', '2027-01-29T22:00:00+01:00']);
  });

  it('stops looking after four years when everything is blacked out', () => {
    const frozen = timing(weekly(['tue'], '22:00'), { blackouts: [{ from: '2026-01-01', to: '2099-12-31', reason: 'frozen' }] });
    expect(nextOccurrences(frozen, new Date('2026-01-01T00:00:00Z'), 3)).toEqual([]);
    expect(next(frozen, '2026-01-01T00:00:00Z', 1, true)).toEqual(['2026-01-06T22:00:00+01:00 (frozen)']);
  });
});

describe('window occurrences: finding the occurrence of a schedule time', () => {
  const sunday = timing(weekly(['sun'], '02:30'), { blackouts: [{ date: '2026-04-05', reason: 'Easter' }] });

  it('returns the occurrence that starts exactly then', () => {
    expect(occurrenceAt(sunday, new Date('2026-03-29T01:30:00Z'))).toEqual({
      start: '2026-03-29T01:30:00.000Z',
      end: '2026-03-29T05:30:00.000Z',
      cutoff: '2026-03-29T05:00:00.000Z',
      localStart: '2026-03-29T03:30:00+02:00',
      localEnd: '2026-03-29T07:30:00+02:00',
    });
    expect(occurrenceAt(sunday, new Date('2026-04-05T00:30:00Z'))).toMatchObject({ localStart: '2026-04-05T02:30:00+02:00', blackout: { reason: 'Easter' } });
  });

  it('returns nothing for any other instant, including the second 02:30 of the autumn night', () => {
    expect(occurrenceAt(sunday, new Date('2026-03-29T00:30:00Z'))).toBeUndefined();
    expect(occurrenceAt(sunday, new Date('2026-03-29T01:30:00.001Z'))).toBeUndefined();
    expect(occurrenceAt(sunday, new Date('2026-10-25T00:30:00Z'))).toMatchObject({ localStart: '2026-10-25T02:30:00+02:00' });
    expect(occurrenceAt(sunday, new Date('2026-10-25T01:30:00Z'))).toBeUndefined();
    expect(occurrenceAt(sunday, new Date('2026-03-28T01:30:00Z'))).toBeUndefined();
  });
});

describe('window occurrences: other timezones', () => {
  it('America/New_York changes on other dates (2026-03-08 and 2026-11-01)', () => {
    const t = timing(weekly(['sun'], '02:30'), { timezone: 'America/New_York' });
    expect(between(t, '2026-03-01T00:00:00Z', '2026-03-16T00:00:00Z').map((o) => [o.start, o.localStart])).toEqual([
      ['2026-03-01T07:30:00.000Z', '2026-03-01T02:30:00-05:00'],
      ['2026-03-08T07:30:00.000Z', '2026-03-08T03:30:00-04:00'],
      ['2026-03-15T06:30:00.000Z', '2026-03-15T02:30:00-04:00'],
    ]);
    // On Amsterdam's spring day New York is already on summer time: nothing moves.
    expect(localStarts(t, '2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z')).toEqual(['2026-03-29T02:30:00-04:00']);
    const first130 = timing(cron('30 1 * * *'), { timezone: 'America/New_York' });
    expect(starts(first130, '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('Asia/Kolkata has no DST: 22:00 IST is 16:30Z all year', () => {
    const t = timing(weekly(['tue'], '22:00'), { timezone: 'Asia/Kolkata' });
    expect(between(t, '2026-03-24T00:00:00Z', '2026-04-01T00:00:00Z').map((o) => [o.start, o.localStart, o.localEnd])).toEqual([
      ['2026-03-24T16:30:00.000Z', '2026-03-24T22:00:00+05:30', '2026-03-25T02:00:00+05:30'],
      ['2026-03-31T16:30:00.000Z', '2026-03-31T22:00:00+05:30', '2026-04-01T02:00:00+05:30'],
    ]);
  });

  it('Pacific/Auckland changes the other way round (back 2026-04-05, forward 2026-09-27)', () => {
    const t = timing(weekly(['sun'], '02:30'), { timezone: 'Pacific/Auckland' });
    expect(between(t, '2026-04-01T00:00:00Z', '2026-04-10T00:00:00Z').map((o) => [o.start, o.localStart, o.localEnd])).toEqual([
      ['2026-04-04T13:30:00.000Z', '2026-04-05T02:30:00+13:00', '2026-04-05T05:30:00+12:00'],
    ]);
    expect(between(t, '2026-09-20T00:00:00Z', '2026-09-30T00:00:00Z').map((o) => [o.start, o.localStart])).toEqual([
      ['2026-09-26T14:30:00.000Z', '2026-09-27T03:30:00+13:00'],
    ]);
  });
});

describe('window occurrences: properties', () => {
  const zones = fc.constantFrom('Europe/Amsterdam', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Australia/Lord_Howe');
  const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const weekday = fc.constantFrom<Weekday>('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun');
  const offsetDays = fc.integer({ min: -27, max: 27 });
  const recurrence: fc.Arbitrary<Recurrence> = fc.oneof(
    fc.record({ kind: fc.constant('weekly' as const), days: fc.uniqueArray(weekday, { minLength: 1, maxLength: 7 }), at: time, offsetDays }),
    fc.record({ kind: fc.constant('monthly' as const), week: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const, 'last' as const), day: weekday, at: time, offsetDays }),
    fc.record({
      kind: fc.constant('cron' as const),
      expression: fc
        .tuple(
          fc.constantFrom('0', '30', '*/20', '5,35'),
          fc.constantFrom('*', '2', '22', '1-3', '*/6'),
          fc.constantFrom('*', '1', '15', '31', '1-7', '*/10'),
          fc.constantFrom('*', '2', '3,10', '*/3'),
          fc.constantFrom('*', '0', '1-5', '7', 'sun,sat'),
        )
        .map((fields) => fields.join(' ')),
      offsetDays,
    }),
  );

  it('occurrences ascend, last exactly their duration, cut off before the end and are found again by their start', () => {
    fc.assert(
      fc.property(
        zones,
        recurrence,
        fc.integer({ min: 0, max: 48 * 60 }),
        fc.integer({ min: 0, max: 120 }),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }),
        (timezone, r, durationMinutes, cutoffMinutes, from) => {
          fc.pre(r.kind !== 'cron' || cronExpressionProblem(r.expression) === undefined);
          const t = timing(r, { timezone, durationMs: durationMinutes * MINUTE, cutoffMs: Math.min(cutoffMinutes, durationMinutes) * MINUTE });
          const to = new Date(from.getTime() + 45 * 24 * HOUR);
          const found = occurrencesBetween(t, from, to);
          found.forEach((o, i) => {
            const start = Date.parse(o.start);
            expect(start).toBeGreaterThanOrEqual(from.getTime());
            expect(start).toBeLessThan(to.getTime());
            if (i > 0) expect(start).toBeGreaterThan(Date.parse(found[i - 1]!.start));
            expect(Date.parse(o.end) - start).toBe(t.durationMs);
            expect(Date.parse(o.cutoff)).toBeLessThanOrEqual(Date.parse(o.end));
            expect(Date.parse(o.localStart)).toBe(start);
            expect(Date.parse(o.localEnd)).toBe(Date.parse(o.end));
          });
          for (const o of found.filter((_, i) => i % Math.ceil(found.length / 8) === 0)) expect(occurrenceAt(t, new Date(o.start))).toEqual(o);
          expect(nextOccurrences(t, from, 2, { includeBlackedOut: true }).slice(0, found.length)).toEqual(found.slice(0, 2));
        },
      ),
      { numRuns: 200 },
    );
  });
});
