import { dailyAvailability, formatPercent, HOUR_MS } from '../../policies/availability/daily';
import { humanTime, renderStatusPage } from '../../web/statusPage';
import { buckets, MAINTENANCE, NOW, pageInput, service } from '../helpers/statusPageFixture';

/** The text a person reads: tags dropped, entities decoded, white space folded. */
function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/[\s\u2009\u202f]+/g, ' ');
}

/** ICU puts thin spaces around the dash of a range: compared as plain spaces. */
const plain = (s: string) => s.replace(/[\u2009\u202f]/g, ' ');

describe('status page rendering', () => {
  it('in English: organisation, human dates in the organisation zone with datetime attributes, status words and the contact', () => {
    const html = renderStatusPage(pageInput());
    expect(html).toMatch(/^<!doctype html>\n<html lang="en" data-locale="en-GB" data-tz="Europe\/Amsterdam">/);
    expect(html).toContain('<title>Smith &amp; Daughters — Status and maintenance</title>');
    const text = visibleText(html);
    expect(text).toContain('Maintenance in progress: API');
    expect(text).toContain('Web shop & tills ✓ Operational');
    expect(text).toContain('Email – Not monitored');
    expect(text).toContain('API ⚙ Under maintenance');
    expect(plain(html)).toContain('<time datetime="2026-12-05T21:00:00.000Z" data-when="range" data-end="2026-12-05T23:00:00.000Z">Saturday 5 December at 22:00 CET – Sunday 6 December at 00:00 CET</time>');
    expect(text).toContain('What changes for you The tills may be slow for a moment <really>.');
    // Past maintenance with the real end: the rolled-back run finished at 22:47, not at its planned 00:00.
    expect(text).toContain('Email ↺ Rolled back When Tuesday 10 November at 22:00 CET – Wednesday 11 November at 00:00 CET Finished Tuesday 10 November at 22:47 CET');
    expect(text).toContain('Web shop & tills ✓ Completed');
    expect(text).toContain('Questions? support@smith.example · +31 20 123 4567');
    expect(html).toContain('<a href="tel:+31201234567">');
    expect(html).toContain('<a href="mailto:support@smith.example?subject=Please%20send%20me%20maintenance%20notices">E-mail notices</a>');
    expect(html).toContain('<a href="maintenance.ics?lang=en">Calendar (iCal)</a>');
    expect(html).toContain('<a href="maintenance.atom?lang=en">Feed (Atom)</a>');
    expect(text).toContain('Times in Europe/Amsterdam.');
    // Without ?tz= the browser's own zone takes over: the script carries the same formatter.
    expect(html).toContain('<script>(function(){var humanTime=function humanTime(kind, start, end, locale, timeZone, nowMs)');
  });

  it('in Dutch: lang, words and dates in Dutch', () => {
    const html = renderStatusPage(pageInput({ lang: 'nl' }));
    expect(html).toContain('<html lang="nl" data-locale="nl-NL"');
    const text = visibleText(html);
    expect(text).toContain('Status en onderhoud');
    expect(text).toContain('Er wordt nu onderhoud uitgevoerd: API');
    expect(text).toContain('Webwinkel & kassa ✓ Werkt normaal');
    expect(text).toContain('E-mail – Niet bewaakt');
    expect(text).toContain('Gepland Wanneer zaterdag 5 december om 22:00 CET – zondag 6 december om 00:00 CET');
    expect(text).toContain("Wat u merkt De kassa's kunnen even traag zijn <echt>.");
    expect(text).toContain('Teruggedraaid Wanneer dinsdag 10 november om 22:00 CET – woensdag 11 november om 00:00 CET Klaar dinsdag 10 november om 22:47 CET');
    expect(text).toContain('Vragen? support@smith.example');
    expect(html).toContain('<a href="?lang=en" hreflang="en" lang="en">English</a>');
  });

  it('in the zone of ?tz=: converted, said so, and left alone by the script (there is none)', () => {
    const html = renderStatusPage(pageInput({ timezone: 'America/New_York', timezoneChosen: true }));
    expect(plain(html)).toContain('Saturday 5 December, 16:00–18:00 GMT-5');
    expect(visibleText(html)).toContain('Times in America/New_York.');
    expect(html).not.toContain('<script>');
    // Links keep the reader's zone and language.
    expect(html).toContain('<a href="?lang=nl&amp;tz=America%2FNew_York" hreflang="nl" lang="nl">Nederlands</a>');
  });

  it('names each end\'s zone across a clock change, where one zone name for both would be an hour off', () => {
    const [start, end] = ['2027-03-27T23:30:00.000Z', '2027-03-28T02:30:00.000Z']; // 00:30 CET to 04:30 CEST: three hours
    const now = Date.parse('2027-03-20T12:00:00Z');
    expect(plain(humanTime('range', start, end, 'nl-NL', 'Europe/Amsterdam', now))).toBe('zondag 28 maart om 00:30 CET – 04:30 CEST');
    expect(plain(humanTime('range', start, end, 'en-GB', 'Europe/London', now))).toBe('Saturday 27 March at 23:30 GMT – Sunday 28 March at 03:30 BST');
    expect(plain(humanTime('range', start, end, 'en-GB', 'America/New_York', now))).toBe('Saturday 27 March, 19:30–22:30 GMT-4');
    expect(plain(humanTime('range', start, end, 'nl-NL', 'Europe/Amsterdam', Date.parse('2026-12-02T00:00:00Z')))).toBe('zondag 28 maart 2027 om 00:30 CET – 04:30 CEST');
    const page = visibleText(renderStatusPage(pageInput({ lang: 'nl', now, asOf: now, maintenance: MAINTENANCE.filter((m) => m.window === 'api-once') })));
    expect(page).toContain('Wanneer zondag 28 maart om 00:30 CET – 04:30 CEST');
  });

  it('lists at most the next 60 days and 3 occurrences per window; past maintenance for 90 days', () => {
    const text = visibleText(renderStatusPage(pageInput()));
    expect(text.match(/◷ Scheduled/g)).toHaveLength(3); // web-weekly has four in December; api-once is in March
    expect(text).toContain('Saturday 19 December');
    expect(text).not.toContain('Saturday 26 December');
    expect(text).not.toContain('March');
    const old = { ...MAINTENANCE[0]!, start: '2026-08-01T21:00:00.000Z', end: '2026-08-01T23:00:00.000Z' };
    expect(visibleText(renderStatusPage(pageInput({ maintenance: [old] })))).toContain('No maintenance in the last 90 days.');
    expect(visibleText(renderStatusPage(pageInput({ maintenance: [] })))).toContain('No maintenance planned in the next 60 days.');
  });

  it('draws 90 days of uptime per monitored service, each day labelled with its figure, not only coloured', () => {
    const html = renderStatusPage(pageInput());
    const bars = html.match(/<ol class="bar" aria-label="Uptime per day, last 90 days">[\s\S]*?<\/ol>/g) ?? [];
    expect(bars).toHaveLength(2); // the unmonitored one has none
    bars.reverse(); // sorted by title: API, Web shop
    expect(bars[0]!.match(/<li /g)).toHaveLength(90);
    // Three days ago 90 of 2,880 rounds failed: 96.87% (never rounded up).
    expect(bars[0]).toContain('<li class="d d-partial" title="29 Nov 2026: 96.87% available (2880 checks)"><span class="vh">29 Nov 2026: 96.87% available (2880 checks)</span></li>');
    expect(bars[0]).toContain('title="22 Nov 2026: 100% available (2880 checks, 40 slow)"');
    // The API has 40 days of history: the days before say "no data", not 100%.
    expect(bars[1]).toContain('<li class="d d-none" title="4 Sept 2026: no data">');
    expect(visibleText(html)).toContain('99.96% uptime over the last 90 days');
    expect(visibleText(html)).toMatch(/99\.99% uptime over the 41 days measured/);
    const nl = renderStatusPage(pageInput({ lang: 'nl' }));
    expect(nl).toContain('title="29 nov 2026: 96,87% beschikbaar (2880 metingen)"');
    expect(visibleText(nl)).toContain('99,96% beschikbaar in de afgelopen 90 dagen');
  });

  it('says what it knows of each state: down leads the banner, an old check is no check, an unreadable store is said', () => {
    const down = service('webshop', { nl: 'Webwinkel', en: 'Web shop' }, { state: 'down', history: buckets(2) });
    const stale = service('api', { nl: 'API', en: 'API' }, { state: 'up', stale: true });
    const text = visibleText(renderStatusPage(pageInput({ services: [down, stale], maintenance: [] })));
    expect(text).toContain('✕ Some services are unavailable');
    expect(text).toContain('Web shop ✕ Unavailable');
    expect(text).toContain('API ? No recent check');
    const allUp = visibleText(renderStatusPage(pageInput({ services: [service('api', { nl: 'API', en: 'API' }, {})], maintenance: [] })));
    expect(allUp).toContain('✓ All monitored services are operational');
    const noStore = visibleText(renderStatusPage(pageInput({ servicesUnavailable: 'no such table: probe_trackers', services: [{ name: 'api', title: { nl: 'API', en: 'API' }, monitored: true, state: 'unknown', days: [] }], maintenance: [] })));
    expect(noStore).toContain('The state of the services cannot be read right now');
    expect(noStore).not.toContain('no such table');
  });

  it('escapes everything that comes from the files', () => {
    const evil = '<script>alert("x")</script>';
    const html = renderStatusPage(pageInput({
      organisation: { name: `Evil ${evil}`, contact: { email: 'a"b@example.com' } },
      maintenance: [{ ...MAINTENANCE[3]!, id: 'w/"><img src=x>', title: { nl: evil, en: evil }, impact: { nl: evil, en: evil }, reason: `${evil} & more` }],
      services: [service('x', { nl: evil, en: evil }, {})],
    }));
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('href="mailto:a&quot;b@example.com');
    expect(html.match(/<script>/g)).toHaveLength(1); // the page's own
  });

  it('one service only (?service=): its maintenance and status, a way back to all', () => {
    const html = renderStatusPage(pageInput({ service: 'api', maintenance: MAINTENANCE.filter((m) => m.services.some((s) => s.name === 'api')) }));
    const text = visibleText(html);
    expect(text).not.toContain('Web shop');
    expect(text).toContain('API ⚙ Under maintenance');
    expect(html).toContain('<a href="services/api/maintenance.ics?lang=en">');
    expect(html).toContain('<a href="?lang=en">All services</a>');
  });
});

