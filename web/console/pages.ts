/**
 * The console's pages, server-rendered. Every value goes through hono/html's escaping; nothing here
 * decides anything (what a control does and which are offered comes from control/console.ts).
 */
import { html } from 'hono/html';
import type { ConsoleIdentity } from '../../control/consoleAccess';
import type { HostLine, NowOverview, RolloutCardOrError, ServiceLine } from '../../control/console';
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

const PAGES = [['/', 'Now'], ['/hosts', 'Hosts'], ['/services', 'Services'], ['/audit', 'Audit']] as const;

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

function hostCell(h: HostCell): Html {
  const versions = h.before !== undefined || h.after !== undefined ? `${h.before ?? '?'} → ${h.after ?? '?'}` : '';
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

export function hostsPage(lines: { hosts: HostLine[]; unavailable: Record<string, string> }, viewer: Viewer): Html {
  return layout('Hosts', viewer, '/hosts', html`<h1>Hosts</h1>
<p class="muted">Hosts of the deployment's leases and of the rollouts on the Now page. Compliance (pending security updates, reboot pending, last patched) joins when hosts report it.</p>
${Object.entries(lines.unavailable).map(([part, why]) => html`<p class="notice error">${part} not available: ${why}</p>`)}
<table><thead><tr><th scope="col">Host</th><th scope="col">Lease holder</th><th scope="col">Out of service</th><th scope="col">Rollouts (state, before → after)</th></tr></thead>
<tbody>${lines.hosts.length ? lines.hosts.map((h) => html`<tr><td>${h.name}</td><td>${h.leasedBy ? html`<a href="/rollouts/${h.leasedBy}">${h.leasedBy}</a> since ${time(h.leasedSince)}` : '—'}</td><td>${h.down ?? '—'}</td>
<td>${h.rollouts.length ? h.rollouts.map((r) => html`<a href="/rollouts/${r.rolloutId}">${r.rolloutId}</a>: ${r.state}${r.before || r.after ? ` (${r.before ?? '?'} → ${r.after ?? '?'})` : ''}<br>`) : '—'}</td></tr>`) : html`<tr><td colspan="4" class="muted">No host is leased or in a current rollout.</td></tr>`}</tbody></table>`);
}

export function servicesPage(lines: ServiceLine[], viewer: Viewer): Html {
  return layout('Services', viewer, '/services', html`<h1>Services</h1>
<table><thead><tr><th scope="col">Service</th><th scope="col">State</th><th scope="col">Tier</th><th scope="col">This month</th><th scope="col">Budget left</th><th scope="col">Open incident</th><th scope="col">Last round</th></tr></thead>
<tbody>${lines.length ? lines.map((s) => html`<tr><td>${s.service}</td><td>${s.state}${s.stale ? ' (stale)' : ''}</td><td>${s.figures?.tier ?? '—'}</td>
<td>${s.figures ? `${s.figures.availabilityPercent === null ? 'no data' : `${s.figures.availabilityPercent.toFixed(3)}%`} of ${s.figures.targetPercent}%` : '—'}</td>
<td>${s.figures ? `${minutes(s.figures.budget.leftMinutes)} of ${minutes(s.figures.budget.allowedMinutes)}` : '—'}</td>
<td>${s.openIncident ? `${s.openIncident.summary} (since ${new Date(s.openIncident.openedAt).toISOString()})` : '—'}</td><td>${time(s.lastRoundAt)}</td></tr>`) : html`<tr><td colspan="7" class="muted">No service has probes.</td></tr>`}</tbody></table>`);
}
