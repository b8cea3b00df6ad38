import type { Generated } from 'kysely';

/**
 * The store's tables, as Kysely sees them: one schema for SQLite and PostgreSQL. Times are
 * milliseconds since the epoch (UTC) in `bigint` columns on both engines, so ranges and buckets
 * (a month of probe results, the audit trail since a date) are plain integer arithmetic in SQL.
 */
export interface StoreSchema {
  notice_deliveries: NoticeDeliveriesTable;
  audit_events: AuditEventsTable;
  probe_results: ProbeResultsTable;
  probe_hours: ProbeHoursTable;
  probe_trackers: ProbeTrackersTable;
  incidents: IncidentsTable;
  incident_pages: IncidentPagesTable;
  inventory_snapshots: InventorySnapshotsTable;
  compliance_scans: ComplianceScansTable;
  compliance_first_seen: ComplianceFirstSeenTable;
  console_sessions: ConsoleSessionsTable;
}

/** A signed-in browser of the console (store/consoleSessions.ts). */
export interface ConsoleSessionsTable {
  /** Hex SHA-256 of the session id the cookie holds. */
  id_sha256: string;
  name: string;
  role: string;
  via: string;
  subject: string | null;
  created_at: number;
  seen_at: number;
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

/** One probe's answer in one round (store/probes.ts). Booleans are 0/1 on both engines. */
/** Probe rounds of a service whose first result is in one UTC hour, counted as they are written (store/probes.ts). */
export interface ProbeHoursTable {
  service: string;
  /** Start of the hour, ms since the epoch. */
  hour: number;
  rounds: number;
  /** Rounds with a failed probe. */
  down: number;
  /** Rounds with none failed and one over its latency threshold. */
  degraded: number;
}

export interface ProbeResultsTable {
  /** `<service>/<round start ms>`: with `probe`, the key a retried round writes under. */
  round_id: string;
  probe: string;
  service: string;
  /** When the probe ran. */
  at: number;
  ok: number;
  degraded: number;
  latency_ms: number | null;
  error: string | null;
  /** The task queue whose worker ran it. */
  location: string;
}

/** Per service: policies/probes/incidents.ts `IncidentTracker` and the last round's condition. */
export interface ProbeTrackersTable {
  service: string;
  down_rounds: number;
  recovered_rounds: number;
  open_incident: string | null;
  last_round: string | null;
  last_round_at: number | null;
  condition: 'up' | 'degraded' | 'down' | null;
}

/** A service down for `incidents.after` rounds in a row (store/incidents.ts). */
export interface IncidentsTable {
  id: string;
  service: string;
  opened_at: number;
  resolved_at: number | null;
  /** The page's dedup_key (the incident id). */
  dedup_key: string;
  summary: string;
  /** The maintenance window run in progress on the service when it opened. */
  window_run: string | null;
  /** The rollout that run was running then. */
  rollout_id: string | null;
  linked_at: number | null;
  /** JSON: the failing probes' errors. */
  detail: string | null;
}

/** The ledger of pages: at most one trigger and one resolve per incident. */
export interface IncidentPagesTable {
  incident_id: string;
  action: 'trigger' | 'resolve';
  /** `sending`: posted, no answer recorded yet; `not-paged`: no paging configured then. */
  state: 'sending' | 'sent' | 'not-paged';
  at: number;
  attempts: number;
}

/** The hosts a rollout targets, as the CLI resolved them (store/inventorySnapshots.ts). Never changed once written. */
export interface InventorySnapshotsTable {
  /** `sha256:<hex>` of `hosts`. */
  id: string;
  created_at: number;
  host_count: number;
  /** Canonical JSON: ResolvedHost[] in source order, every object's keys sorted. */
  hosts: string;
}

/** One compliance scan of one host (store/compliance.ts). Booleans are 0/1 on both engines. */
export interface ComplianceScansTable {
  /** `<scan id>/<host>`. */
  id: string;
  /** The scan run (`maint hosts scan`, a scheduled scan) this host was scanned in. */
  scan_id: string;
  host: string;
  at: number;
  ok: number;
  manager: 'apt' | 'dnf' | null;
  /** Why the scan failed (ok = 0). */
  error: string | null;
  reboot_required: number;
  pending: number;
  security_pending: number;
  /** JSON: PendingUpdate[]. */
  updates: string;
}

/** When a scan of a host first saw a version offered for a package: its age when the repository gives no date. */
export interface ComplianceFirstSeenTable {
  host: string;
  package: string;
  version: string;
  first_seen_at: number;
}