describe('daily availability', () => {
  it('counts rounds per calendar day in the zone, a 23-hour day across the clock change included; no rounds is no figure', () => {
    const now = Date.parse('2027-03-29T12:00:00Z');
    const hours: Array<{ hour: number; rounds: number; down: number; degraded: number }> = [];
    // Sunday 28 March 2027 in Amsterdam: 23 hours, from 27 Mar 23:00Z to 28 Mar 22:00Z.
    for (let h = Date.parse('2027-03-27T23:00:00Z'); h < Date.parse('2027-03-28T22:00:00Z'); h += HOUR_MS) hours.push({ hour: h, rounds: 10, down: h === Date.parse('2027-03-28T01:00:00Z') ? 10 : 0, degraded: 0 });
    const days = dailyAvailability(hours, { now, days: 3, timezone: 'Europe/Amsterdam' });
    expect(days.map((d) => [d.day, d.rounds, d.downRounds])).toEqual([['2027-03-27', 0, 0], ['2027-03-28', 230, 10], ['2027-03-29', 0, 0]]);
    expect(days[1]!.end - days[1]!.start).toBe(23 * HOUR_MS);
    expect(days[1]!.availabilityPercent).toBeCloseTo(95.652, 3);
    expect(days[0]!.availabilityPercent).toBeNull();
    expect(days[2]!.end).toBe(now);
  });

  it('starts the range on the right day and refuses a bad number of days', () => {
    const days = dailyAvailability(buckets(90), { now: NOW, days: 90, timezone: 'Europe/Amsterdam' });
    expect(days).toHaveLength(90);
    expect(days.at(-1)!.day).toBe('2026-12-02');
    expect(days[0]!.day).toBe('2026-09-04');
    expect(() => dailyAvailability([], { now: NOW, days: 0, timezone: 'UTC' })).toThrow('days must be a whole number above 0, got 0');
  });

  it('never shows a shortfall as 100%', () => {
    expect(formatPercent(99.996, 'en-GB')).toBe('99.99%');
    expect(formatPercent(100, 'nl-NL')).toBe('100%');
    expect(formatPercent(87.5, 'nl-NL')).toBe('87,5%');
  });
});
