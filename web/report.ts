/**
 * The monthly operations review as HTML (and Markdown), in the customer's language and timezone.
 * Plots are Vega-Lite specs rendered on the server to SVG by Vega's headless View (`toSVG()`
 * needs no canvas and no browser), embedded inline: the HTML has no external asset and is the
 * very page headless Chromium prints to PDF. Text is escaped by hono's `html` template; Vega
 * escapes the text it writes into its SVG.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Language } from '../policies/organisation/schema';
import type { MonthlyReport, ServiceReport } from '../policies/report/types';
import { LOCALE, UPTIME_BAR_STYLE, uptimeBar } from './statusPage';

interface Words {
  title: string;
  period: string;
  customer: string;
  availability: string;
  target: string;
  met: string;
  notMet: string;
  noData: string;
  noTier: string;
  budget: string;
  budgetText: (spent: string, allowed: string, used: string) => string;
  maintenanceCounted: (counts: boolean) => string;
  incidents: string;
  noIncidents: string;
  start: string;
  duration: string;
  cause: string;
  open: string;
  windows: string;
  noWindows: string;
  window: string;
  planned: string;
  actual: string;
  ran: string;
  impact: string;
  impactText: (failed: number, minutes: string) => string;
  patches: string;
  patchesText: (hosts: number, packages: number, security: number, other: number) => string;
  host: string;
  pkg: string;
  fromTo: string;
  kind: string;
  classification: Record<string, string>;
  rollbacks: string;
  noRollbacks: string;
  why: string;
  /** A rollback whose cause nothing recorded. */
  causeUnknown: string;
  compliance: string;
  complianceText: (compliant: number, hosts: number, pending: number) => string;
  dependencies: string;
  depsText: (opened: number, merged: number, waiting: number, median: string) => string;
  notRecorded: (why: string) => string;
  /** A window run that began after its window had ended: nothing ran. */
  missedWhy: string;
  mergedByPeople: string;
  nextMonth: string;
  noNextMonth: string;
  phase: Record<string, string>;
  charts: { daily: string; weekly: string; latency: string; compliance: string; uptime: string; day: string; week: string; minutes: string; days: string; patches: string; percent: string; targetLine: string };
  minutes: (m: string) => string;
  /** A longer span: hours below two days, else days (a time to merge). */
  hours: (h: string) => string;
  days: (d: string) => string;
  generated: string;
  timesIn: (zone: string) => string;
}

