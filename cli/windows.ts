import { DateTime } from 'luxon';
import { parseDurationMs } from '../policies/common/durations';
import type { Language } from '../policies/organisation/schema';
import { NOTICE_KINDS, renderNotice, type NoticeKind } from '../policies/notices/render';
import type { WindowPlan, WindowStatus } from '../policies/windows/types';
import { isKnownTimezone } from '../policies/windows/schema';
import { nextOccurrences } from '../policies/windows/occurrences';
import { connectClient, withClient, type Connected } from '../control/connection';
import { loadOrganisation } from '../control/organisation';
import { appliedPlans, cancelWindow, extendWindow, overrideErrorBudget, windowRuns } from '../control/windowRuns';
import { startFeedServer } from '../web/server';
import { publicStatusSource } from '../control/statusPage';
import { parseEnvironment } from '../policies/common/environment';
import { openStore, storeConfig, type Store } from '../store';
import { defaultDataDir } from '../worker';
import { auditAction } from './db';
import { CliError, EXIT } from './errors';
import { renderTable } from './table';

/** Plans from the files when given (what would be applied), else from Temporal (what is applied). */
async function plansFrom(files: string[] | undefined, now?: Date): Promise<WindowPlan[]> {
  if (files && files.length > 0) return (await loadOrganisation(files, now)).windows;
  return withClient((c) => appliedPlans(c.client));
}

function viewerZone(tz: string | undefined): string {
  const zone = tz ?? process.env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!isKnownTimezone(zone)) throw new CliError(EXIT.invalidInput, `--tz: unknown timezone "${zone}" (expected an IANA name like Europe/Amsterdam)`);
  return zone;
}

const local = (iso: string, zone: string) => DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).setLocale('en-GB').toFormat('ccc yyyy-LL-dd HH:mm ZZZZ');

function describeRecurrence(plan: WindowPlan): string {
  const r = plan.timing.recurrence;
  const offset = 'offsetDays' in r && r.offsetDays !== 0 ? ` ${r.offsetDays > 0 ? '+' : ''}${r.offsetDays}d` : '';
  switch (r.kind) {
    case 'once':
      return `once ${r.at}`;
    case 'weekly':
      return `weekly ${r.days.join(',')} ${r.at}${offset}`;
    case 'monthly':
      return `monthly ${r.week === 'last' ? 'last' : `#${r.week}`} ${r.day} ${r.at}${offset}`;
    case 'cron':
      return `cron "${r.expression}"${offset}`;
  }
}

