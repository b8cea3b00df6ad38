/**
 * The console's pages, server-rendered. Every value goes through hono/html's escaping; nothing here
 * decides anything (what a control does and which are offered comes from control/console.ts).
 */
import { html } from 'hono/html';
import type { ConsoleIdentity } from '../../control/consoleAccess';
import type { HostLine, NowOverview, RolloutCardOrError, ServiceLine } from '../../control/console';
import type { OccurrenceView } from '../../control/calendar';
import type { DayAvailability } from '../../policies/availability/daily';
import { formatPercent } from '../../policies/availability/daily';
import type { DependencyRepositoryView } from '../../policies/console/dependencies';
import type { CalendarDay, CalendarEntry, CalendarModel } from '../../policies/console/calendar';
import { EXTEND_CHOICES_MIN, type OfferedWindowControl } from '../../policies/console/windowControls';
import { allows } from '../../policies/console/roles';
import type { HostCell, RolloutCard, WaveBar } from '../../policies/console/rolloutCard';
import type { OfferedControl } from '../../policies/console/rolloutControls';
import type { AuditEvent, AuditFilter } from '../../store/audit';
import { AUDIT_ACTIONS } from '../../store/audit';

type Html = ReturnType<typeof html>;

export interface Viewer {
  identity: ConsoleIdentity;
  csrf: string;
}

const PAGES = [['/', 'Now'], ['/calendar', 'Calendar'], ['/hosts', 'Hosts'], ['/services', 'Services'], ['/dependencies', 'Dependencies'], ['/audit', 'Audit']] as const;

export function layout(title: string, viewer: Viewer | undefined, current: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · maint console</title><link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><span class="brand">maint console</span>
${viewer ? html`<nav aria-label="Pages"><ul>${PAGES.map(([href, name]) => html`<li><a href="${href}"${current === href ? html` aria-current="page"` : ''}>${name}</a></li>`)}</ul></nav>
<div class="who"><span>Signed in as <strong>${viewer.identity.name}</strong> (${viewer.identity.role})</span>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button type="submit">Sign out</button></form></div>` : ''}
</header>
<main id="main">${body}</main></body></html>`;
}

export function loginPage(options: { error?: string; next: string; sso?: { provider: string } }): Html {
  return layout('Sign in', undefined, '/login', html`<section class="card login" aria-labelledby="signin"><h1 id="signin">Sign in</h1>
${options.error ? html`<p class="notice error" role="alert">${options.error}</p>` : ''}
${options.sso ? html`<p><a class="button primary" href="/login/oidc?next=${encodeURIComponent(options.next)}">Sign in with ${options.sso.provider}</a></p><p class="muted">or with a local user of this console:</p>` : ''}
<form class="stack" method="post" action="/login">
<input type="hidden" name="next" value="${options.next}">
<label>User name<input name="name" autocomplete="username" required autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">Sign in</button></form></section>`);
}

/** After an OpenID Connect sign-in: a page of the console's own moves on to where they were going. */
export function oidcContinuePage(next: string): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${next}"><title>Signed in · maint console</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><main id="main"><p>Signed in. <a href="${next}">Continue</a></p></main></body></html>`;
}

export function errorPage(viewer: Viewer | undefined, status: number, message: string): Html {
  return layout(`Error ${status}`, viewer, '', html`<h1>${status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong'}</h1><p class="notice error" role="alert">${message}</p><p><a href="/">Back to Now</a></p>`);
}