const WORDS: Record<Language, Words> = {
  en: {
    title: 'Monthly operations review', period: 'Period', customer: 'For', availability: 'Availability', target: 'target', met: 'target met', notMet: 'target missed', noData: 'no data', noTier: 'no SLA tier',
    budget: 'Error budget', budgetText: (s, a, u) => `${s} of ${a} used (${u})`,
    maintenanceCounted: (c) => (c ? 'planned maintenance counts towards availability' : 'planned maintenance is left out of availability'),
    incidents: 'Incidents', noIncidents: 'No incidents.', start: 'Start', duration: 'Duration', cause: 'Cause', open: 'still open',
    windows: 'Maintenance windows held', noWindows: 'No maintenance this month.', window: 'Window', planned: 'Planned', actual: 'Actual', ran: 'What ran', impact: 'Visible impact',
    impactText: (f, m) => (f === 0 ? 'none measured' : `${f} failed checks, ${m} down`),
    patches: 'Patches applied', patchesText: (h, p, s, o) => `${p} package update${p === 1 ? '' : 's'} on ${h} host${h === 1 ? '' : 's'}: ${s} security, ${o} other.`,
    host: 'Host', pkg: 'Package', fromTo: 'Version', kind: 'Kind', classification: { security: 'security', bugfix: 'bug fix', enhancement: 'enhancement', other: 'other', unclassified: 'unclassified' },
    rollbacks: 'Rollbacks', noRollbacks: 'No rollbacks.', why: 'Why', causeUnknown: 'cause not recorded',
    compliance: 'Patch compliance at month end', complianceText: (c, h, p) => `${c} of ${h} hosts compliant; ${p} security update${p === 1 ? '' : 's'} pending.`,
    dependencies: 'Dependency updates', depsText: (o, m, w, med) => `${o} PRs opened, ${m} merged, ${w} waiting; median time to merge ${med}.`,
    notRecorded: (why) => `Not recorded (${why}).`, missedWhy: 'not carried out: it would have started after the window had ended', mergedByPeople: 'Merges by people are not recorded; merged counts automatic merges.',
    nextMonth: 'Maintenance planned next month', noNextMonth: 'No maintenance planned.',
    phase: { completed: 'completed', 'rolled-back': 'rolled back', cancelled: 'cancelled', 'in-progress': 'in progress', scheduled: 'scheduled', missed: 'missed' },
    charts: { daily: 'Daily availability against the target', weekly: 'Maintenance minutes per week', latency: 'Patch latency: release to installed', compliance: 'Compliant hosts', uptime: 'Uptime, last 90 days', day: 'Day', week: 'Week', minutes: 'Minutes', days: 'Days', patches: 'Patches', percent: '%', targetLine: 'target' },
    minutes: (m) => `${m} min`, hours: (h) => `${h} h`, days: (d) => `${d} days`, generated: 'Generated', timesIn: (z) => `Times in ${z}.`,
  },
  nl: {
    title: 'Maandelijks operationeel overzicht', period: 'Periode', customer: 'Voor', availability: 'Beschikbaarheid', target: 'doel', met: 'doel gehaald', notMet: 'doel niet gehaald', noData: 'geen gegevens', noTier: 'geen SLA-niveau',
    budget: 'Foutbudget', budgetText: (s, a, u) => `${s} van ${a} gebruikt (${u})`,
    maintenanceCounted: (c) => (c ? 'gepland onderhoud telt mee voor de beschikbaarheid' : 'gepland onderhoud telt niet mee voor de beschikbaarheid'),
    incidents: 'Storingen', noIncidents: 'Geen storingen.', start: 'Begin', duration: 'Duur', cause: 'Oorzaak', open: 'nog open',
    windows: 'Uitgevoerd onderhoud', noWindows: 'Geen onderhoud deze maand.', window: 'Onderhoud', planned: 'Gepland', actual: 'Werkelijk', ran: 'Wat er liep', impact: 'Merkbaar voor u',
    impactText: (f, m) => (f === 0 ? 'niets gemeten' : `${f} mislukte metingen, ${m} onbereikbaar`),
    patches: 'Geïnstalleerde updates', patchesText: (h, p, s, o) => `${p} pakketupdate${p === 1 ? '' : 's'} op ${h} server${h === 1 ? '' : 's'}: ${s} beveiliging, ${o} overig.`,
    host: 'Server', pkg: 'Pakket', fromTo: 'Versie', kind: 'Soort', classification: { security: 'beveiliging', bugfix: 'foutherstel', enhancement: 'verbetering', other: 'overig', unclassified: 'onbekend' },
    rollbacks: 'Teruggedraaid', noRollbacks: 'Niets teruggedraaid.', why: 'Waarom', causeUnknown: 'oorzaak niet vastgelegd',
    compliance: 'Patchstatus aan het eind van de maand', complianceText: (c, h, p) => `${c} van ${h} servers bijgewerkt; ${p} beveiligingsupdate${p === 1 ? '' : 's'} open.`,
    dependencies: 'Updates van afhankelijkheden', depsText: (o, m, w, med) => `${o} PR's geopend, ${m} samengevoegd, ${w} wachtend; mediane tijd tot samenvoegen ${med}.`,
    notRecorded: (why) => `Niet vastgelegd (${why}).`, missedWhy: 'niet uitgevoerd: het zou pas na het einde van het venster zijn begonnen', mergedByPeople: 'Samenvoegingen door mensen worden niet vastgelegd; samengevoegd telt automatische samenvoegingen.',
    nextMonth: 'Gepland onderhoud volgende maand', noNextMonth: 'Geen onderhoud gepland.',
    phase: { completed: 'voltooid', 'rolled-back': 'teruggedraaid', cancelled: 'geannuleerd', 'in-progress': 'bezig', scheduled: 'gepland', missed: 'gemist' },
    charts: { daily: 'Beschikbaarheid per dag tegenover het doel', weekly: 'Onderhoudsminuten per week', latency: 'Tijd van uitgave tot installatie', compliance: 'Bijgewerkte servers', uptime: 'Beschikbaarheid, afgelopen 90 dagen', day: 'Dag', week: 'Week', minutes: 'Minuten', days: 'Dagen', patches: 'Updates', percent: '%', targetLine: 'doel' },
    minutes: (m) => `${m} min`, hours: (h) => `${h} uur`, days: (d) => `${d} dagen`, generated: 'Gemaakt', timesIn: (z) => `Tijden in ${z}.`,
  },
};

