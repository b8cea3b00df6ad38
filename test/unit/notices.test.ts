import { renderNotice, type NoticeContext } from '../../policies/notices/render';
import type { WindowStatus } from '../../policies/windows/types';
import { atomFeed, icsFeed, publicMaintenance } from '../../web/feeds';

const base: NoticeContext = {
  kind: 'scheduled',
  language: 'nl',
  timezone: 'Europe/Amsterdam',
  recipientName: 'Bakkerij Jansen',
  organisation: { name: 'Acme Hosting', contact: { email: 'support@acme.example', phone: '+31 20 123 4567' }, statusPage: 'https://status.acme.example' },
  // 22:00 – 02:00 Amsterdam on the night the clocks go back is five real hours (22:00 CEST → 02:00 CET).
  window: { title: { nl: 'Webwinkel', en: 'Web shop' }, services: [{ nl: 'Webwinkel', en: 'Web shop' }, { nl: 'API', en: 'API' }], start: '2026-10-24T20:00:00.000Z', end: '2026-10-25T01:00:00.000Z' },
};

describe('customer notices', () => {
  it('tells a Dutch customer what, when in their timezone, the impact and whom to ask', () => {
    const n = renderNotice(base);
    expect(n.subject).toBe('Gepland onderhoud: Webwinkel op 24 oktober 2026');
    expect(n.text).toBe(
      [
        'Beste Bakkerij Jansen,',
        '',
        'Wij voeren gepland onderhoud uit aan Webwinkel en API.',
        '',
        'Wanneer: zaterdag 24 oktober 2026, 22:00 – zondag 25 oktober 2026, 02:00 CET',
        'Verwachte impact: Wij werken server voor server en controleren elke stap; wij verwachten daarom geen onderbreking. Een enkele keer kan een pagina even trager reageren.',
        '',
        'Wij laten u weten wanneer de werkzaamheden beginnen en wanneer ze klaar zijn. Volg het onderhoud op https://status.acme.example. Vragen? Neem contact met ons op via support@acme.example of +31 20 123 4567.',
        '',
        'Met vriendelijke groet,',
        'Acme Hosting',
        '',
      ].join('\n'),
    );
    expect(n.html).toContain('<html lang="nl">');
  });

  it('shows an English customer in New York their own time', () => {
    const n = renderNotice({ ...base, language: 'en', timezone: 'America/New_York', recipientName: 'Harbour Ltd', kind: 'reminder' });
    expect(n.subject).toBe('Reminder: maintenance of Web shop on 24 October 2026');
    expect(n.text).toContain('When: Saturday 24 October 2026, 16:00 – 21:00 GMT-4');
  });

  it.each([
    ['started', 'nl', 'Onderhoud gestart: Webwinkel', 'Wij verwachten uiterlijk zondag 25 oktober 2026, 02:00 CET klaar te zijn.'],
    ['completed', 'en', 'Maintenance completed: Web shop', 'was completed successfully at 02:12 CET'],
    ['rolled-back', 'nl', 'Onderhoud teruggedraaid: Webwinkel', 'automatisch de vorige versie teruggezet (klaar om 02:12 CET)'],
    ['extended', 'en', 'Maintenance extended: Web shop until Sunday 25 October 2026, 02:00 CET', 'Reason: database migration takes longer'],
    ['cancelled', 'nl', 'Onderhoud geannuleerd: Webwinkel op 24 oktober 2026', 'Reden: database migration takes longer'],
  ] as const)('%s (%s)', (kind, language, subject, sentence) => {
    const n = renderNotice({ ...base, kind, language, reason: 'database migration takes longer', finishedAt: '2026-10-25T01:12:00.000Z' });
    expect(n.subject).toBe(subject);
    expect(n.text).toContain(sentence);
  });

  it('a window cancelled after it started does not tell customers that nothing changes', () => {
    const before = renderNotice({ ...base, kind: 'cancelled', language: 'en', reason: 'supplier problem' });
    expect(before.text).toContain('has been cancelled. Nothing changes for you.');
    const en = renderNotice({ ...base, kind: 'cancelled', language: 'en', reason: 'supplier problem', stoppedEarly: true, finishedAt: '2026-10-24T21:40:00.000Z' });
    expect(en.subject).toBe('Maintenance cancelled: Web shop on 24 October 2026');
    expect(en.text).toContain('We stopped the maintenance on Web shop and API early, at 23:40 CEST; the rest of it has been cancelled. Everything done until then was checked');
    expect(en.text).not.toContain('Nothing changes for you');
    expect(en.text).toContain('Reason: supplier problem');
    const nl = renderNotice({ ...base, kind: 'cancelled', language: 'nl', stoppedEarly: true, finishedAt: '2026-10-24T21:40:00.000Z' });
    expect(nl.text).toContain('Wij hebben het onderhoud aan Webwinkel en API om 23:40 CEST vroegtijdig beëindigd');
    expect(nl.text).not.toContain('Voor u verandert er niets');
  });

  it('says which work was postponed past the cutoff', () => {
    const n = renderNotice({ ...base, kind: 'completed', language: 'en', postponed: ['db-patch'] });
    expect(n.text).toContain('Part of the work (db-patch) could not start before the end of the maintenance window; it has been postponed to a next window');
  });

  it('escapes customer-provided text in HTML', () => {
    const n = renderNotice({ ...base, recipientName: '<script>alert(1)</script>' });
    expect(n.html).toContain('Beste &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(n.html).not.toContain('<script>');
  });
});

describe('public feeds', () => {
  const plan = {
    name: 'web', title: { nl: 'Webwinkel', en: 'Web shop' }, services: [{ name: 'webshop', title: { nl: 'Webwinkel', en: 'Web shop' } }],
    timing: { timezone: 'Europe/Amsterdam', recurrence: { kind: 'weekly' as const, days: ['tue' as const], at: '22:00', offsetDays: 0 }, durationMs: 3_600_000, cutoffMs: 0, blackouts: [{ date: '2026-12-01', reason: 'Sinterklaas' }] },
  };
  const run: WindowStatus = {
    window: 'web', title: plan.title, services: plan.services,
    occurrence: { start: '2026-11-24T21:00:00.000Z', end: '2026-11-24T22:00:00.000Z', cutoff: '2026-11-24T22:00:00.000Z', localStart: '2026-11-24T22:00:00+01:00', localEnd: '2026-11-24T23:00:00+01:00' },
    end: '2026-11-24T22:00:00.000Z', phase: 'cancelled', reason: 'payment provider freeze',
    tasks: [{ name: 'web-patch', state: 'cancelled', rolloutId: 'web-20261124t2100z-1', message: 'host-7.internal unreachable' }],
    notices: [{ kind: 'cancelled', sentAt: '2026-11-24T10:00:00.000Z', delivered: 2, failed: 0 }],
    preflight: { at: '2026-11-23T21:00:00.000Z', ok: false, problems: ['host-7.internal: not reachable'] },
  };

  it('lists upcoming occurrences (not blacked-out ones) merged with runs, and never a host', () => {
    const items = publicMaintenance([plan as never], [run], new Date('2026-11-24T09:00:00Z'));
    expect(items.slice(0, 3).map((m) => [m.start, m.status])).toEqual([
      ['2026-11-24T21:00:00.000Z', 'cancelled'],
      ['2026-12-08T21:00:00.000Z', 'scheduled'], // 1 December is blacked out
      ['2026-12-15T21:00:00.000Z', 'scheduled'],
    ]);
    expect(items[0]!.reason).toBe('payment provider freeze');
    const all = JSON.stringify(items) + icsFeed(items, { organisation: 'Acme', lang: 'en' }) + atomFeed(items, { organisation: 'Acme', lang: 'en', url: 'https://status.acme.example/' });
    for (const leak of ['host-7', 'web-patch', 'web-20261124t2100z-1', 'unreachable']) expect(all).not.toContain(leak);
  });

  it('keeps a cancelled maintenance in the calendar as CANCELLED so subscribed calendars update', () => {
    const ics = icsFeed(publicMaintenance([plan as never], [run], new Date('2026-11-24T09:00:00Z')), { organisation: 'Acme', lang: 'nl' });
    const first = ics.split('BEGIN:VEVENT')[1]!;
    expect(first).toContain('STATUS:CANCELLED');
    expect(first).toContain('SUMMARY:Geannuleerd: Webwinkel');
    expect(first).toContain('DTSTART:20261124T210000Z');
  });
});

describe('what the patch baselines will install, in scheduled notices (notices.describeUpdates)', () => {
  it('names the packages in the reader\'s language, security first; only scheduled and reminder notices say it', () => {
    const updates = { security: ['nginx', 'openssl'], other: [] };
    expect(renderNotice({ ...base, kind: 'scheduled', language: 'en', updates }).text).toContain('We will install security updates for nginx and openssl.');
    expect(renderNotice({ ...base, kind: 'reminder', language: 'nl', updates }).text).toContain('Wij installeren beveiligingsupdates voor nginx en openssl.');
    const both = { security: ['openssl'], other: ['curl', 'vim', 'zlib1g'] };
    expect(renderNotice({ ...base, kind: 'scheduled', language: 'en', updates: both }).text).toContain('We will install security updates for openssl, and other updates for curl, vim and zlib1g.');
    expect(renderNotice({ ...base, kind: 'scheduled', language: 'nl', updates: both }).html).toContain('<p>Wij installeren beveiligingsupdates voor openssl, en andere updates voor curl, vim en zlib1g.</p>');
    expect(renderNotice({ ...base, kind: 'completed', language: 'en', updates }).text).not.toContain('openssl');
    // Off (no updates given) or nothing to name: the notice is as before.
    expect(renderNotice({ ...base, kind: 'scheduled', language: 'en', updates: { security: [], other: [] } })).toEqual(renderNotice({ ...base, kind: 'scheduled', language: 'en' }));
  });
});
