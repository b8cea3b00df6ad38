/**
 * The public status page of `maint serve`, rendered on the server from a snapshot (pure: every
 * input is passed in). Per service its state and 90 days of uptime, maintenance in progress,
 * upcoming and past, subscribe links and the organisation's contact. Escaped by hono's `html`
 * template; one small inline script re-renders the times in the reader's own timezone when the
 * URL does not name one. No external assets: CSS inline, system fonts.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { formatPercent, type DayAvailability } from '../policies/availability/daily';
import type { Language } from '../policies/organisation/schema';
import type { OrganisationInfo } from '../policies/windows/types';
import type { PublicServiceStatus } from '../control/statusPage';
import { statusText, type PublicMaintenance } from './feeds';

/** How far ahead the page lists maintenance, and how many occurrences of one window at most (the iCal feed has them all). */
export const UPCOMING_HORIZON_DAYS = 60;
export const UPCOMING_PER_WINDOW = 3;
const HISTORY_MS = 90 * 86_400_000;

export const LOCALE: Record<Language, string> = { nl: 'nl-NL', en: 'en-GB' };

export interface StatusPageInput {
  organisation: OrganisationInfo;
  maintenance: PublicMaintenance[];
  services: PublicServiceStatus[];
  servicesUnavailable?: string;
  /** When the snapshot was read (epoch ms). */
  asOf: number;
  now: number;
  lang: Language;
  /** The zone times are shown in. */
  timezone: string;
  /** True when the reader chose it (`?tz=`): the page's script leaves the times alone. */
  timezoneChosen: boolean;
  /** Only this service's maintenance and status (`?service=`). */
  service?: string;
}

type Kind = 'range' | 'instant' | 'time';

/**
 * A time as people read it, in their language and zone: "zaterdag 5 december om 22:00 CET – zondag
 * 6 december om 00:00 CET", "Saturday 5 December, 16:00–18:00 GMT-5". Self-contained (no imports,
 * no closures): the page's script carries this very function to the browser. The year is shown
 * when it is not that of `nowMs`.
 */