/** ISO → `2026-12-02 07:01:03 UTC` in a <time> element (the script leaves it; people read UTC with the zone said). */
export function time(iso: string | number | undefined): Html | string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>`;
}

const STATE_ICON: Record<HostCell['state'], string> = {
  pending: '○', waiting: '⏸', preflight: '…', draining: '⇣', patching: '⟳', rebooting: '⏻', verifying: '◐',
  healthy: '✓', failed: '✗', 'rolling-back': '↺', 'rolled-back': '↩', skipped: '–',
};

/** `1.0.0 → 2.0.0`; a rolled-back host is back on its old version: `1.0.0 (back from 2.0.0)`. */
function versionChange(state: string, before: string | undefined, after: string | undefined): string {
  if (before === undefined && after === undefined) return '';
  return state === 'rolled-back' ? `${before ?? '?'} (back from ${after ?? '?'})` : `${before ?? '?'} → ${after ?? '?'}`;
}

function hostCell(h: HostCell): Html {
  const versions = versionChange(h.state, h.before, h.after);
  const title = [`${h.name}: ${h.state}`, versions, h.waiting ? `waiting: ${h.waiting}` : '', h.error ? `last error: ${h.error}` : ''].filter(Boolean).join('\n');
  return html`<li class="h-${h.state}" title="${title}" data-host="${h.name}" data-state="${h.state}"><span aria-hidden="true">${STATE_ICON[h.state]}</span> <span class="n">${h.name}</span> <span class="s">${h.state}</span>${versions ? html`<span class="v">${versions}</span>` : ''}${h.error ? html`<span class="sr-only">last error: ${h.error}</span>` : ''}</li>`;
}

function waveBar(w: WaveBar): Html {
  const pct = (n: number) => (w.size === 0 ? 0 : (100 * n) / w.size).toFixed(2);
  const summary = `${w.done}/${w.size} done${w.active ? `, ${w.active} in progress` : ''}${w.failed ? `, ${w.failed} failed` : ''}${w.rolledBack ? `, ${w.rolledBack} rolled back` : ''}`;
  return html`<li data-wave="${w.index}" data-state="${w.state}"><span>Wave ${w.index}${w.canary ? ' (canary)' : ''}: <strong>${w.state}</strong></span>
<span class="bar" role="img" aria-label="wave ${w.index}: ${summary}"><span class="b-done" style="width:${pct(w.done)}%"></span><span class="b-active" style="width:${pct(w.active)}%"></span><span class="b-failed" style="width:${pct(w.failed)}%"></span><span class="b-rolled-back" style="width:${pct(w.rolledBack)}%"></span></span>
<span class="muted">${summary}</span></li>`;
}

const LABEL: Record<OfferedControl['action'], string> = { pause: 'Pause', resume: 'Resume', approve: 'Approve', abort: 'Abort' };

function controlsOf(card: RolloutCard, viewer: Viewer): Html | string {
  if (card.controls.length === 0 || !allows(viewer.identity.role, 'control-rollout')) return '';
  return html`<div class="controls" role="group" aria-label="Controls of rollout ${card.rolloutId}">${card.controls.map((c) => html`<a id="ctl-${card.rolloutId}-${c.action}" class="button${c.action === 'abort' ? ' danger' : c.action === 'approve' ? ' primary' : ''}" href="/rollouts/${card.rolloutId}/confirm/${c.action}">${LABEL[c.action]}…</a>`)}</div>`;
}

export function rolloutSection(card: RolloutCardOrError, viewer: Viewer, level: 'h2' | 'h1' = 'h2'): Html {
  if ('unreadable' in card) return html`<article class="card" data-rollout="${card.rolloutId}"><h3>${card.rolloutId}</h3><p class="notice error">unreadable: ${card.unreadable}</p></article>`;
  const heading = level === 'h1' ? html`<h1>Rollout ${card.rolloutId}</h1>` : html`<h3><a href="/rollouts/${card.rolloutId}">${card.rolloutId}</a></h3>`;
  return html`<article class="card" data-rollout="${card.rolloutId}" data-status="${card.status}" aria-label="rollout ${card.rolloutId}">
