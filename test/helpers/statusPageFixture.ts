// A status page's input as a customer would find it: two monitored services (one with a bad day),
// one not monitored, maintenance in progress, upcoming and past. Shared by the unit test and by
// whoever wants to look at the page without a Temporal server.
import { dailyAvailability, HOUR_MS, type ProbeRoundBucket } from '../../policies/availability/daily';
import type { PublicServiceStatus } from '../../control/statusPage';
import type { PublicMaintenance } from '../../web/feeds';
import type { StatusPageInput } from '../../web/statusPage';

export const NOW = Date.parse('2026-12-02T09:00:00Z');

/** Hourly buckets of 120 rounds for the last `days` days, with `down` rounds on the days given (days ago). */
export function buckets(days: number, badDays: Record<number, { down?: number; degraded?: number }> = {}): ProbeRoundBucket[] {
  const out: ProbeRoundBucket[] = [];
  const first = Math.floor(NOW / HOUR_MS) * HOUR_MS - days * 24 * HOUR_MS;
  for (let h = first; h < NOW; h += HOUR_MS) {
    const ago = Math.floor((NOW - h) / (24 * HOUR_MS));
    const bad = badDays[ago];
    const firstOfDay = (NOW - h) % (24 * HOUR_MS) < HOUR_MS;
    out.push({ hour: h, rounds: 120, down: firstOfDay ? bad?.down ?? 0 : 0, degraded: firstOfDay ? bad?.degraded ?? 0 : 0 });
  }
  return out;
}

export function service(name: string, title: { nl: string; en: string }, state: Partial<PublicServiceStatus> & { history?: ProbeRoundBucket[] }): PublicServiceStatus {
  const { history, ...rest } = state;
  return {
    name, title, monitored: true, state: 'up', checkedAt: new Date(NOW - 20_000).toISOString(),
    days: history ? dailyAvailability(history, { now: NOW, days: 90, timezone: 'Europe/Amsterdam' }) : [],
    ...rest,
  };
}

const shop = { name: 'webshop', title: { nl: 'Webwinkel & kassa', en: 'Web shop & tills' } };
const api = { name: 'api', title: { nl: 'API', en: 'API' } };
const mail = { name: 'mail', title: { nl: 'E-mail', en: 'Email' } };

export const MAINTENANCE: PublicMaintenance[] = [
  { id: 'mail-monthly/2026-11-10T21:00:00.000Z', window: 'mail-monthly', title: mail.title, services: [mail], start: '2026-11-10T21:00:00.000Z', end: '2026-11-10T23:00:00.000Z', status: 'rolled-back', finishedAt: '2026-11-10T21:47:12.000Z', updated: '2026-11-10T21:47:12.000Z', impact: { nl: 'E-mail kan tot een kwartier vertraagd aankomen.', en: 'Email may arrive up to 15 minutes late.' } },
  { id: 'web-monthly/2026-11-24T21:00:00.000Z', window: 'web-monthly', title: shop.title, services: [shop], start: '2026-11-24T21:00:00.000Z', end: '2026-11-24T23:00:00.000Z', status: 'completed', finishedAt: '2026-11-24T21:38:40.000Z', updated: '2026-11-24T21:38:40.000Z' },
  { id: 'api-weekly/2026-12-02T08:30:00.000Z', window: 'api-weekly', title: api.title, services: [api], start: '2026-12-02T08:30:00.000Z', end: '2026-12-02T10:30:00.000Z', status: 'in-progress', updated: '2026-12-02T08:30:00.000Z', impact: { nl: 'De API antwoordt af en toe trager.', en: 'The API may answer more slowly at times.' } },
  // Across the end of daylight saving time in the US (1 Nov) is long past; the next one in Europe is 28 March 2027.
  ...[5, 12, 19, 26].map((d): PublicMaintenance => ({ id: `web-weekly/2026-12-${String(d).padStart(2, '0')}T21:00:00.000Z`, window: 'web-weekly', title: shop.title, services: [shop], start: `2026-12-${String(d).padStart(2, '0')}T21:00:00.000Z`, end: `2026-12-${String(d).padStart(2, '0')}T23:00:00.000Z`, status: 'scheduled', updated: new Date(NOW).toISOString(), impact: { nl: "De kassa's kunnen even traag zijn <echt>.", en: 'The tills may be slow for a moment <really>.' } })),
  { id: 'api-weekly/2027-03-27T23:30:00.000Z', window: 'api-once', title: api.title, services: [api], start: '2027-03-27T23:30:00.000Z', end: '2027-03-28T02:30:00.000Z', status: 'scheduled', updated: new Date(NOW).toISOString() },
];

export function pageInput(overrides: Partial<StatusPageInput> = {}): StatusPageInput {
  return {
    organisation: { name: 'Smith & Daughters', contact: { email: 'support@smith.example', phone: '+31 20 123 4567' } },
    maintenance: MAINTENANCE,
    services: [
      service('webshop', shop.title, { history: buckets(90, { 3: { down: 90 }, 10: { degraded: 40 } }) }),
      service('api', api.title, { history: buckets(40, { 1: { down: 6 } }) }),
      { name: 'mail', title: mail.title, monitored: false, state: 'unknown', days: [] },
    ],
    asOf: NOW - 1_000,
    now: NOW,
    lang: 'en',
    timezone: 'Europe/Amsterdam',
    timezoneChosen: false,
    ...overrides,
  };
}
