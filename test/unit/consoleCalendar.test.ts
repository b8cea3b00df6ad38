import { parseAllowedWindow, type AllowedWindow } from '../../policies/availability/allowedWindows';
import { calendarModel, calendarQueryProblem, type CalendarInput, type CalendarWindow } from '../../policies/console/calendar';
import type { Blackout, Weekday } from '../../policies/windows/schema';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-02T12:00:00Z');
const weekly = (name: string, days: Weekday[], at: string, hours: number, services: string[], blackouts: Blackout[] = [], timezone = 'Europe/Amsterdam'): CalendarWindow =>
  ({ name, services, timing: { timezone, recurrence: { kind: 'weekly', days, at, offsetDays: 0 }, durationMs: hours * HOUR, cutoffMs: 0, blackouts } });
const allowed = (text: string): AllowedWindow => {
  const parsed = parseAllowedWindow(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
};
const model = (input: Partial<CalendarInput> & Pick<CalendarInput, 'windows'>) =>
  calendarModel({ view: 'week', date: '2026-10-21', timezone: 'Europe/Amsterdam', now: NOW, tiers: [], runs: {}, notices: {}, ...input });
const entries = (m: ReturnType<typeof calendarModel>) => m.weeks.flat().flatMap((d) => d.entries.map((e) => ({ day: d.date, ...e })));

// The clocks of Amsterdam go back on Sunday 25 October 2026 (03:00 CEST → 02:00 CET); New York's a week later.
const NIGHTLY = weekly('nightly', ['fri', 'sat', 'sun'], '22:00', 4, ['web']);
const SUNDAY_EARLY = weekly('sunday-early', ['sun'], '01:00', 4, ['db']);

describe('the console calendar model', () => {
  it('shows a DST week in the viewer\'s zone, Monday first, with the window\'s own zone for the hover', () => {
    const m = model({ windows: [NIGHTLY, SUNDAY_EARLY] });
    expect(m.title).toBe('Week of 19 Oct 2026');
    expect(m.weeks).toHaveLength(1);
    expect(m.weeks[0]!.map((d) => d.label)).toEqual(['Mon 19 Oct', 'Tue 20 Oct', 'Wed 21 Oct', 'Thu 22 Oct', 'Fri 23 Oct', 'Sat 24 Oct', 'Sun 25 Oct']);
    expect([m.previous, m.next]).toEqual(['2026-10-12', '2026-10-26']);
    expect(m.weeks[0]![6]!.offsetChange).toBe('UTC+2 → UTC+1');
    expect(m.weeks[0]!.slice(0, 6).every((d) => d.offsetChange === undefined)).toBe(true);
    expect(entries(m).map((e) => [e.day, e.window, e.viewerStart, e.viewerEnd, e.start])).toEqual([
      ['2026-10-23', 'nightly', '22:00', '02:00 (+1)', '2026-10-23T20:00:00.000Z'],
      ['2026-10-24', 'nightly', '22:00', '02:00 (+1)', '2026-10-24T20:00:00.000Z'],
      // Four real hours from 01:00 CEST end at 04:00 CET, not 05:00.
      ['2026-10-25', 'sunday-early', '01:00', '04:00', '2026-10-24T23:00:00.000Z'],
      ['2026-10-25', 'nightly', '22:00', '02:00 (+1)', '2026-10-25T21:00:00.000Z'],
    ]);
    expect(entries(m).find((e) => e.window === 'sunday-early')!.windowTime).toBe('Sun 25 Oct 01:00 CEST – 04:00 CET (Europe/Amsterdam)');
    expect(entries(m).every((e) => e.conflicts.length === 0 && e.state === 'past')).toBe(true);
  });

  it('shows the same instants in New York: the start moves by an hour when Amsterdam changes', () => {
    const m = model({ windows: [NIGHTLY], timezone: 'America/New_York' });
    expect(entries(m).map((e) => [e.day, e.viewerStart, e.viewerEnd])).toEqual([
      ['2026-10-23', '16:00', '20:00'],
      ['2026-10-24', '16:00', '20:00'],
      ['2026-10-25', '17:00', '21:00'],
    ]);
    expect(m.weeks[0]!.some((d) => d.offsetChange)).toBe(false);
    expect(entries(m)[2]!.windowTime).toBe('Sun 25 Oct 22:00 CET – Mon 26 Oct 02:00 CET (Europe/Amsterdam)');
  });

  it('a month view is whole weeks from Monday, the days outside the month marked', () => {
    const m = model({ windows: [], view: 'month', date: '2026-10-07' });
    expect(m.title).toBe('October 2026');
    expect(m.weeks.map((w) => w[0]!.date)).toEqual(['2026-09-28', '2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26']);
    expect(m.weeks.flat().filter((d) => d.inPeriod).length).toBe(31);
    expect([m.previous, m.next]).toEqual(['2026-09-01', '2026-11-01']);
    expect(model({ windows: [], view: 'month', date: '2026-12-10' }).weeks.flat().find((d) => d.today)?.date).toBe('2026-12-02');
  });

  it('shades blackouts and freezes, and marks the occurrences they black out', () => {
    const frozen = weekly('nightly', ['fri', 'sat', 'sun'], '22:00', 4, ['web'], [{ from: '2026-10-24', to: '2026-10-25', reason: 'autumn freeze' }, { date: '2026-10-21', reason: 'audit day' }]);
    const m = model({ windows: [frozen] });
    expect(m.weeks[0]!.map((d) => d.shaded)).toEqual([[], [], ['audit day (nightly)'], [], [], ['autumn freeze (nightly)'], ['autumn freeze (nightly)']]);
    // Friday's run reaches into the freeze that begins at Saturday 00:00.
    expect(entries(m).map((e) => [e.day, e.blackout, e.state])).toEqual([
      ['2026-10-23', 'autumn freeze', 'blacked out'],
      ['2026-10-24', 'autumn freeze', 'blacked out'],
      ['2026-10-25', 'autumn freeze', 'blacked out'],
    ]);
  });

  it('flags overlaps of windows on the same service, and runs outside the SLA tier\'s allowed hours', () => {
    const other = weekly('db-extra', ['sun'], '03:00', 1, ['db', 'web']);
    const unrelated = weekly('mail', ['sun'], '01:30', 1, ['mail']);
    const m = model({
      windows: [SUNDAY_EARLY, other, unrelated, NIGHTLY],
      tiers: [{ service: 'web', tier: 'gold', allowed: [allowed('Sat-Sun 21:00-01:00 Europe/Amsterdam')] }],
    });
    const byName = (name: string) => entries(m).filter((e) => e.window === name).map((e) => [e.day, e.conflicts.map((c) => `${c.kind}: ${c.message}`)]);
    expect(byName('sunday-early')).toEqual([['2026-10-25', ['overlap: overlaps db-extra (Sun 25 Oct 03:00–Sun 25 Oct 04:00) on db']]]);
    expect(byName('db-extra')).toEqual([['2026-10-25', [
      'overlap: overlaps sunday-early (Sun 25 Oct 01:00–Sun 25 Oct 04:00) on db',
      'sla-tier: outside the allowed hours of SLA tier "gold" of web (Sat-Sun 21:00-01:00 Europe/Amsterdam)',
    ]]]);
    expect(byName('mail')).toEqual([['2026-10-25', []]]);
    // 22:00-02:00 on Friday is outside (the hours begin on Saturday and Sunday, and end at 01:00).
    expect(byName('nightly').map(([day, c]) => [day, (c as string[]).length])).toEqual([['2026-10-23', 1], ['2026-10-24', 1], ['2026-10-25', 1]]);
    expect(m.conflicts).toBe(5);
    // Inside the hours: no flag.
    const fits = model({ windows: [weekly('short', ['sat'], '22:00', 2, ['web'])], tiers: [{ service: 'web', tier: 'gold', allowed: [allowed('Sat-Sun 21:00-01:00 Europe/Amsterdam')] }] });
    expect(entries(fits).map((e) => e.conflicts)).toEqual([[]]);
  });

  it('links each occurrence to its run and counts its notices', () => {
    const soon = weekly('soon', ['thu'], '22:00', 2, ['web']);
    const m = model({ windows: [soon], date: '2026-12-02', runs: { 'window-soon-20261203T210000Z': 'scheduled' }, notices: { 'window-soon-20261203T210000Z': 3 } });
    expect(entries(m).map((e) => [e.runId, e.state, e.notices])).toEqual([['window-soon-20261203T210000Z', 'scheduled', 3]]);
    expect(entries(model({ windows: [soon], date: '2026-12-09' })).map((e) => e.state)).toEqual(['not started']);
  });

  it('says which query parameter is wrong', () => {
    expect(calendarQueryProblem({ tz: 'Mars/Olympus' })).toBe('tz: unknown timezone "Mars/Olympus" (expected an IANA name like Europe/Amsterdam)');
    expect(calendarQueryProblem({ date: '2026-13-01' })).toBe('date: expected a date like 2026-10-26, got "2026-13-01"');
    expect(calendarQueryProblem({ date: '2026-10-26', tz: 'America/New_York' })).toBeUndefined();
  });
});
