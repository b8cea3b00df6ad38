import { DateTime } from 'luxon';
import type { Language, LocalizedText } from '../organisation/schema';

/** The customer notice lifecycle, as Statuspage has it for scheduled maintenance. */
export const NOTICE_KINDS = ['scheduled', 'reminder', 'started', 'completed', 'rolled-back', 'extended', 'cancelled'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface NoticeContext {
  kind: NoticeKind;
  language: Language;
  /** The reader's timezone: every time in the notice is shown in it. */
  timezone: string;
  recipientName: string;
  organisation: { name: string; contact: { email: string; phone?: string }; statusPage?: string };
  window: {
    title: LocalizedText;
    services: LocalizedText[];
    /** ISO instants. `end` is the current planned end (after an extension, the new one). */
    start: string;
    end: string;
  };
  impact?: LocalizedText;
  /** Why it was extended or cancelled. */
  reason?: string;
  /** Tasks that could not start before the cutoff (completed notices say so). */
  postponed?: string[];
  /** Routine tasks postponed to protect this month's availability (an error budget is spent). */
  deferred?: string[];
  /** When the work ended (completed / rolled back / stopped early). */
  finishedAt?: string;
  /** Cancelled after the work had begun: the notice says what was done stays, not that nothing changes. */
  stoppedEarly?: boolean;
  /**
   * What the window's patch baselines will install, by package name (scheduled and reminder
   * notices, only when the window's `notices.describeUpdates` is on).
   */
  updates?: { security: string[]; other: string[] };
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

const DEFAULT_IMPACT: LocalizedText = {
  en: 'We work host by host and check every step, so we expect no interruption. In rare cases a page may respond slowly for a moment.',
  nl: 'Wij werken server voor server en controleren elke stap; wij verwachten daarom geen onderbreking. Een enkele keer kan een pagina even trager reageren.',
};

interface Phrases {
  greeting(name: string): string;
  subject: Record<NoticeKind, (title: string, when: string, newEnd: string) => string>;
  lead: Record<NoticeKind, (services: string, when: string, end: string, finished: string) => string>;
  when: string;
  impact: string;
  reason: string;
  postponed(tasks: string): string;
  deferred(tasks: string): string;
  /** "We will install security updates for openssl and nginx, and other updates for vim." */
  updates(security: string, other: string): string;
  /** The lead of a "cancelled" notice sent after the work had begun. */
  stoppedEarly(services: string, finished: string): string;
  followUp: Partial<Record<NoticeKind, string>>;
  contact(email: string, phone?: string): string;
  statusPage(url: string): string;
  closing: string;
  locale: string;
  and: string;
}

const PHRASES: Record<Language, Phrases> = {
  en: {
    greeting: (name) => `Dear ${name},`,
    subject: {
      scheduled: (t, w) => `Scheduled maintenance: ${t} on ${w}`,
      reminder: (t, w) => `Reminder: maintenance of ${t} on ${w}`,
      started: (t) => `Maintenance started: ${t}`,
      completed: (t) => `Maintenance completed: ${t}`,
      'rolled-back': (t) => `Maintenance rolled back: ${t}`,
      extended: (t, _w, e) => `Maintenance extended: ${t} until ${e}`,
      cancelled: (t, w) => `Maintenance cancelled: ${t} on ${w}`,
    },
    lead: {
      scheduled: (s) => `We will carry out scheduled maintenance on ${s}.`,
      reminder: (s) => `This is a reminder of the scheduled maintenance on ${s}.`,
      started: (s, _w, e) => `The maintenance on ${s} has started. We expect to finish by ${e}.`,
      completed: (s, _w, _e, f) => `The maintenance on ${s} was completed successfully at ${f}.`,
      'rolled-back': (s, _w, _e, f) =>
        `During the maintenance on ${s} one of our checks found a problem, so we automatically restored the previous version (finished at ${f}). Your service works as it did before. We will plan the update again and let you know in advance.`,
      extended: (s, _w, e) => `The maintenance on ${s} takes longer than planned. We now expect to finish by ${e}.`,
      cancelled: (s, w) => `The maintenance on ${s} planned for ${w} has been cancelled. Nothing changes for you.`,
    },
    when: 'When',
    impact: 'Expected impact',
    reason: 'Reason',
    postponed: (t) => `Part of the work (${t}) could not start before the end of the maintenance window; it has been postponed to a next window, which we will announce as usual.`,
    updates: (sec, other) => `We will install ${[sec && `security updates for ${sec}`, other && `other updates for ${other}`].filter(Boolean).join(', and ')}.`,
    deferred: (t) => `Routine work (${t}) has been postponed to protect the availability we promise you this month; we will announce its new date as usual. Security updates were not postponed.`,
    stoppedEarly: (s, f) => `We stopped the maintenance on ${s} early, at ${f}; the rest of it has been cancelled. Everything done until then was checked, and your service works normally. We will plan the remaining work again and let you know in advance.`,
    followUp: {
      scheduled: 'We will let you know when the work starts and when it is finished.',
      reminder: 'We will let you know when the work starts and when it is finished.',
      started: 'We will let you know as soon as it is finished.',
    },
    contact: (e, p) => `Questions? Contact us at ${e}${p ? ` or ${p}` : ''}.`,
    statusPage: (u) => `Follow the maintenance at ${u}.`,
    closing: 'Kind regards,',
    locale: 'en-GB',
    and: 'and',
  },
  nl: {
    greeting: (name) => `Beste ${name},`,
    subject: {
      scheduled: (t, w) => `Gepland onderhoud: ${t} op ${w}`,
      reminder: (t, w) => `Herinnering: onderhoud aan ${t} op ${w}`,
      started: (t) => `Onderhoud gestart: ${t}`,
      completed: (t) => `Onderhoud afgerond: ${t}`,
      'rolled-back': (t) => `Onderhoud teruggedraaid: ${t}`,
      extended: (t, _w, e) => `Onderhoud verlengd: ${t} tot ${e}`,
      cancelled: (t, w) => `Onderhoud geannuleerd: ${t} op ${w}`,
    },
    lead: {
      scheduled: (s) => `Wij voeren gepland onderhoud uit aan ${s}.`,
      reminder: (s) => `Dit is een herinnering aan het geplande onderhoud aan ${s}.`,
      started: (s, _w, e) => `Het onderhoud aan ${s} is begonnen. Wij verwachten uiterlijk ${e} klaar te zijn.`,
      completed: (s, _w, _e, f) => `Het onderhoud aan ${s} is om ${f} met succes afgerond.`,
      'rolled-back': (s, _w, _e, f) =>
        `Tijdens het onderhoud aan ${s} vond een van onze controles een probleem. Daarom hebben wij automatisch de vorige versie teruggezet (klaar om ${f}). Uw dienst werkt zoals voorheen. Wij plannen de update opnieuw en laten het u vooraf weten.`,
      extended: (s, _w, e) => `Het onderhoud aan ${s} duurt langer dan gepland. Wij verwachten nu uiterlijk ${e} klaar te zijn.`,
      cancelled: (s, w) => `Het geplande onderhoud aan ${s} op ${w} gaat niet door. Voor u verandert er niets.`,
    },
    when: 'Wanneer',
    impact: 'Verwachte impact',
    reason: 'Reden',
    postponed: (t) => `Een deel van de werkzaamheden (${t}) kon niet meer binnen het onderhoudsvenster beginnen; dit is uitgesteld naar een volgend venster, dat wij zoals gebruikelijk vooraf aankondigen.`,
    updates: (sec, other) => `Wij installeren ${[sec && `beveiligingsupdates voor ${sec}`, other && `andere updates voor ${other}`].filter(Boolean).join(', en ')}.`,
    deferred: (t) => `Routinematig onderhoud (${t}) is uitgesteld om de beschikbaarheid te beschermen die wij u deze maand beloven; de nieuwe datum kondigen wij zoals gebruikelijk aan. Beveiligingsupdates zijn niet uitgesteld.`,
    stoppedEarly: (s, f) => `Wij hebben het onderhoud aan ${s} om ${f} vroegtijdig beëindigd; de rest ervan gaat niet door. Alles wat tot dan is gedaan, is gecontroleerd en uw dienst werkt normaal. Het resterende werk plannen wij opnieuw en wij laten het u vooraf weten.`,
    followUp: {
      scheduled: 'Wij laten u weten wanneer de werkzaamheden beginnen en wanneer ze klaar zijn.',
      reminder: 'Wij laten u weten wanneer de werkzaamheden beginnen en wanneer ze klaar zijn.',
      started: 'Wij laten het u weten zodra het onderhoud klaar is.',
    },
    contact: (e, p) => `Vragen? Neem contact met ons op via ${e}${p ? ` of ${p}` : ''}.`,
    statusPage: (u) => `Volg het onderhoud op ${u}.`,
    closing: 'Met vriendelijke groet,',
    locale: 'nl',
    and: 'en',
  },
};

/** A time as the reader sees it: "dinsdag 24 november 2026, 22:00 CET". */
export function formatInstant(iso: string, timezone: string, language: Language, withDate = true): string {
  const t = DateTime.fromISO(iso, { zone: 'utc' }).setZone(timezone).setLocale(PHRASES[language].locale);
  return t.toFormat(withDate ? 'cccc d LLLL yyyy, HH:mm ZZZZ' : 'HH:mm ZZZZ');
}

/** "dinsdag 24 november 2026, 22:00 – 02:00 CET" (the end's date is written when it differs). */
export function formatPeriod(start: string, end: string, timezone: string, language: Language): string {
  const locale = PHRASES[language].locale;
  const s = DateTime.fromISO(start, { zone: 'utc' }).setZone(timezone).setLocale(locale);
  const e = DateTime.fromISO(end, { zone: 'utc' }).setZone(timezone).setLocale(locale);
  const sameDay = s.hasSame(e, 'day');
  return `${s.toFormat('cccc d LLLL yyyy, HH:mm')} – ${e.toFormat(sameDay ? 'HH:mm ZZZZ' : 'cccc d LLLL yyyy, HH:mm ZZZZ')}`;
}

function list(items: string[], and: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

/** Renders one notice as text and HTML in the reader's language and timezone. Pure: same input, same notice. */
export function renderNotice(ctx: NoticeContext): RenderedNotice {
  const p = PHRASES[ctx.language];
  const lang = ctx.language;
  const title = ctx.window.title[lang];
  const services = list(ctx.window.services.map((s) => s[lang]), p.and);
  const day = DateTime.fromISO(ctx.window.start, { zone: 'utc' }).setZone(ctx.timezone).setLocale(p.locale).toFormat('d LLLL yyyy');
  const period = formatPeriod(ctx.window.start, ctx.window.end, ctx.timezone, lang);
  const endAt = formatInstant(ctx.window.end, ctx.timezone, lang, !sameLocalDay(ctx.window.start, ctx.window.end, ctx.timezone));
  const finished = formatInstant(ctx.finishedAt ?? ctx.window.end, ctx.timezone, lang, false);

  const paragraphs: string[] = [ctx.kind === 'cancelled' && ctx.stoppedEarly ? p.stoppedEarly(services, finished) : p.lead[ctx.kind](services, period, endAt, finished)];
  const facts: Array<[string, string]> = [];
  if (ctx.kind === 'scheduled' || ctx.kind === 'reminder') {
    facts.push([p.when, period], [p.impact, (ctx.impact ?? DEFAULT_IMPACT)[lang]]);
  }
  const updates = ctx.updates;
  if ((ctx.kind === 'scheduled' || ctx.kind === 'reminder') && updates && updates.security.length + updates.other.length > 0) {
    paragraphs.push(p.updates(list(updates.security, p.and), list(updates.other, p.and)));
  }
  if ((ctx.kind === 'extended' || ctx.kind === 'cancelled') && ctx.reason) facts.push([p.reason, ctx.reason]);
  if (ctx.kind === 'completed' && ctx.postponed && ctx.postponed.length > 0) paragraphs.push(p.postponed(ctx.postponed.join(', ')));
  if (ctx.kind === 'completed' && ctx.deferred && ctx.deferred.length > 0) paragraphs.push(p.deferred(ctx.deferred.join(', ')));
  const followUp = p.followUp[ctx.kind];
  const tail = [followUp, ctx.organisation.statusPage ? p.statusPage(ctx.organisation.statusPage) : undefined, p.contact(ctx.organisation.contact.email, ctx.organisation.contact.phone)].filter(
    (x): x is string => x !== undefined,
  );

  const subject = p.subject[ctx.kind](title, day, endAt);
  const text = [
    p.greeting(ctx.recipientName),
    '',
    ...paragraphs.flatMap((x) => [x, '']),
    ...(facts.length > 0 ? [...facts.map(([k, v]) => `${k}: ${v}`), ''] : []),
    tail.join(' '),
    '',
    p.closing,
    ctx.organisation.name,
    '',
  ].join('\n');
  const html = [
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    `<p>${escapeHtml(p.greeting(ctx.recipientName))}</p>`,
    ...paragraphs.map((x) => `<p>${escapeHtml(x)}</p>`),
    facts.length > 0 ? `<table>${facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` : '',
    `<p>${escapeHtml(tail.join(' '))}</p>`,
    `<p>${escapeHtml(p.closing)}<br>${escapeHtml(ctx.organisation.name)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

function sameLocalDay(a: string, b: string, timezone: string): boolean {
  return DateTime.fromISO(a, { zone: 'utc' }).setZone(timezone).hasSame(DateTime.fromISO(b, { zone: 'utc' }).setZone(timezone), 'day');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