<header>${heading}<span class="status s-${card.status}">${card.status}</span><span class="muted">policy ${card.policy} · ${card.hosts.length} hosts in ${card.waves.length} waves${card.finished ? '' : ` · at wave ${Math.min(card.currentWave, card.waves.length - 1)}`} · ${card.failures} failed of ${card.failuresTolerated} tolerated</span></header>
${card.message ? html`<p class="notice">${card.message}</p>` : ''}
${controlsOf(card, viewer)}
<ol class="waves" aria-label="Waves">${card.waves.map(waveBar)}</ol>
<ul class="hosts" aria-label="Hosts of rollout ${card.rolloutId}">${card.hosts.map(hostCell)}</ul></article>`;
}

export function nowLive(o: NowOverview, viewer: Viewer): Html {
  const unavailable = Object.entries(o.unavailable);
  return html`${unavailable.length ? html`<p class="notice error" role="status">Not available now: ${unavailable.map(([part, why]) => `${part} (${why})`).join('; ')}</p>` : ''}
<section aria-labelledby="h-rollouts"><h2 id="h-rollouts">Rollouts <span class="muted">(running, and finished within the hour)</span></h2>
${o.rollouts.length ? o.rollouts.map((r) => rolloutSection(r, viewer)) : html`<p class="muted">No rollout is running.</p>`}</section>
<div class="grid2">
<section class="card" aria-labelledby="h-windows"><h2 id="h-windows">Windows running now</h2>
${o.windows.length ? html`<ul>${o.windows.map((w) => html`<li><strong>${w.status.window}</strong> until ${time(w.status.end)} — ${w.status.tasks.map((t) => `${t.name}: ${t.state}`).join(', ') || 'no tasks'}</li>`)}</ul>` : html`<p class="muted">No window is in progress.</p>`}</section>
<section class="card" aria-labelledby="h-incidents"><h2 id="h-incidents">Open incidents</h2>
${o.incidents.length ? html`<ul>${o.incidents.map((i) => html`<li><strong>${i.service}</strong> since ${time(i.openedAt)}: ${i.summary}${i.rolloutId ? html` (during rollout <a href="/rollouts/${i.rolloutId}">${i.rolloutId}</a>)` : ''}</li>`)}</ul>` : html`<p class="muted">No open incident.</p>`}</section>
<section class="card" aria-labelledby="h-budget"><h2 id="h-budget">Services out of error budget</h2>
${o.outOfBudget.length ? html`<ul>${o.outOfBudget.map((s) => html`<li><strong>${s.service}</strong> (${s.figures.tier}): ${minutes(s.figures.budget.leftMinutes)} left of ${minutes(s.figures.budget.allowedMinutes)}</li>`)}</ul>` : html`<p class="muted">Every service is within its budget (or no tiers are known: start the console with -f).</p>`}</section>
</div><p class="muted">As of ${time(o.generatedAt)}; refreshed every 2 s.</p>`;
}

const minutes = (m: number) => `${m < 0 ? '-' : ''}${Math.abs(m).toFixed(1)} min`;

export function nowPage(o: NowOverview, viewer: Viewer): Html {
  return layout('Now', viewer, '/', html`<h1>Now</h1><div id="live" data-live="/live/now">${nowLive(o, viewer)}</div>`);
}

export function rolloutPage(card: RolloutCard, viewer: Viewer, done?: string): Html {
  return layout(`Rollout ${card.rolloutId}`, viewer, '', html`${done ? html`<p class="notice ok" role="status">${done}</p>` : ''}<div id="live" data-live="/live/rollouts/${card.rolloutId}">${rolloutSection(card, viewer, 'h1')}</div>`);
}

export function confirmPage(card: RolloutCard, control: OfferedControl, viewer: Viewer): Html {
  return layout(`${LABEL[control.action]} ${card.rolloutId}?`, viewer, '', html`<section class="card" aria-labelledby="confirm"><h1 id="confirm">${LABEL[control.action]} rollout ${card.rolloutId}?</h1>
<p class="consequence" id="consequence">${control.consequence[0]!.toUpperCase()}${control.consequence.slice(1)}.</p>
<p class="muted">Status now: ${card.status}, wave ${card.currentWave}. Recorded in the audit trail as ${viewer.identity.name}.</p>
<form class="stack" method="post" action="/rollouts/${card.rolloutId}/${control.action}" aria-describedby="consequence">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
<label>Reason (optional; shown in the rollout and the audit trail)<input name="reason" maxlength="500"></label>
<div class="controls"><button class="${control.action === 'abort' ? 'danger' : 'primary'}" type="submit">Yes, ${control.action}</button><a class="button" href="/rollouts/${card.rolloutId}">Cancel</a></div>
</form></section>`);
}

export function auditPage(events: AuditEvent[], filter: AuditFilter, viewer: Viewer): Html {
  return layout('Audit', viewer, '/audit', html`<h1>Audit trail</h1>