/** Vega's number locale per language: the axes of the Dutch report write decimal commas. */
const VEGA_NUMBER_LOCALE: Record<Language, object> = {
  en: { decimal: '.', thousands: ',', grouping: [3], currency: ['£', ''] },
  nl: { decimal: ',', thousands: '.', grouping: [3], currency: ['€\u00a0', ''] },
};

type VegaLiteSpec = Record<string, unknown>;

/** One Vega-Lite spec as an SVG string, rendered without a browser. */
let charting: Promise<{ vega: typeof import('vega'); vl: typeof import('vega-lite') }> | undefined;

async function svg(spec: VegaLiteSpec, lang: Language): Promise<string> {
  // Both are ESM with top-level await: imported (not required), once, one after the other (they share modules).
  charting ??= (async () => ({ vega: await import('vega'), vl: await import('vega-lite') }))();
  const { vega, vl } = await charting;
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 640, height: 160, background: 'white', config: { font: 'sans-serif' }, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', locale: { number: VEGA_NUMBER_LOCALE[lang] } } as never);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface ReportFormat {
  lang: Language;
}

/** Why a window ran as it did: the reason given (cancel, extension), or, for a missed run, the words for it. */
function windowWhy(x: ServiceReport['windows'][number], w: Words): string | undefined {
  return x.reason ?? (x.phase === 'missed' ? w.missedWhy : undefined);
}

/** A time to merge: minutes below two hours, hours below two days, else days (a decimal only where it says something). */
function longSpan(w: Words, num: (n: number, digits?: number) => string, m: number): string {
  const short = (n: number) => num(n, Number.isInteger(n) ? 0 : 1);
  if (m < 120) return w.minutes(short(Math.round(m)));
  if (m < 2 * 1440) return w.hours(short(Math.round(m / 6) / 10));
  return w.days(short(Math.round(m / 144) / 10));
}

function formatters(report: MonthlyReport, lang: Language) {
  const locale = LOCALE[lang];
  const zone = report.customer.timezone;
  const num = (n: number, digits = 1) => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
  // An availability is never rounded up to the target: floored to three decimals.
  const pct = (n: number | null) => (n === null ? WORDS[lang].noData : `${new Intl.NumberFormat(locale, { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(Math.floor(n * 1000) / 1000)}%`);
  const when = (isoTime: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone }).format(new Date(isoTime));
  const monthName = new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: zone }).format(new Date(report.from));
  return { locale, zone, num, pct, when, monthName };
}

