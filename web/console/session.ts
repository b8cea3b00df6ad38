import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleIdentity } from '../../control/consoleAccess';
import { consoleRoleSchema } from '../../policies/console/roles';
import type { Store } from '../../store';
import { deleteConsoleSession, deleteExpiredConsoleSessions, findConsoleSession, insertConsoleSession, touchConsoleSession } from '../../store/consoleSessions';

/** A signed-in browser: an opaque random id in an HttpOnly cookie, and the CSRF token its forms carry. */
export interface ConsoleSession {
  id: string;
  identity: ConsoleIdentity;
  csrf: string;
  createdAt: number;
  seenAt: number;
}

/** Idle sessions end after this; any session after {@link MAX_AGE_MS}. */
export const IDLE_MS = 8 * 60 * 60_000;
export const MAX_AGE_MS = 24 * 60 * 60_000;
/** How stale `seen_at` may be before a request writes it again (the idle timeout is this precise). */
const TOUCH_MS = 60_000;
const SWEEP_MS = 10 * 60_000;

const sha256 = (id: string) => createHash('sha256').update(id).digest('hex');
/** The CSRF token is derived from the session id: nothing more to keep, and it ends with its session. */
const csrfOf = (id: string) => createHmac('sha256', id).update('maint console csrf').digest('base64url');
const VIAS = ['password', 'token', 'oidc'] as const;

/**
 * Sessions live in the store (console_sessions), by the SHA-256 of their id: a restart of the
 * console keeps everybody signed in, and a copy of the database signs nobody in.
 */
export class SessionBook {
  private lastSweep = 0;
  constructor(private readonly store: Store) {}

  async open(identity: ConsoleIdentity, now = Date.now()): Promise<ConsoleSession> {
    if (now - this.lastSweep > SWEEP_MS) {
      this.lastSweep = now;
      await deleteExpiredConsoleSessions(this.store, now - IDLE_MS, now - MAX_AGE_MS);
    }
    const id = randomBytes(32).toString('base64url');
    await insertConsoleSession(this.store, {
      idSha256: sha256(id), name: identity.name, role: identity.role, via: identity.via,
      ...(identity.subject !== undefined ? { subject: identity.subject } : {}), createdAt: now, seenAt: now,
    });
    return { id, identity, csrf: csrfOf(id), createdAt: now, seenAt: now };
  }

  async find(id: string | undefined, now = Date.now()): Promise<ConsoleSession | undefined> {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const key = sha256(id);
    const row = await findConsoleSession(this.store, key);
    if (!row) return undefined;
    const role = consoleRoleSchema.safeParse(row.role);
    const via = (VIAS as readonly string[]).includes(row.via) ? (row.via as ConsoleIdentity['via']) : undefined;
    if (now - row.seenAt > IDLE_MS || now - row.createdAt > MAX_AGE_MS || !role.success || via === undefined) {
      await deleteConsoleSession(this.store, key);
      return undefined;
    }
    if (now - row.seenAt > TOUCH_MS) await touchConsoleSession(this.store, key, now);
    const identity: ConsoleIdentity = { name: row.name, role: role.data, via, ...(row.subject !== undefined ? { subject: row.subject } : {}) };
    return { id, identity, csrf: csrfOf(id), createdAt: row.createdAt, seenAt: Math.max(row.seenAt, now) };
  }

  async close(id: string): Promise<void> {
    await deleteConsoleSession(this.store, sha256(id));
  }
}

/** Whether `given` is the session's CSRF token (compared in constant time). */
export function csrfMatches(session: ConsoleSession, given: string | undefined): boolean {
  if (given === undefined) return false;
  const [a, b] = [Buffer.from(session.csrf), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
}
