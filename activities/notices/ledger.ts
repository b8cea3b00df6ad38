import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Which notices went out, on the worker's disk, keyed by (occurrence, kind, recipient). Written
 * right after a channel accepted the notice, read before sending: an activity retried after a
 * worker crash finds it and does not send twice. Several workers share it through MAINT_DATA_DIR.
 */
export class NoticeLedger {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async sentAt(key: string): Promise<string | undefined> {
    try {
      return (JSON.parse(await readFile(this.file(key), 'utf8')) as { sentAt: string }).sentAt;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async record(key: string, sentAt: string, detail: Record<string, unknown>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.file(key);
    await writeFile(`${file}.tmp`, JSON.stringify({ key, sentAt, ...detail }));
    await rename(`${file}.tmp`, file);
  }
}

/** A stable id for one notice: e-mail Message-ID and webhook X-Maint-Delivery, so receivers can de-duplicate too. */
export function deliveryId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