export async function windowsList(opts: { files?: string[]; tz?: string; json?: boolean }): Promise<number> {
  const plans = await plansFrom(opts.files);
  const zone = viewerZone(opts.tz);
  const now = new Date();
  const rows = plans.map((p) => ({ plan: p, next: nextOccurrences(p.timing, now, 1)[0] }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows.map((r) => ({ window: r.plan.name, timezone: r.plan.timing.timezone, recurrence: r.plan.timing.recurrence, durationMs: r.plan.timing.durationMs, cutoffMs: r.plan.timing.cutoffMs, services: r.plan.services.map((s) => s.name), tasks: r.plan.tasks.map((t) => t.name), next: r.next ?? null })), null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    process.stderr.write('no windows (apply some with: maint apply -f maint.yaml)\n');
    return EXIT.ok;
  }
  process.stdout.write(`${renderTable(
    ['window', 'when', 'duration', 'next start (window time)', `next start (${zone})`, 'services', 'tasks'],
    rows.map(({ plan, next }) => [
      plan.name, `${describeRecurrence(plan)} ${plan.timing.timezone}`, `${plan.timing.durationMs / 60_000} min`,
      next ? local(next.start, plan.timing.timezone) : '-', next ? local(next.start, zone) : '-',
      plan.services.map((s) => s.name).join(','), plan.tasks.map((t) => t.name).join(',') || '-',
    ]),
  )}\n`);
  return EXIT.ok;
}

/**
 * `--from`: an ISO date (midnight) or local date and time, read in the viewer's timezone, or an
 * instant with an offset (`Z`, `+01:00`).
 */
function parseFrom(value: string, zone: string): Date {
  const t = DateTime.fromISO(value, { zone, setZone: true });
  if (!t.isValid || !/^\d{4}-\d\d-\d\d/.test(value)) {
    throw new CliError(EXIT.invalidInput, `--from: expected an ISO date or time like 2026-12-20, 2026-12-20T22:00 (in ${zone}) or 2026-12-20T21:00:00Z, got "${value}"`);
  }
  return t.toJSDate();
}

export async function windowsNext(opts: { name?: string; count: number; from?: string; files?: string[]; tz?: string; json?: boolean }): Promise<number> {
  const zone = viewerZone(opts.tz);
  const from = opts.from !== undefined ? parseFrom(opts.from, zone) : new Date();
  // From files, .ics calendars are read around `from`; applied plans hold what was read when applied.
  const plans = (await plansFrom(opts.files, from)).filter((p) => opts.name === undefined || p.name === opts.name);
  if (opts.name !== undefined && plans.length === 0) throw new CliError(EXIT.invalidInput, `no window named "${opts.name}"`);
  const rows = plans
    .flatMap((p) => nextOccurrences(p.timing, from, opts.count, { includeBlackedOut: true }).map((o) => ({ plan: p, o })))
    .sort((a, b) => a.o.start.localeCompare(b.o.start))
    .slice(0, opts.name === undefined ? opts.count * Math.max(1, plans.length) : opts.count);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows.map(({ plan, o }) => ({ window: plan.name, ...o })), null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${renderTable(
    ['window', 'start (window time)', 'end', `start (${zone})`, 'cutoff', 'note'],
    rows.map(({ plan, o }) => [
      plan.name, local(o.start, plan.timing.timezone), DateTime.fromISO(o.end, { zone: 'utc' }).setZone(plan.timing.timezone).toFormat('HH:mm'),
      local(o.start, zone), DateTime.fromISO(o.cutoff, { zone: 'utc' }).setZone(plan.timing.timezone).toFormat('HH:mm'),
      o.blackout ? `BLACKOUT: ${o.blackout.reason}` : '',
    ]),
  )}\n`);
  return EXIT.ok;
}

function renderStatus(s: WindowStatus): string {
  const lines = [
    `window ${s.window}  ${s.occurrence.localStart} → ${s.end}  ${s.phase}${s.reason ? ` (${s.reason})` : ''}`,
    ...s.tasks.map((t) => `  task ${t.name}: ${t.state}${t.rolloutId ? `  (maint rollout status ${t.rolloutId})` : ''}${t.message ? `  ${t.message}` : ''}`),
    ...s.notices.map((n) => `  notice ${n.kind}: ${n.delivered} delivered${n.failed > 0 ? `, ${n.failed} FAILED` : ''} at ${n.sentAt}`),
    ...(s.preflight ? [`  pre-flight ${s.preflight.at}: ${s.preflight.ok ? 'ok' : `${s.preflight.problems.length} problem(s)`}`, ...s.preflight.problems.map((p) => `    ${p}`)] : []),
  ];
  return lines.join('\n');
}

export async function windowsStatus(opts: { name?: string; json?: boolean }): Promise<number> {
  return withClient(async (c) => {
    const runs = await windowRuns(c.client, { ...(opts.name !== undefined ? { window: opts.name } : {}), sinceDays: 60, limit: 50 });
    if (opts.json) process.stdout.write(`${JSON.stringify(runs.map((r) => r.status), null, 2)}\n`);
    else process.stdout.write(runs.length === 0 ? 'no window has run yet (runs start at the first notice lead time)\n' : `${runs.map((r) => renderStatus(r.status)).join('\n\n')}\n`);
    return EXIT.ok;
  });
}

export async function windowsCancel(opts: { name: string; reason: string; json?: boolean }): Promise<number> {
  const by = process.env.USER ?? 'cli';
  const status = await withClient((c) => cancelWindow(c.client, opts.name, { reason: opts.reason, by }));
  await auditAction({ actor: by, action: 'cancel', subject: `window ${status.window}`, reason: opts.reason, detail: { occurrence: status.occurrence.start } });
  process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `cancelled: ${status.window} ${status.occurrence.localStart}; customers who were told get a "cancelled" notice\n`);
  return EXIT.ok;
}

export async function windowsOverride(opts: { name: string; reason: string; json?: boolean }): Promise<number> {
  const by = process.env.USER ?? 'cli';
  const status = await withClient((c) => overrideErrorBudget(c.client, opts.name, { reason: opts.reason, by }));
  await auditAction({ actor: by, action: 'override', subject: `window ${status.window}`, reason: opts.reason, detail: { occurrence: status.occurrence.start, override: 'error budget' } });
  process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `override: ${status.window} ${status.occurrence.localStart} runs its routine tasks although an error budget is spent (recorded in the audit trail)\n`);
  return EXIT.ok;
}

export async function windowsExtend(opts: { name: string; until?: string; by?: string; reason: string; json?: boolean }): Promise<number> {
  if ((opts.until === undefined) === (opts.by === undefined)) throw new CliError(EXIT.invalidInput, 'give exactly one of --until 2026-12-08T23:30:00Z or --by 30m');
  if (opts.by !== undefined && !/^(\d+(ms|s|m|h|d))+$/.test(opts.by)) throw new CliError(EXIT.invalidInput, `--by: expected a duration like 30m or 1h, got "${opts.by}"`);
  if (opts.until !== undefined && !Number.isFinite(Date.parse(opts.until))) throw new CliError(EXIT.invalidInput, `--until: expected an ISO time like 2026-12-08T23:30:00Z, got "${opts.until}"`);
  const when = opts.until !== undefined ? { until: opts.until } : { byMs: parseDurationMs(opts.by!) };
  const actor = process.env.USER ?? 'cli';
  const status = await withClient((c) => extendWindow(c.client, opts.name, { ...when, reason: opts.reason, by: actor }));
  await auditAction({ actor, action: 'extend', subject: `window ${status.window}`, reason: opts.reason, detail: { end: status.end } });
  process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : `extended: ${status.window} now ends ${status.end}; customers get an "extended" notice\n`);
  return EXIT.ok;
}

export async function noticesPreview(opts: { window: string; kind: string; lang: string; files?: string[]; tz?: string; html?: boolean }): Promise<number> {
  if (!(NOTICE_KINDS as readonly string[]).includes(opts.kind)) throw new CliError(EXIT.invalidInput, `--kind: expected one of ${NOTICE_KINDS.join(', ')}`);
  if (opts.lang !== 'nl' && opts.lang !== 'en') throw new CliError(EXIT.invalidInput, '--lang: expected nl or en');
  const plan = (await plansFrom(opts.files)).find((p) => p.name === opts.window);
  if (!plan) throw new CliError(EXIT.invalidInput, `no window named "${opts.window}"`);
  const next = nextOccurrences(plan.timing, new Date(), 1)[0];
  if (!next) throw new CliError(EXIT.invalidInput, `window ${opts.window} has no upcoming occurrence`);
  const lang = opts.lang as Language;
  const timezone = opts.tz !== undefined ? viewerZone(opts.tz) : plan.recipients.find((r) => r.language === lang)?.timezone ?? plan.timing.timezone;
  const notice = renderNotice({
    kind: opts.kind as NoticeKind, language: lang, timezone, recipientName: plan.recipients.find((r) => r.language === lang)?.name ?? (lang === 'nl' ? 'klant' : 'customer'),
    organisation: plan.organisation,
    window: { title: plan.title, services: plan.services.map((s) => s.title), start: next.start, end: next.end },
    ...(plan.impact !== undefined ? { impact: plan.impact } : {}),
    ...(opts.kind === 'extended' || opts.kind === 'cancelled' ? { reason: lang === 'nl' ? '(reden)' : '(reason)' } : {}),
    finishedAt: next.end,
  });
  process.stdout.write(opts.html ? `${notice.html}\n` : `Subject: ${notice.subject}\n\n${notice.text}`);
  return EXIT.ok;
}

/**
 * The public feeds and status page backed by a Temporal client and the store (probe results): applied
 * schedules, window runs of the last 90 days and the services' probes, of one organisation when
 * named (a status page is one organisation's; others' windows in the same namespace are never shown on it).
 */
export function startFeedsFor(client: Connected['client'], opts: { port: number; host?: string; publicUrl?: string; cacheMs?: number; staleMs?: number; organisation?: string; store?: Store }) {
  return startFeedServer(
    publicStatusSource(client, { ...(opts.organisation !== undefined ? { organisation: opts.organisation } : {}), ...(opts.store ? { store: opts.store } : {}) }),
    {
      port: opts.port, ...(opts.host !== undefined ? { host: opts.host } : {}), ...(opts.publicUrl !== undefined ? { publicUrl: opts.publicUrl } : {}),
      ...(opts.cacheMs !== undefined ? { cacheMs: opts.cacheMs } : {}), ...(opts.staleMs !== undefined ? { staleMs: opts.staleMs } : {}),
    },
  );
}

/** The store the workers write probe results to, opened as it is (the workers migrate it); undefined, with a warning, when it cannot be opened. */
export async function openStatusStore(dataDir?: string): Promise<Store | undefined> {
  const env = parseEnvironment(process.env);
  try {
    return await openStore(storeConfig(env, dataDir ?? defaultDataDir(env)), { migrate: false });
  } catch (err) {
    process.stderr.write(`status page: service states are not shown: ${(err as Error).message}\n`);
    return undefined;
  }
}

/** `maint serve`: the public feeds until SIGINT/SIGTERM. */
export async function serveFeeds(opts: { port: number; host: string; publicUrl?: string; cache?: string; stale?: string; organisation?: string }): Promise<number> {
  if (opts.cache !== undefined && !/^(\d+(ms|s|m|h))+$/.test(opts.cache)) throw new CliError(EXIT.invalidInput, `--cache: expected a duration like 3s, 500ms or 1m, got "${opts.cache}"`);
  if (opts.stale !== undefined && !/^(\d+(ms|s|m|h))+$/.test(opts.stale)) throw new CliError(EXIT.invalidInput, `--stale: expected a duration like 10m, 30s or 1h, got "${opts.stale}"`);
  const c = await connectClient();
  let organisation = opts.organisation;
  try {
    if (organisation === undefined) {
      // Without --organisation: the one organisation applied to this namespace; several are ambiguous.
      const names = [...new Set((await appliedPlans(c.client)).map((p) => p.organisation.name))].sort();
      if (names.length > 1) throw new CliError(EXIT.invalidInput, `this namespace holds the windows of ${names.length} organisations (${names.join(', ')}): pass --organisation NAME (a status page shows one organisation's maintenance)`);
      organisation = names[0];
    }
  } catch (err) {
    await c.close();
    throw err;
  }
  const store = await openStatusStore();
  const server = await startFeedsFor(c.client, {
    ...opts, ...(organisation !== undefined ? { organisation } : {}), ...(opts.cache !== undefined ? { cacheMs: parseDurationMs(opts.cache) } : {}),
    ...(opts.stale !== undefined ? { staleMs: parseDurationMs(opts.stale) } : {}), ...(store ? { store } : {}),
  });
  process.stderr.write(`maintenance feeds${organisation !== undefined ? ` of ${organisation}` : ''} on ${server.url}/ (status page; maintenance.json, maintenance.ics, maintenance.atom; ?service=NAME&lang=nl&tz=ZONE)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await store?.close();
  await c.close();
  return EXIT.ok;
}
