import { createHash } from 'node:crypto';
import { readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '../../store';

/**
 * `sent`: the channel confirmed it (SMTP 250 after the message, HTTP 2xx).
 * `handed-over`: the whole e-mail was handed to the SMTP server and only its final "." was still
 * to be written when this was recorded; no confirmation was seen (the worker died, or the
 * connection was lost before the server's answer). The server has the message unless the worker
 * died in the microseconds between this commit and the socket write that follows it.
 */
export type LedgerState = 'sent' | 'handed-over';

export interface LedgerEntry {
  sentAt: string;
  state: LedgerState;
}

/** Another worker has already handed this notice over: this one must not complete its copy. */
export class AlreadyHandedOverError extends Error {
  override readonly name = 'AlreadyHandedOverError';
}

/**
 * Which notices went out, keyed by (occurrence, kind, recipient), in the store's
 * `notice_deliveries` table: PostgreSQL shared by every worker, or the single worker's SQLite.
 * Read before sending: an activity retried after a worker crash, on any worker, finds it and does
 * not send again. Every write is committed before it resolves (a SIGKILL of the worker cannot
 * undo it).
 */
export class NoticeLedger {
  constructor(private readonly store: Store) {}

  async entry(key: string): Promise<LedgerEntry | undefined> {
    const row = await this.store.db.selectFrom('notice_deliveries').select(['state', 'sent_at']).where('key', '=', key).executeTakeFirst();
    return row && { sentAt: new Date(row.sent_at).toISOString(), state: row.state };
  }

  async sentAt(key: string): Promise<string | undefined> {
    return (await this.entry(key))?.sentAt;
  }

  async record(key: string, sentAt: string, detail: Record<string, unknown>): Promise<void> {
    const row = { key, state: 'sent' as const, sent_at: Date.parse(sentAt), ...columns(detail) };
    await this.store.db.insertInto('notice_deliveries').values(row).onConflict((c) => c.column('key').doUpdateSet({ state: row.state, sent_at: row.sent_at, channel: row.channel, notice_kind: row.notice_kind, detail: row.detail })).execute();
  }

  /**
   * Called right before the e-mail's final "." goes to the SMTP server; the "." waits until this
   * commit has resolved, and follows it with no I/O in between. Inserts only: if a row for the key
   * exists (another worker handed the same notice over, or sent it, since this attempt looked), it
   * throws AlreadyHandedOverError and this copy is never completed.
   */
  async recordHandedOver(key: string, detail: Record<string, unknown>): Promise<void> {
    const result = await this.store.db.insertInto('notice_deliveries')
      .values({ key, state: 'handed-over', sent_at: Date.now(), ...columns(detail) })
      .onConflict((c) => c.column('key').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
      throw new AlreadyHandedOverError(`notice ${deliveryId(key)} was already handed over or sent by another attempt; not sending this copy`);
    }
  }

  /** The server refused the message after all: a retry must send it. */
  async forget(key: string): Promise<void> {
    await this.store.db.deleteFrom('notice_deliveries').where('key', '=', key).execute();
  }
}

/**
 * The ledger before the store was one JSON file per notice in `$MAINT_DATA_DIR/notices`. A worker
 * upgraded in the middle of a window imports those entries once (keeping any the store already
 * has), so that no retry sends those notices again, and renames the directory `notices.imported-<ms>`.
 * Returns how many entries it imported; 0 when there is no such directory.
 */
export async function importFileLedger(store: Store, dir: string): Promise<number> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let imported = 0;
  for (const file of files) {
    const { key, sentAt, state, ...detail } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { key: string; sentAt: string; state?: LedgerState } & Record<string, unknown>;
    const result = await store.db.insertInto('notice_deliveries')
      // Entries written before states existed were all confirmed sends.
      .values({ key, state: state ?? 'sent', sent_at: Date.parse(sentAt), ...columns(detail) })
      .onConflict((c) => c.column('key').doNothing())
      .executeTakeFirst();
    imported += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  await rename(dir, `${dir}.imported-${Date.now()}`);
  return imported;
}

/** The channel and kind as columns (reports query them), the rest (Message-ID, …) as JSON. */
function columns(detail: Record<string, unknown>): { channel: string | null; notice_kind: string | null; detail: string | null } {
  const { channel, kind, ...rest } = detail;
  return {
    channel: typeof channel === 'string' ? channel : null,
    notice_kind: typeof kind === 'string' ? kind : null,
    detail: Object.keys(rest).length > 0 ? JSON.stringify(rest) : null,
  };
}

/** A stable id for one notice: e-mail Message-ID and webhook X-Maint-Delivery, so receivers can de-duplicate too. */
export function deliveryId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