/** The charts of one report, as SVG strings by name (a chart without data is absent). */
export async function reportCharts(report: MonthlyReport, lang: Language): Promise<Record<string, string>> {
  const w = WORDS[lang].charts;
  const out: Record<string, string> = {};
  const daily = report.services.flatMap((s) => s.daily.filter((d) => d.availabilityPercent !== null).map((d) => ({ day: Number(d.day.slice(8)), service: s.title[lang], percent: d.availabilityPercent })));
  const targets = report.services.flatMap((s) => (s.tier ? [{ service: s.title[lang], target: s.tier.targetPercent }] : []));
  if (daily.length > 0) {
    const min = Math.min(99, ...daily.map((d) => d.percent!), ...targets.map((t) => t.target));
    out.daily = await svg({
      layer: [
        { data: { values: daily }, mark: { type: 'line', point: true }, encoding: { x: { field: 'day', type: 'ordinal', title: w.day }, y: { field: 'percent', type: 'quantitative', title: w.percent, scale: { domain: [Math.floor(min), 100] }, axis: { format: '.1f' } }, color: { field: 'service', type: 'nominal', title: null } } },
        ...(targets.length > 0 ? [{ data: { values: targets }, mark: { type: 'rule', strokeDash: [4, 3], color: '#cf222e' }, encoding: { y: { field: 'target', type: 'quantitative' } } }] : []),
      ],
    }, lang);
  }
  const weeks = report.maintenance.minutesPerWeek.map((x) => ({ week: `${w.week} ${Number(x.week.slice(6))}`, minutes: x.minutes }));
  if (weeks.length > 0) out.weekly = await svg({ data: { values: weeks }, mark: 'bar', encoding: { x: { field: 'week', type: 'ordinal', title: null, sort: null, axis: { labelAngle: 0 } }, y: { field: 'minutes', type: 'quantitative', title: w.minutes } } }, lang);
  if (report.patches.latencyDays.length > 0) {
    out.latency = await svg({ data: { values: report.patches.latencyDays.map((d) => ({ days: d })) }, mark: 'bar', encoding: { x: { field: 'days', type: 'quantitative', bin: { maxbins: 15 }, title: w.days }, y: { aggregate: 'count', type: 'quantitative', title: w.patches } } }, lang);
  }
  const trend = report.compliance.trend.filter((t) => t.compliantPercent !== null).map((t) => ({ day: Number(t.day.slice(8)), percent: t.compliantPercent }));
  if (trend.length > 0) out.compliance = await svg({ data: { values: trend }, mark: { type: 'line', point: true, interpolate: 'step-after' }, encoding: { x: { field: 'day', type: 'ordinal', title: w.day }, y: { field: 'percent', type: 'quantitative', title: w.percent, scale: { domain: [0, 100] } } } }, lang);
  return out;
}

