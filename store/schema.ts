import type { Generated } from 'kysely';

/**
 * The store's tables, as Kysely sees them: one schema for SQLite and PostgreSQL. Times are
 * milliseconds since the epoch (UTC) in `bigint` columns on both engines, so ranges and buckets
 * (a month of probe results, the audit trail since a date) are plain integer arithmetic in SQL.
 */
export interface StoreSchema {
  notice_deliveries: NoticeDeliveriesTable;
  audit_events: AuditEventsTable;
}

/** One row per notice that went out (or was handed over): see activities/notices/ledger.ts. */
export interface NoticeDeliveriesTable {
  /** `<window>/<occurrence>/<kind>/<recipient key>` (or an alert's key): each is sent at most once. */
  key: string;
  state: 'sent' | 'handed-over';
  /** When it was sent (confirmed) or handed over. */
  sent_at: number;
  /** The channel's name in the organisation file. */
  channel: string | null;
  /** Notice kind (`scheduled`, `started`, …, `alert`). */
  notice_kind: string | null;
  /** What else the delivery recorded (Message-ID, …), as JSON. */
  detail: string | null;
}

/** One control action (store/audit.ts). */
export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  subject: string;
  reason: string | null;
  /** JSON. */
  detail: string | null;
}
