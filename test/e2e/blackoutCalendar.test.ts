import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { runMaint } from '../helpers/cli';
import { connectTestEnv, uniqueTaskQueue } from '../helpers/temporal';

const id = randomUUID().slice(0, 6);
const WINDOW = `db-weekly-${id}`;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// A weekly window on the weekday of the day after tomorrow: its next occurrences are that day and
// every week after, whatever day the test runs.
const zone = 'Europe/Amsterdam';
const first = DateTime.now().setZone(zone).startOf('day').plus({ days: 2 }).set({ hour: 22 });
const occurrence = (n: number) => first.plus({ weeks: n });
const icsDate = (t: DateTime) => t.toFormat('yyyyLLdd');
const icsUtc = (t: DateTime) => t.toUTC().toFormat("yyyyLLdd'T'HHmmss'Z'");

/** A holiday calendar as exported by a calendar app: an all-day event, a timed one in UTC, and one called off. */
const calendar = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Acme//Holidays//EN',
  'BEGIN:VEVENT', `UID:holiday-${id}@acme.example`, `DTSTAMP:${icsUtc(first)}`,
  `DTSTART;VALUE=DATE:${icsDate(occurrence(0))}`, `DTEND;VALUE=DATE:${icsDate(occurrence(0).plus({ days: 1 }))}`, 'SUMMARY:Company holiday', 'END:VEVENT',
  'BEGIN:VEVENT', `UID:freeze-${id}@acme.example`, `DTSTAMP:${icsUtc(first)}`,
  `DTSTART:${icsUtc(occurrence(1).minus({ minutes: 30 }))}`, `DTEND:${icsUtc(occurrence(1).plus({ minutes: 30 }))}`, 'SUMMARY:Data centre move', 'END:VEVENT',
  'BEGIN:VEVENT', `UID:off-${id}@acme.example`, `DTSTAMP:${icsUtc(first)}`, 'STATUS:CANCELLED',
  `DTSTART;VALUE=DATE:${icsDate(occurrence(2))}`, `DTEND;VALUE=DATE:${icsDate(occurrence(2).plus({ days: 1 }))}`, 'SUMMARY:Called off', 'END:VEVENT',
  'END:VCALENDAR', '',
].join('\r\n');

const org = (calendarPath: string) => `
apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Calendars ${id}, contact: {email: support@acme.example}}
services: [{name: db-${id}}]
windows:
  - name: ${WINDOW}
    timezone: ${zone}
    recurrence: {kind: weekly, days: [${DAYS[first.weekday - 1]}], at: "22:00"}
    duration: 1h
    blackoutCalendars: [${calendarPath}]
    services: [db-${id}]
    notices: {leadTimes: [1h]}
    preflight: false
`;