/** The whole report as one self-contained HTML page. */
export async function renderReportHtml(report: MonthlyReport, format: ReportFormat): Promise<string> {
  const { lang } = format;
  const w = WORDS[lang];
  const f = formatters(report, lang);
  const charts = await reportCharts(report, lang);
  const chart = (name: string, title: string) => (charts[name] ? html`<figure><figcaption>${title}</figcaption>${raw(charts[name])}</figure>` : '');
  const minutes = (m: number) => w.minutes(f.num(m));

  const serviceSection = (s: ServiceReport) => {
    const a = s.availability;
    return html`<section class="service">
  <h2>${s.title[lang]}</h2>
  ${a ? html`<p class="figure"><strong data-figure="availability">${f.pct(a.availabilityPercent)}</strong> ${w.availability.toLowerCase()} · ${w.target} ${f.pct(a.targetPercent)} (${s.tier!.name}) · <span class="${a.met === false ? 'bad' : 'good'}">${a.met === null ? w.noData : a.met ? w.met : w.notMet}</span></p>
  <p>${w.budget}: <span data-figure="budget">${w.budgetText(minutes(a.errorBudget.spentMinutes), minutes(a.errorBudget.allowedMinutes), a.errorBudget.usedPercent === null ? '–' : `${f.num(a.errorBudget.usedPercent)}%`)}</span>; ${w.maintenanceCounted(s.tier!.plannedMaintenanceCounts)}.</p>` : html`<p class="muted">${w.noTier}</p>`}
  ${s.uptime90.length > 0 ? html`<p class="small muted">${w.charts.uptime}</p>${raw(uptimeBar(s.uptime90, lang))}` : ''}
  <h3>${w.incidents}</h3>
  ${s.incidents.length === 0 ? html`<p class="muted">${w.noIncidents}</p>` : html`<table><thead><tr><th>${w.start}</th><th>${w.duration}</th><th>${w.cause}</th></tr></thead><tbody>${s.incidents.map((i) => html`<tr><td>${f.when(i.start)}</td><td>${minutes(i.durationMinutes)}${i.open ? ` (${w.open})` : ''}</td><td>${i.cause}${i.windowRun ? html` <span class="muted">(${i.windowRun})</span>` : ''}</td></tr>`)}</tbody></table>`}
  <h3>${w.windows}</h3>
  ${s.windows.length === 0 ? html`<p class="muted">${w.noWindows}</p>` : html`<table><thead><tr><th>${w.window}</th><th>${w.planned}</th><th>${w.actual}</th><th>${w.ran}</th><th>${w.impact}</th></tr></thead><tbody>${s.windows.map((x) => html`<tr><td>${x.title[lang]}<br><span class="small muted">${f.when(x.start)} · ${w.phase[x.phase] ?? x.phase}</span></td><td>${minutes(x.plannedMinutes)}</td><td>${x.actualMinutes === null ? '–' : minutes(x.actualMinutes)}</td><td>${x.tasks.map((t) => `${t.name}: ${w.phase[t.state] ?? t.state}`).join(', ')}${windowWhy(x, w) ? html`<br><span class="small">${windowWhy(x, w)}</span>` : ''}</td><td>${w.impactText(x.impact.failedProbeResults, minutes(x.impact.downMinutes))}</td></tr>`)}</tbody></table>`}
</section>`;
  };

  const p = report.patches;
  const c = report.compliance.monthEnd;
  const d = report.dependencies;
  const page = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${report.organisation.name} — ${w.title} ${f.monthName} — ${report.customer.name}</title>
<style>${raw(STYLE)}${raw(UPTIME_BAR_STYLE)}</style>
</head>
<body>
<header><p class="org">${report.organisation.name}</p><h1>${w.title}: ${f.monthName}</h1>
<p>${w.customer} <strong>${report.customer.name}</strong> · ${w.period} ${f.when(report.from)} – ${f.when(report.to)}</p></header>
<main>
${chart('daily', w.charts.daily)}
${report.services.map(serviceSection)}
<section><h2>${w.patches}</h2><p data-figure="patches">${w.patchesText(p.hosts, p.packages, p.security, p.other)}</p>
${p.rows.length > 0 ? html`<table><thead><tr><th>${w.host}</th><th>${w.pkg}</th><th>${w.fromTo}</th><th>${w.kind}</th></tr></thead><tbody>${p.rows.map((r) => html`<tr><td>${r.host}</td><td>${r.package}</td><td>${r.from || '–'} → ${r.to}</td><td>${w.classification[r.classification] ?? r.classification}</td></tr>`)}</tbody></table>` : ''}
${chart('latency', w.charts.latency)}</section>
<section><h2>${w.rollbacks}</h2>${report.rollbacks.length === 0 ? html`<p class="muted">${w.noRollbacks}</p>` : html`<table><thead><tr><th>${w.window}</th><th>${w.start}</th><th>${w.why}</th></tr></thead><tbody>${report.rollbacks.map((r) => html`<tr><td>${r.window ?? r.rolloutId ?? ''}</td><td>${f.when(r.at)}</td><td>${r.why ?? w.causeUnknown}</td></tr>`)}</tbody></table>`}</section>
${chart('weekly', w.charts.weekly)}
<section><h2>${w.compliance}</h2><p data-figure="compliance">${w.complianceText(c.compliant, report.compliance.hosts, c.securityPending)}</p>${chart('compliance', w.charts.compliance)}</section>
<section><h2>${w.dependencies}</h2>${d.recorded ? html`<p data-figure="dependencies">${w.depsText(d.opened, d.merged, d.waiting, d.medianMinutesToMerge === null ? '–' : longSpan(w, f.num, d.medianMinutesToMerge))}</p>${d.mergedByPeople === 'not recorded' ? html`<p class="small muted">${w.mergedByPeople}</p>` : ''}` : html`<p>${w.notRecorded(d.why)}</p>`}</section>
<section><h2>${w.nextMonth}</h2>${report.nextMonth.length === 0 ? html`<p class="muted">${w.noNextMonth}</p>` : html`<ul>${report.nextMonth.map((n) => html`<li>${n.title[lang]}: ${f.when(n.start)} – ${f.when(n.end)}</li>`)}</ul>`}</section>
</main>
<footer class="small muted"><p>${w.timesIn(f.zone)} ${w.generated} ${f.when(report.generatedAt)}. ${report.organisation.contact.email}</p></footer>
</body>
</html>`;
  return String(page as HtmlEscapedString);
}

/** The same figures as Markdown (no plots). */
export function renderReportMarkdown(report: MonthlyReport, format: ReportFormat): string {
  const { lang } = format;
  const w = WORDS[lang];
  const f = formatters(report, lang);
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const minutes = (m: number) => w.minutes(f.num(m));
  const lines = [`# ${w.title}: ${f.monthName}`, '', `${w.customer} **${cell(report.customer.name)}** (${report.organisation.name})`, ''];
  for (const s of report.services) {
    lines.push(`## ${cell(s.title[lang])}`, '');
    const a = s.availability;
    lines.push(a ? `${w.availability}: **${f.pct(a.availabilityPercent)}** (${w.target} ${f.pct(a.targetPercent)}); ${w.budget}: ${w.budgetText(minutes(a.errorBudget.spentMinutes), minutes(a.errorBudget.allowedMinutes), a.errorBudget.usedPercent === null ? '–' : `${f.num(a.errorBudget.usedPercent)}%`)}` : w.noTier, '');
    lines.push(`### ${w.incidents}`, '', ...(s.incidents.length === 0 ? [w.noIncidents] : s.incidents.map((i) => `- ${f.when(i.start)}: ${minutes(i.durationMinutes)}, ${cell(i.cause)}`)), '');
    lines.push(`### ${w.windows}`, '', ...(s.windows.length === 0 ? [w.noWindows] : s.windows.map((x) => `- ${cell(x.title[lang])} ${f.when(x.start)} (${w.phase[x.phase] ?? x.phase}): ${w.planned.toLowerCase()} ${minutes(x.plannedMinutes)}, ${w.actual.toLowerCase()} ${x.actualMinutes === null ? '–' : minutes(x.actualMinutes)}; ${w.impact.toLowerCase()}: ${w.impactText(x.impact.failedProbeResults, minutes(x.impact.downMinutes))}${windowWhy(x, w) ? `; ${windowWhy(x, w)}` : ''}`)), '');
  }
  const p = report.patches;
  lines.push(`## ${w.patches}`, '', w.patchesText(p.hosts, p.packages, p.security, p.other), '');
  lines.push(`## ${w.rollbacks}`, '', ...(report.rollbacks.length === 0 ? [w.noRollbacks] : report.rollbacks.map((r) => `- ${r.window ?? r.rolloutId ?? ''} ${f.when(r.at)}: ${cell(r.why ?? w.causeUnknown)}`)), '');
  lines.push(`## ${w.compliance}`, '', w.complianceText(report.compliance.monthEnd.compliant, report.compliance.hosts, report.compliance.monthEnd.securityPending), '');
  const d = report.dependencies;
  lines.push(`## ${w.dependencies}`, '', d.recorded ? w.depsText(d.opened, d.merged, d.waiting, d.medianMinutesToMerge === null ? '–' : longSpan(w, f.num, d.medianMinutesToMerge)) : w.notRecorded(d.why), '');
  lines.push(`## ${w.nextMonth}`, '', ...(report.nextMonth.length === 0 ? [w.noNextMonth] : report.nextMonth.map((n) => `- ${cell(n.title[lang])}: ${f.when(n.start)} – ${f.when(n.end)}`)), '');
  return `${lines.join('\n')}\n`;
}

const STYLE = `
:root{--up:#1a7f37;--deg:#9a6700;--down:#cf222e;--none:#d0d7de}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:0 auto;max-width:48rem;padding:1.5rem}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.4rem 0 .4rem;break-after:avoid}h3{font-size:1rem;margin:1rem 0 .3rem}
.org{color:#59636e;margin:0}.muted{color:#59636e}.small{font-size:.85rem}.good{color:var(--up)}.bad{color:var(--down);font-weight:600}
.figure strong{font-size:1.3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0;break-inside:auto}th,td{text-align:left;vertical-align:top;border-bottom:1px solid #d8dee4;padding:.25rem .4rem}tr{break-inside:avoid}
figure{margin:1rem 0;break-inside:avoid}figcaption{font-weight:600;margin-bottom:.3rem}figure svg{max-width:100%;height:auto}
section.service{break-inside:auto}
@page{size:A4;margin:14mm}
`;
