import { Feed } from 'feed';
import icalGenerator, { ICalEventStatus } from 'ical-generator';
import type { Language, LocalizedText } from '../policies/organisation/schema';
import type { WindowPlan, WindowStatus } from '../policies/windows/types';
import { nextOccurrences } from '../policies/windows/occurrences';

export type PublicStatus = 'scheduled' | 'in-progress' | 'completed' | 'rolled-back' | 'cancelled';

/**
 * One maintenance as customers see it: what, when, which services, how it went. Built only from
 * customer-facing fields; host names, rollout ids and task details never reach a feed.
 */
export interface PublicMaintenance {
  id: string;
  window: string;
  title: LocalizedText;
  services: Array<{ name: string; title: LocalizedText }>;
  start: string;
  end: string;
  status: PublicStatus;
  impact?: LocalizedText;
  /** Cancel or extension reason, as given to customers. */
  reason?: string;
  /** When the run ended (completed, rolled back, cancelled): the real time, not the planned end. */
  finishedAt?: string;
  updated: string;
}

const UPCOMING_DAYS = 90;

function publicStatus(s: WindowStatus): PublicStatus | undefined {
  switch (s.phase) {
    case 'missed':
      return undefined;
    default:
      return s.phase;
  }
}

/** Upcoming occurrences (from the applied plans) merged with the runs that exist, newest state wins. */
export function publicMaintenance(plans: WindowPlan[], runs: WindowStatus[], now: Date): PublicMaintenance[] {
  const byId = new Map<string, PublicMaintenance>();
  const impactOf = new Map(plans.map((p) => [p.name, p.impact]));
  for (const plan of plans) {
    for (const o of nextOccurrences(plan.timing, new Date(now.getTime() - 86_400_000), 50)) {
      if (Date.parse(o.start) > now.getTime() + UPCOMING_DAYS * 86_400_000) break;
      if (Date.parse(o.end) < now.getTime()) continue; // ended without a run: nothing to tell
      const id = `${plan.name}/${o.start}`;
      byId.set(id, {
        id, window: plan.name, title: plan.title, services: plan.services, start: o.start, end: o.end,
        status: Date.parse(o.start) <= now.getTime() ? 'in-progress' : 'scheduled',
        ...(plan.impact !== undefined ? { impact: plan.impact } : {}), updated: now.toISOString(),
      });
    }
  }
  for (const run of runs) {
    const status = publicStatus(run);
    if (!status) continue;
    const id = `${run.window}/${run.occurrence.start}`;
    const impact = impactOf.get(run.window);
    byId.set(id, {
      id, window: run.window, title: run.title, services: run.services, start: run.occurrence.start, end: run.end, status,
      ...(impact !== undefined ? { impact } : {}),
      ...(run.reason !== undefined && (status === 'cancelled' || run.end !== run.occurrence.end) ? { reason: run.reason } : {}),
      ...(run.finishedAt !== undefined && status !== 'in-progress' && status !== 'scheduled' ? { finishedAt: run.finishedAt } : {}),
      updated: run.finishedAt ?? run.notices[run.notices.length - 1]?.sentAt ?? run.occurrence.start,
    });
  }
  return [...byId.values()].sort((a, b) => a.start.localeCompare(b.start));
}

const STATUS_TEXT: Record<Language, Record<PublicStatus, string>> = {
  en: { scheduled: 'Scheduled', 'in-progress': 'In progress', completed: 'Completed', 'rolled-back': 'Rolled back', cancelled: 'Cancelled' },
  nl: { scheduled: 'Gepland', 'in-progress': 'Bezig', completed: 'Afgerond', 'rolled-back': 'Teruggedraaid', cancelled: 'Geannuleerd' },
};

export function statusText(status: PublicStatus, lang: Language): string {
  return STATUS_TEXT[lang][status];
}

function summary(m: PublicMaintenance, lang: Language): string {
  const services = m.services.map((s) => s.title[lang]).join(', ');
  return `${statusText(m.status, lang)}: ${m.title[lang]}${services && services !== m.title[lang] ? ` (${services})` : ''}`;
}

/** An iCalendar feed customers subscribe to; cancelled maintenance stays in it as CANCELLED so calendars update. */
export function icsFeed(items: PublicMaintenance[], opts: { organisation: string; lang: Language; url?: string }): string {
  const cal = icalGenerator({ name: `${opts.organisation} — ${opts.lang === 'nl' ? 'onderhoud' : 'maintenance'}`, prodId: { company: 'maint', product: 'maintenance-orchestrator', language: opts.lang.toUpperCase() } });
  for (const m of items) {
    cal.createEvent({
      id: `${m.id.replace(/[^A-Za-z0-9._-]/g, '-')}@maint`,
      start: new Date(m.start),
      end: new Date(m.end),
      summary: summary(m, opts.lang),
      description: [m.impact?.[opts.lang], m.reason].filter(Boolean).join('\n'),
      status: m.status === 'cancelled' ? ICalEventStatus.CANCELLED : m.status === 'scheduled' ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED,
      lastModified: new Date(m.updated),
      ...(opts.url ? { url: opts.url } : {}),
    });
  }
  return cal.toString();
}

export function atomFeed(items: PublicMaintenance[], opts: { organisation: string; lang: Language; url: string }): string {
  const feed = new Feed({
    title: `${opts.organisation} — ${opts.lang === 'nl' ? 'onderhoud' : 'maintenance'}`,
    id: opts.url,
    link: opts.url,
    language: opts.lang,
    copyright: opts.organisation,
    updated: new Date(items.reduce((max, m) => (m.updated > max ? m.updated : max), '1970-01-01T00:00:00.000Z')),
  });
  for (const m of [...items].reverse()) {
    feed.addItem({
      title: summary(m, opts.lang),
      id: `${opts.url}#${m.id}`,
      link: `${opts.url}#${encodeURIComponent(m.id)}`,
      date: new Date(m.updated),
      description: `${m.start} – ${m.end}${m.impact ? `. ${m.impact[opts.lang]}` : ''}${m.reason ? ` ${m.reason}` : ''}`,
    });
  }
  return feed.atom1();
}