<form class="filters" method="get" action="/audit" role="search" aria-label="Filter the audit trail">
<label>Actor<input name="actor" value="${filter.actor ?? ''}"></label>
<label>Action<select name="action"><option value="">any</option>${AUDIT_ACTIONS.map((a) => html`<option${filter.action === a ? html` selected` : ''}>${a}</option>`)}</select></label>
<label>Subject contains<input name="subject" value="${filter.subject ?? ''}"></label>
<label>From (UTC)<input name="since" type="date" value="${filter.since?.slice(0, 10) ?? ''}"></label>
<label>Until (UTC, exclusive)<input name="until" type="date" value="${filter.until?.slice(0, 10) ?? ''}"></label>
<button type="submit">Filter</button> <a href="/audit">Clear</a></form>
<table><caption class="sr-only">Control actions, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Reason</th><th scope="col">Detail</th></tr></thead>
<tbody>${events.length ? events.map((e) => html`<tr><td>${time(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.subject}</td><td>${e.reason ?? ''}</td><td class="muted">${e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ') : ''}</td></tr>`) : html`<tr><td colspan="6" class="muted">No action matches.</td></tr>`}</tbody></table>`);
}

function complianceCells(h: HostLine): Html {
  const c = h.compliance;
  const cls = c.status === 'up to date' ? 'ok' : c.status === 'never scanned' ? 'idle' : c.status === 'updates pending' ? 'warn' : 'bad';
  return html`<td><span class="pill p-${cls}" title="${c.error ?? ''}">${c.status}</span>${c.scannedAt !== undefined ? html`<br><span class="muted small">scanned ${time(c.scannedAt)}</span>` : ''}</td>
<td class="num">${c.securityPending ?? '—'}${c.pending !== undefined ? html` <span class="muted small">of ${c.pending}</span>` : ''}</td>
<td>${c.rebootRequired === undefined ? '—' : c.rebootRequired ? html`<strong>yes</strong>` : 'no'}</td>
<td>${c.lastPatchedBy !== undefined ? html`by ${time(c.lastPatchedBy)}` : '—'}</td>`;
}

export function hostsPage(lines: { hosts: HostLine[]; unavailable: Record<string, string> }, viewer: Viewer): Html {
  return layout('Hosts', viewer, '/hosts', html`<h1>Hosts</h1>