export function humanTime(kind: string, start: string, end: string | null, locale: string, timeZone: string, nowMs: number): string {
  const s = new Date(start);
  const yearOf = (d: Date) => new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(d);
  const day = { weekday: 'long', day: 'numeric', month: 'long', ...(yearOf(s) === yearOf(new Date(nowMs)) ? {} : { year: 'numeric' }) };
  const clock = { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' };
  const format = (options: object) => new Intl.DateTimeFormat(locale, { ...options, timeZone } as Intl.DateTimeFormatOptions);
  if (kind === 'range' && end) {
    const e = new Date(end);
    const offset = (d: Date) => new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value;
    // Across a clock change ICU's range names one zone for both ends ("00:30–04:30 CEST" for 3 hours): each end gets its own.
    if (offset(s) === offset(e)) return format({ ...day, ...clock }).formatRange(s, e);
    const sameDay = new Intl.DateTimeFormat('en', { timeZone, dateStyle: 'short' }).format(s) === new Intl.DateTimeFormat('en', { timeZone, dateStyle: 'short' }).format(e);
    return `${format({ ...day, ...clock }).format(s)}\u2009–\u2009${format(sameDay ? clock : { ...day, ...clock }).format(e)}`;
  }
  return format({ ...(kind === 'time' ? {} : day), ...clock }).format(s);
}

interface Words {
  heading: string;
  overall: { up: string; degraded: string; down: string; maintenance: string; unknown: string };
  state: Record<'up' | 'degraded' | 'down' | 'maintenance' | 'stale' | 'noData' | 'notMonitored', string>;
  services: string;
  checked: string;
  unavailable: string;
  uptimeOver: (percent: string, days: number) => string;
  noUptime: string;
  daysAgo: string;
  today: string;
  day: (date: string, percent: string | null, checks: number, degraded: number) => string;
  barLabel: string;
  inProgress: string;
  upcoming: string;
  noUpcoming: string;
  past: string;
  noPast: string;
  when: string;
  affects: string;
  impact: string;
  finished: string;
  plannedUntil: string;
  reason: string;
  subscribe: string;
  subscribeText: string;
  calendar: string;
  feed: string;
  email: string;
  emailSubject: string;
  json: string;
  contact: string;
  timesIn: (zone: string) => string;
  updated: string;
  otherLanguage: string;
  allServices: string;
}

const WORDS: Record<Language, Words> = {
  en: {
    heading: 'Status and maintenance',
    overall: { up: 'All monitored services are operational', degraded: 'Some services are slower than usual', down: 'Some services are unavailable', maintenance: 'Maintenance in progress', unknown: 'The state of our services is not measured right now' },
    state: { up: 'Operational', degraded: 'Degraded performance', down: 'Unavailable', maintenance: 'Under maintenance', stale: 'No recent check', noData: 'No checks yet', notMonitored: 'Not monitored' },
    services: 'Services',
    checked: 'checked',
    unavailable: 'The state of the services cannot be read right now; maintenance below is up to date.',
    uptimeOver: (p, days) => (days >= 90 ? `${p} uptime over the last 90 days` : `${p} uptime over the ${days} day${days === 1 ? '' : 's'} measured`),
    noUptime: 'No uptime measured yet',
    daysAgo: '90 days ago',
    today: 'Today',
    day: (date, p, checks, degraded) => (p === null ? `${date}: no data` : `${date}: ${p} available (${checks} checks${degraded > 0 ? `, ${degraded} slow` : ''})`),
    barLabel: 'Uptime per day, last 90 days',
    inProgress: 'In progress now',
    upcoming: 'Upcoming maintenance',
    noUpcoming: 'No maintenance planned in the next 60 days.',
    past: 'Past maintenance (90 days)',
    noPast: 'No maintenance in the last 90 days.',
    when: 'When',
    affects: 'Affects',
    impact: 'What changes for you',
    finished: 'Finished',
    plannedUntil: 'Planned until',
    reason: 'Reason',
    subscribe: 'Get notified',
    subscribeText: 'Add maintenance to your calendar, follow the feed, or ask us for e-mail notices.',
    calendar: 'Calendar (iCal)',
    feed: 'Feed (Atom)',
    email: 'E-mail notices',
    emailSubject: 'Please send me maintenance notices',
    json: 'JSON',
    contact: 'Questions?',
    timesIn: (zone) => `Times in ${zone}.`,
    updated: 'Updated',
    otherLanguage: 'Nederlands',
    allServices: 'All services',
  },
  nl: {
    heading: 'Status en onderhoud',
    overall: { up: 'Alle bewaakte diensten werken normaal', degraded: 'Sommige diensten zijn trager dan normaal', down: 'Sommige diensten zijn niet beschikbaar', maintenance: 'Er wordt nu onderhoud uitgevoerd', unknown: 'De staat van onze diensten wordt nu niet gemeten' },
    state: { up: 'Werkt normaal', degraded: 'Verminderde prestaties', down: 'Niet beschikbaar', maintenance: 'In onderhoud', stale: 'Geen recente meting', noData: 'Nog geen metingen', notMonitored: 'Niet bewaakt' },
    services: 'Diensten',
    checked: 'gemeten',
    unavailable: 'De staat van de diensten is nu niet te lezen; het onderhoud hieronder is actueel.',
    uptimeOver: (p, days) => (days >= 90 ? `${p} beschikbaar in de afgelopen 90 dagen` : `${p} beschikbaar over ${days === 1 ? 'de ene gemeten dag' : `de ${days} gemeten dagen`}`),
    noUptime: 'Nog geen beschikbaarheid gemeten',
    daysAgo: '90 dagen geleden',
    today: 'Vandaag',
    day: (date, p, checks, degraded) => (p === null ? `${date}: geen gegevens` : `${date}: ${p} beschikbaar (${checks} metingen${degraded > 0 ? `, ${degraded} traag` : ''})`),
    barLabel: 'Beschikbaarheid per dag, afgelopen 90 dagen',
    inProgress: 'Nu bezig',
    upcoming: 'Gepland onderhoud',
    noUpcoming: 'Geen onderhoud gepland in de komende 60 dagen.',
    past: 'Eerder onderhoud (90 dagen)',
    noPast: 'Geen onderhoud in de afgelopen 90 dagen.',
    when: 'Wanneer',
    affects: 'Betreft',
    impact: 'Wat u merkt',
    finished: 'Klaar',
    plannedUntil: 'Gepland tot',
    reason: 'Reden',
    subscribe: 'Op de hoogte blijven',
    subscribeText: 'Zet het onderhoud in uw agenda, volg de feed, of vraag ons om berichten per e-mail.',
    calendar: 'Agenda (iCal)',
    feed: 'Feed (Atom)',
    email: 'Berichten per e-mail',
    emailSubject: 'Graag ontvang ik berichten over onderhoud',
    json: 'JSON',
    contact: 'Vragen?',
    timesIn: (zone) => `Tijden in ${zone}.`,
    updated: 'Bijgewerkt',
    otherLanguage: 'English',
    allServices: 'Alle diensten',
  },
};

type Shown = 'up' | 'degraded' | 'down' | 'maintenance' | 'stale' | 'noData' | 'notMonitored';

function shownState(s: PublicServiceStatus, underMaintenance: boolean): Shown {
  if (!s.monitored) return underMaintenance ? 'maintenance' : 'notMonitored';
  if (s.state === 'down') return 'down';
  if (underMaintenance) return 'maintenance';
  if (s.stale) return 'stale';
  if (s.state === 'unknown') return 'noData';
  return s.state;
}

/** Text symbols beside the colours: the state reads the same in greyscale and to a screen reader. */
const SYMBOL: Record<Shown, string> = { up: '✓', degraded: '!', down: '✕', maintenance: '⚙', stale: '?', noData: '–', notMonitored: '–' };

/** The whole page. */
export function renderStatusPage(input: StatusPageInput): string {
  const w = WORDS[input.lang];
  const locale = LOCALE[input.lang];
  const query = (extra: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ lang: input.lang, ...(input.service ? { service: input.service } : {}), ...(input.timezoneChosen ? { tz: input.timezone } : {}), ...extra })) if (v !== undefined) p.set(k, v);
    const s = p.toString();
    return s ? `?${s}` : '';
  };
  const when = (kind: Kind, start: string, end?: string) =>
    html`<time datetime="${start}" data-when="${kind}"${end ? html` data-end="${end}"` : ''}>${humanTime(kind, start, end ?? null, locale, input.timezone, input.now)}</time>`;

  const now = input.now;
  const items = input.maintenance;
  const inProgress = items.filter((m) => m.status === 'in-progress');
  const perWindow = new Map<string, number>();
  const upcoming = items.filter((m) => {
    if (m.status !== 'scheduled' || Date.parse(m.start) > now + UPCOMING_HORIZON_DAYS * 86_400_000) return false;
    const n = (perWindow.get(m.window) ?? 0) + 1;
    perWindow.set(m.window, n);
    return n <= UPCOMING_PER_WINDOW;
  });
  const past = items
    .filter((m) => (m.status === 'completed' || m.status === 'rolled-back' || m.status === 'cancelled') && Date.parse(m.end) >= now - HISTORY_MS)
    .sort((a, b) => b.start.localeCompare(a.start));
  const maintained = new Set(inProgress.flatMap((m) => m.services.map((s) => s.name)));
  const services = input.services.filter((s) => !input.service || s.name === input.service).sort((a, b) => a.title[input.lang].localeCompare(b.title[input.lang], locale));
  const shown = services.map((s) => ({ s, state: shownState(s, maintained.has(s.name)) }));

  const monitored = shown.filter((x) => x.s.monitored);
  const overall: keyof Words['overall'] | undefined =
    monitored.some((x) => x.state === 'down') ? 'down'
      : inProgress.length > 0 ? 'maintenance'
        : monitored.some((x) => x.state === 'degraded') ? 'degraded'
          : monitored.length > 0 && monitored.every((x) => x.state === 'up') ? 'up'
            : monitored.length > 0 || input.servicesUnavailable ? 'unknown' : undefined;

  const maintenanceCard = (m: PublicMaintenance, section: 'now' | 'upcoming' | 'past') => html`
    <article class="card m-${m.status}" id="${m.id}">
      <header><h3>${m.title[input.lang]}</h3><span class="badge s-${m.status}"><span aria-hidden="true">${MAINTENANCE_SYMBOL[m.status]}</span> ${statusText(m.status, input.lang)}</span></header>
      <dl>
        <dt>${w.when}</dt><dd>${when('range', m.start, m.end)}</dd>
        ${section === 'past' && m.finishedAt ? html`<dt>${w.finished}</dt><dd>${when('instant', m.finishedAt)}</dd>` : ''}
        ${m.services.length > 0 && !(m.services.length === 1 && m.services[0]!.title[input.lang] === m.title[input.lang]) ? html`<dt>${w.affects}</dt><dd>${m.services.map((s) => s.title[input.lang]).join(', ')}</dd>` : ''}
        ${m.impact ? html`<dt>${w.impact}</dt><dd>${m.impact[input.lang]}</dd>` : ''}
        ${m.reason ? html`<dt>${w.reason}</dt><dd>${m.reason}</dd>` : ''}
      </dl>
    </article>`;

  const serviceRow = ({ s, state }: { s: PublicServiceStatus; state: Shown }) => {
    const measured = s.days.filter((d) => d.rounds > 0);
    const rounds = measured.reduce((n, d) => n + d.rounds, 0);
    const total = rounds > 0 ? formatPercent((100 * measured.reduce((n, d) => n + d.rounds - d.downRounds, 0)) / rounds, locale) : undefined;
    return html`
      <li class="service">
        <div class="service-head">
          <h3>${s.title[input.lang]}</h3>
          <span class="badge st-${state}"><span aria-hidden="true">${SYMBOL[state]}</span> ${w.state[state]}</span>
        </div>
        ${s.checkedAt && s.monitored ? html`<p class="muted small">${w.checked} ${when('time', s.checkedAt)}</p>` : ''}
        ${s.monitored ? html`
          <ol class="bar" aria-label="${w.barLabel}">${raw(s.days.map((d) => String(dayCell(d, w, locale))).join(''))}</ol>
          <div class="bar-legend small muted"><span>${w.daysAgo}</span><span>${total ? w.uptimeOver(total, measured.length) : w.noUptime}</span><span>${w.today}</span></div>` : ''}
      </li>`;
  };

  const contact = input.organisation.contact;
  const mailto = contact.email ? `mailto:${contact.email}?subject=${encodeURIComponent(w.emailSubject)}${input.service ? encodeURIComponent(` (${input.service})`) : ''}` : undefined;
  const feedBase = input.service ? `services/${input.service}/` : '';
  const otherLang: Language = input.lang === 'nl' ? 'en' : 'nl';
  const title = `${input.organisation.name} — ${w.heading}`;

  const page = html`<!doctype html>
<html lang="${input.lang}" data-locale="${locale}" data-tz="${input.timezone}"${input.timezoneChosen ? html` data-tz-chosen=""` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="alternate" type="application/atom+xml" title="${w.feed}" href="${feedBase}maintenance.atom?lang=${input.lang}">
<style>${raw(STYLE)}</style>
</head>
<body>
<header class="top">
  <div class="wrap">
    <p class="org">${input.organisation.name}</p>
    <h1>${w.heading}</h1>
    <nav class="small"><a href="${query({ lang: otherLang })}" hreflang="${otherLang}" lang="${otherLang}">${w.otherLanguage}</a>${input.service ? html` · <a href="${query({ service: undefined })}">${w.allServices}</a>` : ''}</nav>
  </div>
</header>
<main class="wrap">
  ${overall ? html`<p class="banner b-${overall}" role="status"><span aria-hidden="true">${OVERALL_SYMBOL[overall]}</span> ${w.overall[overall]}${overall === 'maintenance' ? `: ${[...new Set(inProgress.map((m) => m.title[input.lang]))].join(', ')}` : ''}</p>` : ''}
  ${inProgress.length > 0 ? html`<section aria-labelledby="now"><h2 id="now">${w.inProgress}</h2>${inProgress.map((m) => maintenanceCard(m, 'now'))}</section>` : ''}
  ${shown.length > 0 ? html`<section aria-labelledby="services"><h2 id="services">${w.services}</h2>
    ${input.servicesUnavailable ? html`<p class="note">${w.unavailable}</p>` : ''}
    <ul class="services">${shown.map(serviceRow)}</ul></section>` : ''}
  <section aria-labelledby="upcoming"><h2 id="upcoming">${w.upcoming}</h2>
    ${upcoming.length > 0 ? upcoming.map((m) => maintenanceCard(m, 'upcoming')) : html`<p class="muted">${w.noUpcoming}</p>`}
  </section>
  <section aria-labelledby="past"><h2 id="past">${w.past}</h2>
    ${past.length > 0 ? past.map((m) => maintenanceCard(m, 'past')) : html`<p class="muted">${w.noPast}</p>`}
  </section>
  <section aria-labelledby="subscribe" class="subscribe"><h2 id="subscribe">${w.subscribe}</h2>
    <p>${w.subscribeText}</p>
    <ul class="links">
      <li><a href="${feedBase}maintenance.ics?lang=${input.lang}">${w.calendar}</a></li>
      <li><a href="${feedBase}maintenance.atom?lang=${input.lang}">${w.feed}</a></li>
      ${mailto ? html`<li><a href="${mailto}">${w.email}</a></li>` : ''}
      <li><a href="${feedBase}maintenance.json">${w.json}</a></li>
    </ul>
  </section>
</main>
<footer class="wrap small muted">
  ${contact.email ? html`<p>${w.contact} <a href="mailto:${contact.email}">${contact.email}</a>${contact.phone ? html` · <a href="tel:${contact.phone.replace(/[^+\d]/g, '')}">${contact.phone}</a>` : ''}</p>` : ''}
  <p><span data-tz-note>${w.timesIn(input.timezone)}</span> ${w.updated} ${when('time', new Date(input.asOf).toISOString())}.</p>
</footer>
${input.timezoneChosen ? '' : html`<script>${raw(clientScript(w))}</script>`}
</body>
</html>`;
  return String(page as HtmlEscapedString);
}

