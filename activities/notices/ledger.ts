import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `sent`: the channel confirmed it (SMTP 250 after the message, HTTP 2xx).
 * `handed-over`: the whole e-mail was handed to the SMTP server and only its final "." was still
 * to be written when this was recorded; no confirmation was seen (the worker died, or the
 * connection was lost before the server's answer). The server has the message unless the worker
 * died in the microseconds between this write and the socket write that follows it.
 */
export type LedgerState = 'sent' | 'handed-over';

export interface LedgerEntry {
  sentAt: string;
  state: LedgerState;
}

/**
 * Which notices went out, on the worker's disk, keyed by (occurrence, kind, recipient). Read
 * before sending: an activity retried after a worker crash finds it and does not send again.
 * Several workers share it through MAINT_DATA_DIR. Files are replaced by rename, so a reader sees
 * a whole entry or none; a SIGKILL of the worker cannot lose a completed write (the page cache is
 * the kernel's), only a power loss could.
 */
export class NoticeLedger {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async entry(key: string): Promise<LedgerEntry | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.file(key), 'utf8')) as { sentAt: string; state?: LedgerState };
      // Entries written before states existed were all confirmed sends.
      return { sentAt: stored.sentAt, state: stored.state ?? 'sent' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async sentAt(key: string): Promise<string | undefined> {
    return (await this.entry(key))?.sentAt;
  }

  async record(key: string, sentAt: string, detail: Record<string, unknown>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(key);
    await writeFile(`${file}.tmp`, JSON.stringify({ key, sentAt, state: 'sent', ...detail }));
    await rename(`${file}.tmp`, file);
  }

  /**
   * Synchronous on purpose: called right before the e-mail's final "." goes to the SMTP server,
   * with no turn of the event loop in between, so the entry exists before the server can accept.
   */
  recordHandedOverSync(key: string, detail: Record<string, unknown>): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(key);
    writeFileSync(`${file}.tmp`, JSON.stringify({ key, sentAt: new Date().toISOString(), state: 'handed-over', ...detail }));
    renameSync(`${file}.tmp`, file);
  }

  /** The server refused the message after all: a retry must send it. */
  async forget(key: string): Promise<void> {
    await unlink(this.file(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/** A stable id for one notice: e-mail Message-ID and webhook X-Maint-Delivery, so receivers can de-duplicate too. */
export function deliveryId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