<p class="muted">Hosts of the compliance scans (<code>maint hosts scan</code>), the deployment's leases and the rollouts on the Now page. Security updates: pending security updates of all pending; last patched: the scan that first saw fewer pending updates.</p>
${Object.entries(lines.unavailable).map(([part, why]) => html`<p class="notice error">${part} not available: ${why}</p>`)}
<table class="hosts-table"><thead><tr><th scope="col">Host</th><th scope="col">Compliance</th><th scope="col">Security updates</th><th scope="col">Reboot pending</th><th scope="col">Last patched</th><th scope="col">Lease holder</th><th scope="col">Out of service</th><th scope="col">Rollouts (state, before → after)</th></tr></thead>
<tbody>${lines.hosts.length ? lines.hosts.map((h) => html`<tr data-host="${h.name}"><th scope="row">${h.name}</th>${complianceCells(h)}<td>${h.leasedBy ? html`<a href="/rollouts/${h.leasedBy}">${h.leasedBy}</a> since ${time(h.leasedSince)}` : '—'}</td><td>${h.down ?? '—'}</td>
<td>${h.rollouts.length ? h.rollouts.map((r) => html`<a href="/rollouts/${r.rolloutId}">${r.rolloutId}</a>: ${r.state}${r.before || r.after ? ` (${versionChange(r.state, r.before, r.after)})` : ''}<br>`) : '—'}</td></tr>`) : html`<tr><td colspan="8" class="muted">No host is scanned, leased or in a current rollout.</td></tr>`}</tbody></table>`);
}

/** One day of a service's uptime bar, as the public status page draws it (policies/availability/daily.ts counts it). */
function uptimeDay(d: DayAvailability): Html {
  const level = d.availabilityPercent === null ? 'none' : d.downRounds > 0 ? (d.availabilityPercent < 95 ? 'down' : 'partial') : d.degradedRounds > 0 ? 'degraded' : 'up';
  const label = `${d.day}: ${d.availabilityPercent === null ? 'no data' : `${formatPercent(d.availabilityPercent, 'en-GB')} up`}${d.rounds ? ` (${d.rounds} rounds${d.downRounds ? `, ${d.downRounds} down` : ''}${d.degradedRounds ? `, ${d.degradedRounds} slow` : ''})` : ''}`;
  return html`<li class="d d-${level}" title="${label}" data-day="${d.day}" data-level="${level}"><span class="sr-only">${label}</span></li>`;
}

export function servicesPage(lines: ServiceLine[], viewer: Viewer): Html {
  return layout('Services', viewer, '/services', html`<h1>Services</h1>
<table><thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Tier</th><th scope="col">This month</th><th scope="col">Budget left</th><th scope="col">Open incident</th><th scope="col">Last round</th></tr></thead>
<tbody>${lines.length ? lines.map((s) => {
    const measured = s.days.filter((d) => d.rounds > 0);
    const rounds = measured.reduce((n, d) => n + d.rounds, 0);
    const total = rounds > 0 ? formatPercent((100 * measured.reduce((n, d) => n + d.rounds - d.downRounds, 0)) / rounds, 'en-GB') : undefined;
    const budgetLeft = s.figures ? s.figures.budget.leftMinutes : undefined;
    return html`<tr data-service="${s.service}"><th scope="row">${s.service}</th><td>${s.state}${s.stale ? ' (stale)' : ''}</td><td>${s.figures?.tier ?? '—'}</td>
<td>${s.figures ? html`${s.figures.availabilityPercent === null ? 'no data' : `${s.figures.availabilityPercent.toFixed(3)}%`} <span class="muted">of ${s.figures.targetPercent}% target</span>${s.figures.availabilityPercent !== null && s.figures.availabilityPercent < s.figures.targetPercent ? html` <span class="flag">below target</span>` : ''}` : '—'}</td>
<td>${s.figures ? html`<span${budgetLeft! <= 0 ? html` class="flag"` : ''}>${minutes(s.figures.budget.leftMinutes)}</span> of ${minutes(s.figures.budget.allowedMinutes)}${budgetLeft! <= 0 ? ' (spent)' : ''}` : '—'}</td>
<td>${s.openIncident ? html`<span class="flag">open</span> ${s.openIncident.summary} (since ${time(s.openIncident.openedAt)})${s.openIncident.rolloutId ? html`, during rollout <a href="/rollouts/${s.openIncident.rolloutId}">${s.openIncident.rolloutId}</a>` : ''}` : '—'}</td><td>${time(s.lastRoundAt)}</td></tr>
<tr class="uptime-row"><td colspan="7"><ol class="uptime" aria-label="Uptime of ${s.service} per day, last ${s.days.length} days, oldest first">${s.days.map(uptimeDay)}</ol>
<div class="uptime-legend small muted"><span>${s.days.length} days ago</span><span>${total ? `${total} uptime over the ${measured.length} day${measured.length === 1 ? '' : 's'} measured` : 'No uptime measured yet'}</span><span>today</span></div></td></tr>`;
  }) : html`<tr><td colspan="7" class="muted">No service has probes.</td></tr>`}</tbody></table>`);
}

const WEEKDAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export const occurrenceHref = (window: string, start: string) => `/windows/${encodeURIComponent(window)}/occurrences/${encodeURIComponent(start)}`;

function calendarEntry(e: CalendarEntry): Html {
  const title = [e.windowTime, `services: ${e.services.join(', ')}`, `run: ${e.state}`, `${e.notices} notice${e.notices === 1 ? '' : 's'} sent`, e.blackout ? `blacked out: ${e.blackout}` : '', ...e.conflicts.map((c) => `conflict: ${c.message}`)].filter(Boolean).join('\n');
  return html`<li class="occ${e.blackout ? ' blacked' : ''}${e.conflicts.length ? ' conflict' : ''}" data-window="${e.window}" data-start="${e.start}" data-state="${e.state}"${e.conflicts.length ? html` data-conflicts="${e.conflicts.map((c) => c.kind).join(' ')}"` : ''}>
