import { blackoutsFromICalendar } from '../../policies/windows/blackoutCalendar';

const ics = (...events: string[]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example//Holidays//EN', ...events, 'END:VCALENDAR', ''].join('\r\n');
const vevent = (uid: string, ...lines: string[]) => ['BEGIN:VEVENT', `UID:${uid}@example.com`, 'DTSTAMP:20260101T000000Z', ...lines, 'END:VEVENT'].join('\r\n');

const NEW_YORK = [
  'BEGIN:VTIMEZONE',
  'TZID:America/New_York',
  'BEGIN:DAYLIGHT',
  'DTSTART:20070311T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'TZNAME:EDT',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'DTSTART:20071104T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'TZNAME:EST',
  'END:STANDARD',
  'END:VTIMEZONE',
].join('\r\n');

const calendar = ics(
  NEW_YORK,
  vevent('kings-day', 'DTSTART;VALUE=DATE:20260427', 'DTEND;VALUE=DATE:20260428', "SUMMARY:King's Day"),
  vevent('freeze', 'DTSTART;VALUE=DATE:20261218', 'DTEND;VALUE=DATE:20270105', 'SUMMARY:Year-end change freeze'),
  vevent('launch', 'DTSTART;TZID=America/New_York:20260610T090000', 'DTEND;TZID=America/New_York:20260610T173000', 'SUMMARY:Product launch (New York)'),
  vevent('christmas', 'DTSTART;VALUE=DATE:20201225', 'DTEND;VALUE=DATE:20201227', 'RRULE:FREQ=YEARLY', 'EXDATE;VALUE=DATE:20271225', 'SUMMARY:Christmas'),
  vevent('review', 'DTSTART;TZID=Europe/Amsterdam:20260105T100000', 'DURATION:PT1H30M', 'RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE;TZID=Europe/Amsterdam:20260112T100000', 'SUMMARY:Patch review'),
  vevent('seconds', 'DTSTART:20260611T090010Z', 'DTEND:20260611T113020Z', 'SUMMARY;LANGUAGE=en:Audit'),
  vevent('floating', 'DTSTART:20260701T090000', 'DTEND:20260701T113000', 'SUMMARY:Floating workshop'),
  vevent('cancelled', 'DTSTART;VALUE=DATE:20260801', 'STATUS:CANCELLED', 'SUMMARY:Cancelled outage'),
  vevent('last-year', 'DTSTART;VALUE=DATE:20250505', 'SUMMARY:Liberation Day 2025'),
);
const years2026to2028 = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2029-01-01T00:00:00Z') };

describe('blackouts from an iCalendar file', () => {
  it('turns all-day, multi-day, timed and recurring events into blackouts in the window timezone', () => {
    expect(blackoutsFromICalendar(calendar, 'Europe/Amsterdam', years2026to2028)).toEqual([
      { from: '2026-01-05T10:00', to: '2026-01-05T11:30', reason: 'Patch review' },
      { from: '2026-01-19T10:00', to: '2026-01-19T11:30', reason: 'Patch review' },
      { date: '2026-04-27', reason: "King's Day" },
      { from: '2026-06-10T15:00', to: '2026-06-10T23:30', reason: 'Product launch (New York)' },
      { from: '2026-06-11T11:00', to: '2026-06-11T13:31', reason: 'Audit' },
      // A floating time borrows the file's only VTIMEZONE (node-ical does this for exports that forget TZID).
      { from: '2026-07-01T15:00', to: '2026-07-01T17:30', reason: 'Floating workshop' },
      { from: '2026-12-18', to: '2027-01-04', reason: 'Year-end change freeze' },
      { from: '2026-12-25', to: '2026-12-26', reason: 'Christmas' },
      { from: '2028-12-25', to: '2028-12-26', reason: 'Christmas' },
    ]);
  });

  it('keeps the calendar dates of all-day events but converts timed events to the window timezone', () => {
    const kolkata = blackoutsFromICalendar(calendar, 'Asia/Kolkata', { from: new Date('2026-04-01T00:00:00Z'), to: new Date('2026-06-11T00:00:00Z') });
    expect(kolkata).toEqual([
      { date: '2026-04-27', reason: "King's Day" },
      { from: '2026-06-10T18:30', to: '2026-06-11T03:00', reason: 'Product launch (New York)' },
    ]);
  });

  it('keeps only events overlapping the horizon, including ones already under way', () => {
    const horizon = { from: new Date('2026-04-27T12:00:00Z'), to: new Date('2026-06-10T14:00:00Z') };
    expect(blackoutsFromICalendar(calendar, 'Europe/Amsterdam', horizon)).toEqual([
      { date: '2026-04-27', reason: "King's Day" },
      { from: '2026-06-10T15:00', to: '2026-06-10T23:30', reason: 'Product launch (New York)' },
    ]);
    expect(blackoutsFromICalendar(calendar, 'Europe/Amsterdam', { from: new Date('2027-12-01T00:00:00Z'), to: new Date('2028-01-01T00:00:00Z') })).toEqual([]);
  });

  it('reads a floating time (no TZID, no Z) in the window timezone when the file has no VTIMEZONE', () => {
    const text = ics(vevent('floating', 'DTSTART:20260701T090000', 'DTEND:20260701T113000', 'SUMMARY:Floating workshop'));
    expect(blackoutsFromICalendar(text, 'Europe/Amsterdam', years2026to2028)).toEqual([{ from: '2026-07-01T09:00', to: '2026-07-01T11:30', reason: 'Floating workshop' }]);
    expect(blackoutsFromICalendar(text, 'Pacific/Auckland', years2026to2028)).toEqual([{ from: '2026-07-01T09:00', to: '2026-07-01T11:30', reason: 'Floating workshop' }]);
  });

  it('gives an all-day event without DTEND one day, and an event without SUMMARY no reason', () => {
    const text = ics(vevent('one-day', 'DTSTART;VALUE=DATE:20261105'));
    expect(blackoutsFromICalendar(text, 'Europe/Amsterdam', years2026to2028)).toEqual([{ date: '2026-11-05' }]);
  });

  it('refuses text that is not iCalendar, and unknown timezones', () => {
    expect(() => blackoutsFromICalendar('Date,Reason\n2026-12-24,Christmas Eve\n', 'Europe/Amsterdam', years2026to2028)).toThrow(
      'not an iCalendar file: expected BEGIN:VCALENDAR (export the calendar as .ics)',
    );
    expect(() => blackoutsFromICalendar('', 'Europe/Amsterdam', years2026to2028)).toThrow(/not an iCalendar file/);
    expect(() => blackoutsFromICalendar(calendar, 'Europe/Amsterdan', years2026to2028)).toThrow('unknown timezone "Europe/Amsterdan" (expected an IANA name like Europe/Amsterdam)');
  });
});