describe('blackout calendars (.ics) end to end', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;
  let file: string;
  let cliEnv: NodeJS.ProcessEnv;
  const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

  beforeAll(async () => {
    env = await connectTestEnv();
    dir = mkdtempSync(join(tmpdir(), 'maint-blackout-calendar-'));
    mkdirSync(join(dir, 'calendars'));
    writeFileSync(join(dir, 'calendars', 'holidays.ics'), calendar);
    file = join(dir, 'maint.yaml');
    writeFileSync(file, org('calendars/holidays.ics'));
    cliEnv = { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, MAINT_TASK_QUEUE: uniqueTaskQueue('blackout-calendar') };
  });
  afterAll(async () => {
    await env?.client.schedule.getHandle(`window-${WINDOW}`).delete().catch(() => undefined);
  });

  it('maint windows next marks the occurrences the calendar blacks out; maint apply schedules the first one it does not', async () => {
    const next = await runMaint(['windows', 'next', WINDOW, '--count', '4', '-f', file, '--json'], offline);
    expect(next.stderr).toBe('');
    const rows = JSON.parse(next.stdout) as Array<{ start: string; blackout?: { reason: string } }>;
    expect(rows.map((o) => [o.start, o.blackout?.reason])).toEqual([
      [occurrence(0).toUTC().toISO(), 'Company holiday'],
      [occurrence(1).toUTC().toISO(), 'Data centre move'],
      [occurrence(2).toUTC().toISO(), undefined], // the cancelled event blacks out nothing
      [occurrence(3).toUTC().toISO(), undefined],
    ]);
    const table = await runMaint(['windows', 'next', WINDOW, '--count', '2', '-f', file, '--tz', zone], offline);
    expect(table.stdout).toContain(`${occurrence(0).toFormat('ccc yyyy-LL-dd HH:mm')}`);
    expect(table.stdout).toMatch(/BLACKOUT: Company holiday\n.*BLACKOUT: Data centre move\n$/);

    const list = await runMaint(['windows', 'list', '-f', file, '--json'], offline);
    expect((JSON.parse(list.stdout) as Array<{ next: { start: string } }>)[0]!.next.start).toBe(occurrence(2).toUTC().toISO());

    // The schedule's first run is the notice (1 h ahead) of the first occurrence not blacked out.
    const launch = occurrence(2).minus({ hours: 1 }).toUTC();
    const dry = await runMaint(['apply', '-f', file, '--dry-run'], cliEnv);
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(new RegExp(`\\+ +window-${WINDOW} +create +next run ${launch.toFormat("yyyy-LL-dd'T'HH:mm:ss'Z'")} for the window of ${occurrence(2).toISO({ suppressMilliseconds: true })!.replace('+', '\\+')} `));
    const applied = await runMaint(['apply', '-f', file], cliEnv);
    expect(applied.code).toBe(0);
    const described = await env.client.schedule.getHandle(`window-${WINDOW}`).describe();
    const calendars = (described.spec as { calendars?: Array<{ year: unknown; month: unknown; dayOfMonth: unknown; hour: unknown; comment?: string }> }).calendars ?? [];
    expect(calendars[0]?.comment).toBe(occurrence(2).toISO({ suppressMilliseconds: true }));
    expect(calendars.map((c) => c.comment)).not.toContain(occurrence(0).toISO({ suppressMilliseconds: true }));
    expect(calendars.map((c) => c.comment)).not.toContain(occurrence(1).toISO({ suppressMilliseconds: true }));

    // What is applied carries the calendar's blackouts: `next` without files shows them too.
    const fromTemporal = await runMaint(['windows', 'next', WINDOW, '--count', '3', '--json'], cliEnv);
    expect((JSON.parse(fromTemporal.stdout) as Array<{ blackout?: { reason: string } }>).map((o) => o.blackout?.reason)).toEqual(['Company holiday', 'Data centre move', undefined]);
  });

  it('a broken or missing calendar is an error naming the organisation file, the path in it and the calendar; nothing is applied', async () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['not-ics.ics', 'Holidays\n2026-12-24 Christmas Eve\n', /calendars\/not-ics\.ics: not an iCalendar file: expected BEGIN:VCALENDAR/],
      ['no-start.ics', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n', /calendars\/no-start\.ics: event "Freeze" has no valid DTSTART/],
      ['bad-rule.ics', `BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:y\r\nDTSTART:${icsUtc(first)}\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:Freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`, /calendars\/bad-rule\.ics: cannot read the iCalendar file: .*SOMETIMES/],
      ['missing.ics', undefined, new RegExp(`calendars/missing\\.ics: cannot read ${join(dir, 'calendars', 'missing.ics')} \\(ENOENT\\)`)],
    ];
    for (const [name, content, message] of cases) {
      if (content !== undefined) writeFileSync(join(dir, 'calendars', name), content);
      const broken = join(dir, `broken-${name}.yaml`);
      writeFileSync(broken, org(`calendars/${name}`).replace(`name: ${WINDOW}`, `name: ${WINDOW}-x`));
      for (const args of [['windows', 'next', '-f', broken], ['apply', '-f', broken]]) {
        const result = await runMaint(args, cliEnv);
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`${broken} is invalid (1 problem):\n  ${broken}: windows[0].blackoutCalendars[0]: calendars/${name}: `);
        expect(result.stderr).toMatch(message);
      }
    }
    await expect(env.client.schedule.getHandle(`window-${WINDOW}-x`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});