<a href="${occurrenceHref(e.window, e.start)}" title="${title}"><span class="t">${e.viewerStart}–${e.viewerEnd}</span> <strong>${e.window}</strong></a>
<span class="muted small">${e.blackout ? `blacked out · ` : ''}${e.state}${e.notices ? ` · ${e.notices} notice${e.notices === 1 ? '' : 's'}` : ''}</span>${e.conflicts.length ? html` <span class="flag">⚠ ${e.conflicts.length === 1 ? 'conflict' : `${e.conflicts.length} conflicts`}</span>` : ''}</li>`;
}

function calendarDay(d: CalendarDay): Html {
  return html`<td class="${[d.inPeriod ? '' : 'out', d.today ? 'today' : '', d.shaded.length ? 'shaded' : ''].filter(Boolean).join(' ')}" data-date="${d.date}"${d.today ? html` aria-current="date"` : ''}>
<div class="day"><span class="date">${d.label}</span>${d.today ? html` <span class="muted small">today</span>` : ''}</div>
${d.offsetChange ? html`<p class="small tzchange">Clocks change: ${d.offsetChange}</p>` : ''}
${d.shaded.map((r) => html`<p class="small blackout">⊘ No maintenance: ${r}</p>`)}
${d.entries.length ? html`<ul class="occs">${d.entries.map(calendarEntry)}</ul>` : ''}</td>`;
}

export function calendarPage(m: CalendarModel & { timezoneChosen: boolean; unavailable: Record<string, string> }, viewer: Viewer): Html {
  const q = (over: Record<string, string>) => `/calendar?${new URLSearchParams({ view: m.view, date: m.date, tz: m.timezone, ...over }).toString()}`;
  const conflicting = m.weeks.flat().flatMap((d) => d.entries.filter((e) => e.conflicts.length).map((e) => ({ d, e })));
  return layout('Calendar', viewer, '/calendar', html`<div class="calendar-head"${m.timezoneChosen ? '' : html` data-tz-auto="${m.timezone}"`}><h1>${m.title}</h1>
