import { sql } from 'kysely';
import type { Store } from './index';

/** The control actions the audit trail records. */
export const AUDIT_ACTIONS = ['apply', 'approve', 'abort', 'pause', 'resume', 'override', 'cancel', 'extend', 'release'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  /** ISO time. */
  at: string;
  /** Who: the OS user (`alice@ops-1`) or the API identity. */
  actor: string;
  action: AuditAction;
  /** What it acted on: `rollout <id>`, `window <name>`, `organisation <file>`. */
  subject: string;
  /** Why, as the actor gave it. */
  reason?: string;
  detail?: Record<string, unknown>;
}

/** Appends one event to the audit trail. */
export async function recordAuditEvent(store: Store, event: Omit<AuditEvent, 'at'> & { at?: string }): Promise<void> {
  await store.db.insertInto('audit_events').values({
    at: event.at !== undefined ? Date.parse(event.at) : Date.now(),
    actor: event.actor,
    action: event.action,
    subject: event.subject,
    reason: event.reason ?? null,
    detail: event.detail !== undefined ? JSON.stringify(event.detail) : null,
  }).execute();
}

/** Which events to read: all given filters hold (`subject` is a part of it, `actor` the whole name). */
export interface AuditFilter {
  since?: string;
  until?: string;
  actor?: string;
  action?: AuditAction;
  subject?: string;
  limit?: number;
}

/** The trail, oldest first: events at or after `since` (before `until`) that match, the newest `limit` of them. */
export async function auditEvents(store: Store, options: AuditFilter = {}): Promise<AuditEvent[]> {
  let query = store.db.selectFrom('audit_events').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 1000);
  if (options.since !== undefined) query = query.where('at', '>=', Date.parse(options.since));
  if (options.until !== undefined) query = query.where('at', '<', Date.parse(options.until));
  if (options.actor !== undefined) query = query.where('actor', '=', options.actor);
  if (options.action !== undefined) query = query.where('action', '=', options.action);
  if (options.subject !== undefined) {
    const pattern = `%${options.subject.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // The same escape on SQLite (none by default) and PostgreSQL (backslash by default).
    query = query.where(sql<boolean>`subject like ${pattern} escape '\\'`);
  }
  const rows = await query.execute();
  return rows.reverse().map((row) => ({
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action as AuditAction,
    subject: row.subject,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.detail !== null ? { detail: JSON.parse(row.detail) as Record<string, unknown> } : {}),
  }));
}
