import type { Store } from './index';

/** A console session as stored: by the SHA-256 of its id, never the id itself. */
export interface StoredConsoleSession {
  idSha256: string;
  name: string;
  role: string;
  via: string;
  subject?: string;
  createdAt: number;
  seenAt: number;
}

export async function insertConsoleSession(store: Store, s: StoredConsoleSession): Promise<void> {
  await store.db.insertInto('console_sessions').values({
    id_sha256: s.idSha256, name: s.name, role: s.role, via: s.via, subject: s.subject ?? null, created_at: s.createdAt, seen_at: s.seenAt,
  }).execute();
}

export async function findConsoleSession(store: Store, idSha256: string): Promise<StoredConsoleSession | undefined> {
  const row = await store.db.selectFrom('console_sessions').selectAll().where('id_sha256', '=', idSha256).executeTakeFirst();
  if (!row) return undefined;
  return {
    idSha256: row.id_sha256, name: row.name, role: row.role, via: row.via, ...(row.subject !== null ? { subject: row.subject } : {}),
    // PostgreSQL's bigint arrives as a string.
    createdAt: Number(row.created_at), seenAt: Number(row.seen_at),
  };
}

export async function touchConsoleSession(store: Store, idSha256: string, seenAt: number): Promise<void> {
  await store.db.updateTable('console_sessions').set({ seen_at: seenAt }).where('id_sha256', '=', idSha256).execute();
}

export async function deleteConsoleSession(store: Store, idSha256: string): Promise<void> {
  await store.db.deleteFrom('console_sessions').where('id_sha256', '=', idSha256).execute();
}

/** Removes sessions idle since `idleBefore` or made before `createdBefore`; returns how many. */
export async function deleteExpiredConsoleSessions(store: Store, idleBefore: number, createdBefore: number): Promise<number> {
  const result = await store.db.deleteFrom('console_sessions').where((eb) => eb.or([eb('seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)])).executeTakeFirst();
  return Number(result.numDeletedRows);
}