<nav class="controls" aria-label="Calendar period"><a class="button" href="${q({ date: m.previous })}" rel="prev">← Previous</a><a class="button" href="${q({ date: m.next })}" rel="next">Next →</a>
<a class="button" href="${q({ view: 'month' })}"${m.view === 'month' ? html` aria-current="true"` : ''}>Month</a><a class="button" href="${q({ view: 'week' })}"${m.view === 'week' ? html` aria-current="true"` : ''}>Week</a></nav>
<form class="filters" method="get" action="/calendar"><input type="hidden" name="view" value="${m.view}"><input type="hidden" name="date" value="${m.date}">
<label>Timezone<input name="tz" value="${m.timezone}" size="22"></label><button type="submit">Show</button></form></div>
<p class="muted" id="tz-note">Times in <strong>${m.timezone}</strong>; hover or focus an occurrence for the window's own zone. ⊘ marks blackouts and freezes, ⚠ conflicts.</p>
${Object.entries(m.unavailable).map(([part, why]) => html`<p class="notice error">${part} not available: ${why}</p>`)}
${m.conflicts ? html`<p class="notice error" role="status">${m.conflicts} occurrence${m.conflicts === 1 ? '' : 's'} in conflict in this ${m.view}.</p>` : ''}
<table class="calendar cal-${m.view}"><caption class="sr-only">Maintenance windows, ${m.title}, times in ${m.timezone}</caption>
<thead><tr>${WEEKDAY_NAMES.map((n) => html`<th scope="col">${n}</th>`)}</tr></thead>
<tbody>${m.weeks.map((w) => html`<tr>${w.map(calendarDay)}</tr>`)}</tbody></table>
${conflicting.length ? html`<section class="card" aria-labelledby="h-conflicts"><h2 id="h-conflicts">Conflicts</h2><ul>${conflicting.map(({ d, e }) => html`<li><a href="${occurrenceHref(e.window, e.start)}">${e.window}</a> ${d.label} ${e.viewerStart}: ${e.conflicts.map((c) => c.message).join('; ')}</li>`)}</ul></section>` : ''}`);
}

const WINDOW_LABEL: Record<OfferedWindowControl['action'], string> = { cancel: 'Cancel run', extend: 'Extend', override: 'Override error budget' };

export function occurrencePage(v: OccurrenceView, viewer: Viewer, done?: string): Html {
  const href = occurrenceHref(v.window, v.occurrence.start);
  const status = v.run?.status;
  const controls = v.controls.filter((c) => allows(viewer.identity.role, c.permission));
  return layout(`${v.window} ${v.occurrence.localStart}`, viewer, '/calendar', html`${done ? html`<p class="notice ok" role="status">${done}</p>` : ''}
<section class="card" aria-labelledby="h-occ" data-run="${v.runId}" data-phase="${status?.phase ?? 'not started'}"><header><h1 id="h-occ">Window ${v.window}</h1>${status ? html`<span class="status s-${status.phase}">${status.phase}</span>` : ''}</header>
<p><strong>${v.windowTime}</strong> · ${time(v.occurrence.start)} to ${time(status?.end ?? v.occurrence.end)}</p>
<p class="muted">Services: ${v.services.join(', ')} · run ${v.runId}${status?.reason ? ` · ${status.reason}` : ''}${status?.budgetOverride ? ` · error budget overridden by ${status.budgetOverride.by}: ${status.budgetOverride.reason}` : ''}</p>
${v.runNote ? html`<p class="notice">${v.runNote[0]!.toUpperCase()}${v.runNote.slice(1)}.</p>` : ''}
${controls.length ? html`<div class="controls" role="group" aria-label="Controls of this run">${controls.map((c) => html`<a class="button${c.action === 'cancel' ? ' danger' : ''}" href="${href}/confirm/${c.action}">${WINDOW_LABEL[c.action]}…</a>`)}</div>` : ''}
${status ? html`<h2>Tasks</h2>${status.tasks.length ? html`<ul>${status.tasks.map((t) => html`<li>${t.name}: <strong>${t.state}</strong>${t.rolloutId ? html` (rollout <a href="/rollouts/${t.rolloutId}">${t.rolloutId}</a>)` : ''}${t.message ? ` — ${t.message}` : ''}</li>`)}</ul>` : html`<p class="muted">No tasks.</p>`}` : ''}
</section>
<section class="card" aria-labelledby="h-notices"><h2 id="h-notices">Notices: who was told what, when</h2>
<table><thead><tr><th scope="col">Sent</th><th scope="col">Notice</th><th scope="col">To</th><th scope="col">Channel</th><th scope="col">State</th></tr></thead>
<tbody>${v.notices.length ? v.notices.map((n) => html`<tr><td>${time(n.sentAt)}</td><td>${n.kind}</td><td>${n.recipient}${n.to ? html` <span class="muted">&lt;${n.to}&gt;</span>` : ''}</td><td>${n.channel}</td><td>${n.state === 'sent' ? 'sent' : 'handed over (unconfirmed)'}</td></tr>`) : html`<tr><td colspan="5" class="muted">No notice has gone out for this occurrence.</td></tr>`}</tbody></table></section>
<p><a href="/calendar?date=${v.occurrence.localStart.slice(0, 10)}">Back to the calendar</a></p>`);
}

export function windowConfirmPage(v: OccurrenceView, control: OfferedWindowControl, viewer: Viewer): Html {
  const href = occurrenceHref(v.window, v.occurrence.start);
  return layout(`${WINDOW_LABEL[control.action]} ${v.window}?`, viewer, '/calendar', html`<section class="card" aria-labelledby="confirm"><h1 id="confirm">${WINDOW_LABEL[control.action]}: window ${v.window}, ${v.windowTime}?</h1>