const MAINTENANCE_SYMBOL: Record<PublicMaintenance['status'], string> = { scheduled: '◷', 'in-progress': '⚙', completed: '✓', 'rolled-back': '↺', cancelled: '✕' };
const OVERALL_SYMBOL: Record<keyof Words['overall'], string> = { up: '✓', degraded: '!', down: '✕', maintenance: '⚙', unknown: '?' };

/** The 90-day uptime bar of one service as the status page draws it (the monthly report shows the same), with its CSS in {@link UPTIME_BAR_STYLE}. */
export function uptimeBar(days: readonly DayAvailability[], lang: Language): string {
  const w = WORDS[lang];
  return String(html`<ol class="bar" aria-label="${w.barLabel}">${raw(days.map((d) => String(dayCell(d, w, LOCALE[lang]))).join(''))}</ol>` as HtmlEscapedString);
}

function dayCell(d: DayAvailability, w: Words, locale: string) {
  const date = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${d.day}T00:00:00Z`));
  const percent = d.availabilityPercent === null ? null : formatPercent(d.availabilityPercent, locale);
  const level = d.availabilityPercent === null ? 'none' : d.downRounds > 0 ? (d.availabilityPercent < 95 ? 'down' : 'partial') : d.degradedRounds > 0 ? 'degraded' : 'up';
  const label = w.day(date, percent, d.rounds, d.degradedRounds);
  return html`<li class="d d-${level}" title="${label}"><span class="vh">${label}</span></li>`;
}

/**
 * Progressive enhancement: without `?tz=` the server wrote the organisation's zone; the browser
 * knows the reader's, and rewrites every time in it (and in the reader's own variant of the page's
 * language: en-US gets 4:00 PM). Without JavaScript the page is whole, in the stated zone.
 */
function clientScript(w: Words): string {
  const timesIn = JSON.stringify([w.timesIn('\u0000').split('\u0000')]);
  return `(function(){var humanTime=${humanTime.toString()};
var root=document.documentElement,zone;try{zone=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){return}
if(!zone||zone===root.getAttribute('data-tz'))return;
var lang=root.lang,nav=(navigator.languages||[navigator.language]).filter(function(l){return l&&l.split('-')[0]===lang})[0],locale=nav||root.getAttribute('data-locale');
var times=document.querySelectorAll('time[data-when]');for(var i=0;i<times.length;i++){var t=times[i];t.textContent=humanTime(t.getAttribute('data-when'),t.getAttribute('datetime'),t.getAttribute('data-end'),locale,zone,Date.now())}
var parts=${timesIn}[0],note=document.querySelector('[data-tz-note]');if(note)note.textContent=parts[0]+zone+parts[1];root.setAttribute('data-tz',zone)})();`;
}

/** The uptime bar's rules (and the screen-reader text of its days), shared with the monthly report. Colours come from the page's --up/--deg/--down/--none. */
export const UPTIME_BAR_STYLE = `.bar{display:flex;gap:2px;list-style:none;margin:.6rem 0 .2rem;padding:0;height:2rem;align-items:stretch}
.d{flex:1 1 0;min-width:1px;border-radius:1px;background:var(--up)}
.d-none{background:var(--none)}
.d-degraded{background:var(--deg)}
.d-partial{background:repeating-linear-gradient(135deg,var(--deg) 0 3px,var(--down) 3px 6px)}
.d-down{background:repeating-linear-gradient(135deg,var(--down) 0 3px,transparent 3px 5px),var(--down)}
.d:hover{opacity:.7}
.bar-legend{display:flex;justify-content:space-between;gap:.5rem}
.bar-legend span:nth-child(2){text-align:center}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`;

const STYLE = `
:root{--bg:#f6f7f9;--fg:#1b1f24;--muted:#59636e;--card:#fff;--line:#d8dee4;--up:#1a7f37;--deg:#9a6700;--down:#cf222e;--mnt:#0969da;--none:#d0d7de;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#161b22;--line:#30363d;--up:#3fb950;--deg:#d29922;--down:#f85149;--mnt:#58a6ff;--none:#30363d;--link:#58a6ff}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
a{color:var(--link)}
.wrap{max-width:52rem;margin:0 auto;padding:0 1rem}
.top{background:var(--card);border-bottom:1px solid var(--line);padding:1.25rem 0 1rem;margin-bottom:1.5rem}
.org{margin:0;font-weight:600;color:var(--muted)}
h1{margin:.1rem 0 .25rem;font-size:1.6rem;line-height:1.2}
h2{font-size:1.15rem;margin:2rem 0 .75rem}
h3{font-size:1rem;margin:0}
.small{font-size:.875rem}
.muted{color:var(--muted)}
.banner{margin:0;padding:.9rem 1rem;border-radius:.5rem;font-weight:600;color:#fff;background:var(--up)}
.b-degraded{background:var(--deg)}.b-down{background:var(--down)}.b-maintenance{background:var(--mnt)}.b-unknown{background:var(--muted)}
@media (prefers-color-scheme:dark){.banner{color:#0d1117}}
.note{border-left:4px solid var(--deg);padding:.5rem .75rem;background:var(--card)}
.services{list-style:none;margin:0;padding:0;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
.service{padding:.9rem 1rem;border-top:1px solid var(--line)}
.service:first-child{border-top:0}
.service-head{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:space-between;align-items:baseline}
.service p{margin:.1rem 0 0}
.badge{display:inline-flex;gap:.3rem;align-items:center;font-size:.875rem;font-weight:600;white-space:nowrap}
.st-up,.s-completed{color:var(--up)}.st-degraded{color:var(--deg)}.st-down,.s-rolled-back{color:var(--down)}.st-maintenance,.s-in-progress,.s-scheduled{color:var(--mnt)}
.st-stale,.st-noData,.st-notMonitored,.s-cancelled{color:var(--muted)}
${UPTIME_BAR_STYLE}
.card{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--mnt);border-radius:.5rem;padding:.8rem 1rem;margin:0 0 .75rem}
.m-completed{border-left-color:var(--up)}.m-rolled-back{border-left-color:var(--down)}.m-cancelled{border-left-color:var(--muted)}
.card header{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:space-between;align-items:baseline}
dl{display:grid;grid-template-columns:12rem 1fr;gap:.2rem .9rem;margin:.5rem 0 0}
dt{color:var(--muted)}dd{margin:0}
@media (max-width:34rem){dl{grid-template-columns:1fr}dt{margin-top:.3rem}.bar{height:1.6rem;gap:1px}h1{font-size:1.35rem}.bar-legend{flex-wrap:wrap}.bar-legend span:nth-child(2){order:3;flex-basis:100%;text-align:left}}
.links{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:0}
.links a{display:inline-block;padding:.45rem .8rem;border:1px solid var(--line);border-radius:.4rem;background:var(--card);text-decoration:none}
.links a:hover,.links a:focus{border-color:var(--link)}
a:focus-visible{outline:2px solid var(--link);outline-offset:2px}
footer{margin:2.5rem auto 2rem}
footer p{margin:.3rem 0}
footer a{white-space:nowrap}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
