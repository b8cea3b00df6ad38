import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleIdentity } from '../../control/consoleAccess';

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

/** Sessions live in memory: a restart signs everybody out, which is what a restart of the console should do. */
export class SessionBook {
  private readonly sessions = new Map<string, ConsoleSession>();

  open(identity: ConsoleIdentity, now = Date.now()): ConsoleSession {
    const session = { id: randomBytes(32).toString('base64url'), identity, csrf: randomBytes(32).toString('base64url'), createdAt: now, seenAt: now };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string | undefined, now = Date.now()): ConsoleSession | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (now - session.seenAt > IDLE_MS || now - session.createdAt > MAX_AGE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.seenAt = now;
    return session;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }
}

/** Whether `given` is the session's CSRF token (compared in constant time). */
export function csrfMatches(session: ConsoleSession, given: string | undefined): boolean {
  if (given === undefined) return false;
  const [a, b] = [Buffer.from(session.csrf), Buffer.from(given)];
  return a.length === b.length && timingSafeEqual(a, b);
}