<p class="consequence" id="consequence">${control.consequence[0]!.toUpperCase()}${control.consequence.slice(1)}.</p>
<p class="muted">Run ${v.runId}, ${v.run?.status.phase}. Recorded in the audit trail as ${viewer.identity.name}.</p>
<form class="stack" method="post" action="${href}/${control.action}" aria-describedby="consequence">
<input type="hidden" name="_csrf" value="${viewer.csrf}">
${control.action === 'extend' ? html`<label>Extend by<select name="minutes">${EXTEND_CHOICES_MIN.map((m) => html`<option value="${m}">${m < 60 ? `${m} minutes` : `${m / 60} hour${m === 60 ? '' : 's'}`}</option>`)}</select></label>` : ''}
<label>Reason (required; ${control.action === 'override' ? 'kept in the run and the audit trail' : 'customers read it in the notice'})<input name="reason" maxlength="500" required></label>
<div class="controls"><button class="${control.action === 'cancel' ? 'danger' : 'primary'}" type="submit">Yes, ${control.action}</button><a class="button" href="${href}">Back</a></div>
</form></section>`);
}

export function dependenciesPage(o: { repositories: DependencyRepositoryView[]; note?: string }, viewer: Viewer): Html {
  const prLink = (p: { number?: number; url?: string; title: string }) => (p.url && /^https?:\/\//.test(p.url) ? html`<a href="${p.url}">#${p.number} ${p.title}</a>` : p.title);
  return layout('Dependencies', viewer, '/dependencies', html`<h1>Dependencies</h1>
${o.note ? html`<p class="notice">${o.note}</p>` : ''}
${o.repositories.map((r) => html`<section class="card" aria-labelledby="repo-${r.repo.replace(/[^a-zA-Z0-9-]/g, '-')}" data-repo="${r.repo}">
<header><h2 id="repo-${r.repo.replace(/[^a-zA-Z0-9-]/g, '-')}">${r.repo}</h2><span class="status">${r.state}</span><span class="muted">base ${r.baseBranch}${r.mergeWindow ? ` · merges in window ${r.mergeWindow}` : ' · no merge window: PRs are merged by people'}${r.finishedAt ? html` · last run ${time(r.finishedAt)}` : ''}${r.dryRun ? ' (dry run)' : ''}</span></header>
${r.problems.length ? html`<ul class="notice error">${r.problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}
<h3>Open upgrade PRs (${r.openPullRequests.length})</h3>
${r.openPullRequests.length ? html`<ul class="prs">${r.openPullRequests.map((p) => html`<li data-branch="${p.branch}">${prLink(p)} <span class="muted small">${p.outcome} · ${p.updates.join(', ')}</span></li>`)}</ul>` : html`<p class="muted">None.</p>`}
${r.merged.length ? html`<h3>Merged by the last run</h3><ul>${r.merged.map((p) => html`<li>${prLink(p)}</li>`)}</ul>` : ''}
<h3>What waits, and why (${r.waiting.length})</h3>
${r.waiting.length ? html`<table class="waiting"><thead><tr><th scope="col">What</th><th scope="col">Waits for</th><th scope="col">Why</th></tr></thead><tbody>${r.waiting.map((w) => html`<tr data-kind="${w.kind}"><td>${w.what}</td><td><span class="pill p-warn">${w.kind}</span></td><td>${w.why}</td></tr>`)}</tbody></table>` : html`<p class="muted">Nothing waits.</p>`}
</section>`)}`);
}
