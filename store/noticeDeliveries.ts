import type { Store } from './index';

/** One notice as the ledger recorded it (activities/notices/ledger.ts), its key read back into its parts. */
export interface NoticeDeliveryRow {
  window: string;
  /** ISO instant of the occurrence, as the window's run wrote it into the key. */
  occurrence: string;
  /** `scheduled`, `reminder`, …, `alert-<what>`. */
  kind: string;
  /** The recipient's key in the window plan. */
  recipient: string;
  state: 'sent' | 'handed-over';
  sentAt: number;
  channel: string | null;
}

/** `<window>/<occurrence>/<kind>/<recipient key>`: keys of another shape (alerts of other jobs) are not a window's notices. */
function parseKey(key: string): Pick<NoticeDeliveryRow, 'window' | 'occurrence' | 'kind' | 'recipient'> | undefined {
  const parts = key.split('/');
  if (parts.length < 4 || Number.isNaN(Date.parse(parts[1]!))) return undefined;
  return { window: parts[0]!, occurrence: parts[1]!, kind: parts[2]!, recipient: parts.slice(3).join('/') };
}

type Row = { key: string; state: 'sent' | 'handed-over'; sent_at: number; channel: string | null };
const fromRows = (rows: Row[]) => rows.flatMap((r): NoticeDeliveryRow[] => {
  const parts = parseKey(r.key);
  return parts ? [{ ...parts, state: r.state, sentAt: Number(r.sent_at), channel: r.channel }] : [];
});

/** The notices of windows sent in [from, to), oldest first. */
export async function noticeDeliveriesBetween(store: Store, range: { from: number; to: number }): Promise<NoticeDeliveryRow[]> {
  const rows = await store.db.selectFrom('notice_deliveries').select(['key', 'state', 'sent_at', 'channel'])
    .where('sent_at', '>=', range.from).where('sent_at', '<', range.to).orderBy('sent_at').execute();
  return fromRows(rows);
}

/** The notices of one occurrence of a window, oldest first. */
export async function occurrenceNoticeDeliveries(store: Store, window: string, occurrence: string): Promise<NoticeDeliveryRow[]> {
  const prefix = `${window}/${occurrence}/`;
  // LIKE's wildcards in the prefix (a `_`) only widen the match; the exact parts are compared below.
  const rows = await store.db.selectFrom('notice_deliveries').select(['key', 'state', 'sent_at', 'channel'])
    .where('key', 'like', `${prefix}%`).orderBy('sent_at').execute();
  return fromRows(rows).filter((r) => r.window === window && r.occurrence === occurrence);
}
