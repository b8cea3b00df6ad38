import type { Socket } from 'node:net';
import type { NodeSSH } from 'node-ssh';
import type { Client, ClientChannel } from 'ssh2';

/** A fresh connection, its host key checked against the pin and authenticated. */
export interface VerifiedConnection {
  ssh: NodeSSH;
  sock: Socket;
}

export interface SshPoolOptions {
  /** An unused connection is closed after this long; 0: when its last user lets go of it. */
  idleMs: number;
  /** Connections kept at most: opening one more first closes the least recently used idle one. */
  maxConnections: number;
  /** Connections to one address:port at once (OpenSSH's MaxStartups drops handshakes beyond 10). */
  maxConnectionsPerHost: number;
  /** Commands at once on one connection (OpenSSH's MaxSessions, 10 by default); more wait their turn. */
  maxSessionsPerConnection: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives after which a connection is taken for dead. */
  keepaliveCountMax: number;
}

/** How a command ended on a connection; `code` null: it ended without an exit status (connection lost, killed by a signal). */
export interface ExecOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The local backstop fired: the command was abandoned (its session closed, the connection retired). */
  abandoned: boolean;
}

/**
 * The command's session could not be opened: the command was never sent, so it may run on another
 * connection. `refused`: the host answered (it is alive, but wants no more sessions on this one).
 */
export class SessionNotOpened extends Error {
  override readonly name = 'SessionNotOpened';
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/**
 * ssh2's messages for a failure after the exec request was sent (its reply never came, or was a
 * refusal): the command may have started on the host, so it is never sent again.
 */
const EXEC_REQUESTED = new Set(['Unable to exec']);

/** What the keepalive uses of ssh2's client (lib/client.js: what its own keepalive does, sendKA). */
interface Ssh2Internals {
  _protocol?: { ping?: () => void };
  _callbacks?: Array<(failed: boolean) => void>;
}

/**
 * One SSH connection of the pool: shared by the shells of its key, one session (channel) per
 * command, at most `maxSessions` at once.
 */
export class PooledConnection {
  state: 'opening' | 'open' | 'closed' = 'opening';
  /** No new work (a command abandoned on it, or no session opened): closed once no command runs on it. */
  retired = false;
  /** Commands running or about to (a slot each). */
  sessions = 0;
  /** Shells that hold it (withHost's connection for its activity). */
  holders = 0;
  maxSessions: number;
  lastUsed = Date.now();
  readonly ready: Promise<void>;
  private opened: VerifiedConnection | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: SshPool,
    readonly key: string,
    readonly host: string,
    open: () => Promise<VerifiedConnection>,
  ) {
    this.maxSessions = pool.options.maxSessionsPerConnection;
    this.ready = open().then(
      (opened) => this.attach(opened),
      (err: unknown) => {
        this.markClosed();
        throw err;
      },
    );
    // Awaited by whoever asked for it; a failure nobody waits for any more must not go unhandled.
    this.ready.catch(() => undefined);
  }

  get usable(): boolean {
    return this.state !== 'closed' && !this.retired;
  }

  get unused(): boolean {
    return this.sessions === 0 && this.holders === 0;
  }

  private attach(opened: VerifiedConnection): void {
    if (this.state === 'closed') {
      // Closed while it was being opened (the pool closed, or it was evicted).
      opened.ssh.dispose();
      opened.sock.destroy();
      return;
    }
    const client = opened.ssh.connection!;
    const internals = client as unknown as Ssh2Internals;
    if (typeof internals._protocol?.ping !== 'function' || !Array.isArray(internals._callbacks)) {
      opened.sock.destroy();
      this.markClosed();
      throw new Error('activities/hosts/sshPool.ts: this ssh2 version has no _protocol.ping/_callbacks for keepalives; see its lib/client.js (sendKA) and adapt startKeepalive');
    }
    this.opened = opened;
    this.state = 'open';
    // A reset (a reboot, a dropped link) must not crash the worker; 'close' follows and drops it.
    client.on('error', () => undefined);
    client.on('close', () => this.markClosed());
    client.on('end', () => this.markClosed());
    opened.sock.once('close', () => this.markClosed());
    this.startKeepalive(client);
    this.refresh();
    this.pool.settle(this);
  }

  /**
   * ssh2's keepalive (a keepalive@openssh.com request each interval; dead after `keepaliveCountMax`
   * unanswered, as OpenSSH's ServerAliveInterval/CountMax), on a timer that never keeps the process
   * alive: an idle pooled connection is a cache, and a process with nothing else to do must be able
   * to exit. While a command runs its socket is referenced, so the process stays and this fires.
   */
  private startKeepalive(client: Client): void {
    const internals = client as unknown as Ssh2Internals;
    let unanswered = 0;
    this.keepalive = setInterval(() => {
      if (unanswered >= this.pool.options.keepaliveCountMax || !this.opened?.sock.writable) {
        this.destroy();
        return;
      }
      unanswered++;
      // Replies (success or failure: OpenSSH refuses the request, which is an answer) come in order.
      internals._callbacks!.push(() => void (unanswered = 0));
      internals._protocol!.ping!();
    }, this.pool.options.keepaliveIntervalMs);
    this.keepalive.unref();
  }

  /**
   * Runs `command` in a session of its own. Rejects with {@link SessionNotOpened} when the session
   * could not be opened (the command was not sent); any later failure resolves with `code: null`.
   * After `backstopMs` the command is abandoned: its session is closed and this connection retired.
   */
  exec(command: string, options: { stdin?: string; backstopMs: number }): Promise<ExecOutcome> {
    const client = this.opened?.ssh.connection;
    if (this.state !== 'open' || !client) return Promise.reject(new SessionNotOpened('the connection is closed', false));
    return new Promise((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');
      const settle = (then: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(backstop);
        then();
      };
      const backstop = setTimeout(() => settle(() => {
        channel?.close();
        this.retire();
        resolve({ code: null, stdout: text(stdout), stderr: text(stderr), abandoned: true });
      }), options.backstopMs);
      const onOpen = (err: Error | undefined, opened: ClientChannel) => {
        if (err) {
          const refused = (err as { reason?: unknown }).reason !== undefined;
          settle(() => reject(EXEC_REQUESTED.has(err.message) ? err : new SessionNotOpened(err.message, refused)));
          return;
        }
        channel = opened;
        if (settled) {
          opened.close();
          return;
        }
        let code: number | null = null;
        opened.on('data', (chunk: Buffer) => stdout.push(chunk));
        opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        opened.on('exit', (exitCode: number | null) => void (code = typeof exitCode === 'number' ? exitCode : null));
        opened.on('close', () => settle(() => resolve({ code, stdout: text(stdout), stderr: text(stderr), abandoned: false })));
        if (options.stdin !== undefined) opened.end(options.stdin);
        else opened.end();
      };
      try {
        client.exec(command, onOpen);
      } catch (err) {
        // "Not connected": the socket is gone and nothing was sent.
        settle(() => reject(new SessionNotOpened(err instanceof Error ? err.message : String(err), false)));
      }
    });
  }

  /** After its sessions or holders changed: in use, it is not closed for idleness; only a running command keeps the process alive. */
  refresh(): void {
    if (!this.unused) clearTimeout(this.idleTimer);
    if (this.sessions > 0) this.opened?.sock.ref();
    else this.opened?.sock.unref();
  }

  /** Unused from now: closed after the idle time (at once with 0), unless used again before. */
  idle(idleMs: number, onExpired: () => void): void {
    clearTimeout(this.idleTimer);
    if (idleMs === 0) return onExpired();
    this.idleTimer = setTimeout(onExpired, idleMs);
    this.idleTimer.unref();
  }

  retire(): void {
    this.retired = true;
    this.pool.settle(this);
  }

  /** Ends the connection politely (SSH disconnect); it leaves the pool at once. */
  close(): void {
    const opened = this.opened;
    this.markClosed();
    opened?.ssh.dispose();
    // A peer that never answers the disconnect must not keep the socket.
    if (opened) setTimeout(() => opened.sock.destroy(), 2_000).unref();
  }

  /** Drops the connection at once (dead, or the pool closes). */
  destroy(): void {
    const opened = this.opened;
    this.markClosed();
    opened?.sock.destroy();
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.idleTimer);
    clearInterval(this.keepalive);
    this.pool.forget(this);
  }
}

/**
 * The worker's SSH connections, kept per key (address, port, user, pinned host key, identity) for
 * the next command instead of a new key exchange per activity, as Ansible keeps one per host
 * (ControlPersist). A connection is only ever made, and its host key checked against the pin, by
 * `open`; a connection made under one pin never serves another. Bounded: connections per host,
 * sessions per connection (the rest wait), connections kept in all (least recently used idle ones
 * are closed first).
 */
export class SshPool {
  private readonly byKey = new Map<string, PooledConnection[]>();
  private readonly perHost = new Map<string, number>();
  private total = 0;
  private waiting: Array<() => void> = [];

  constructor(readonly options: SshPoolOptions) {}

  /**
   * A connection of `key` for one shell (`for: 'holder'`) or one command (`for: 'session'`, a
   * session slot reserved on it): `preferred` if it has room, else another of the key, else a new
   * one (`open`), else (the host has its connections, all busy) the first to have room.
   */
  async acquire(key: string, host: string, open: () => Promise<VerifiedConnection>, request: { for: 'holder' | 'session'; preferred?: PooledConnection | undefined; signal?: AbortSignal | undefined }): Promise<PooledConnection> {
    for (;;) {
      if (request.signal?.aborted) throw new Error('cancelled while connecting');
      const conn = this.pick(key, request) ?? this.openNew(key, host, open);
      if (conn) {
        if (request.for === 'session') conn.sessions++;
        else conn.holders++;
        conn.refresh();
        try {
          await abortable(conn.ready, request.signal);
        } catch (err) {
          this.release(conn, request.for);
          throw err;
        }
        // Lost while it was opening: ask again (a failed open rejected above).
        if (conn.state !== 'closed') return conn;
        this.release(conn, request.for);
        continue;
      }
      await this.waitForRoom(request.signal);
    }
  }

  /** Lets go of what {@link acquire} gave. */
  release(conn: PooledConnection, what: 'holder' | 'session'): void {
    if (what === 'session') conn.sessions = Math.max(0, conn.sessions - 1);
    else conn.holders = Math.max(0, conn.holders - 1);
    conn.lastUsed = Date.now();
    conn.refresh();
    this.settle(conn);
  }

  /** Closes every connection (the worker's shutdown), saying so to the hosts. The pool stays usable: a later command connects anew. */
  closeAll(): void {
    for (const conns of [...this.byKey.values()]) for (const conn of [...conns]) conn.close();
  }

  /** Connections open or opening, for tests and logs. */
  size(): number {
    return this.total;
  }

  /** Called when a connection changed: closes it when unused (after the idle time) or retired, wakes waiters. */
  settle(conn: PooledConnection): void {
    // A retired connection goes once no command runs on it: the shells that hold it move on.
    if (conn.state !== 'closed' && conn.retired && conn.sessions === 0) conn.close();
    else if (conn.state === 'open' && conn.unused) conn.idle(this.options.idleMs, () => conn.close());
    this.trim();
    this.wake();
  }

  /** A connection closed: it leaves the pool. */
  forget(conn: PooledConnection): void {
    const conns = this.byKey.get(conn.key);
    const at = conns?.indexOf(conn) ?? -1;
    if (conns && at >= 0) {
      conns.splice(at, 1);
      if (conns.length === 0) this.byKey.delete(conn.key);
      this.total--;
      const left = (this.perHost.get(conn.host) ?? 1) - 1;
      if (left > 0) this.perHost.set(conn.host, left);
      else this.perHost.delete(conn.host);
    }
    this.wake();
  }

  private pick(key: string, request: { for: 'holder' | 'session'; preferred?: PooledConnection | undefined }): PooledConnection | undefined {
    const room = (c: PooledConnection) => c.usable && (request.for === 'holder' || c.sessions < c.maxSessions);
    if (request.preferred && request.preferred.key === key && room(request.preferred)) return request.preferred;
    // The oldest first: work gathers on one connection per host, and the others go idle and close.
    return this.byKey.get(key)?.find(room);
  }

  private openNew(key: string, host: string, open: () => Promise<VerifiedConnection>): PooledConnection | undefined {
    if ((this.perHost.get(host) ?? 0) >= this.options.maxConnectionsPerHost && !this.evictIdle((c) => c.host === host)) return undefined;
    if (this.total >= this.options.maxConnections) this.evictIdle(() => true);
    const conn = new PooledConnection(this, key, host, open);
    this.byKey.set(key, [...(this.byKey.get(key) ?? []), conn]);
    this.perHost.set(host, (this.perHost.get(host) ?? 0) + 1);
    this.total++;
    return conn;
  }

  /** Closes the least recently used unused connection that `which` accepts; false if there is none. */
  private evictIdle(which: (c: PooledConnection) => boolean): boolean {
    let oldest: PooledConnection | undefined;
    for (const conns of this.byKey.values()) {
      for (const c of conns) if (c.state === 'open' && c.unused && which(c) && (!oldest || c.lastUsed < oldest.lastUsed)) oldest = c;
    }
    oldest?.close();
    return oldest !== undefined;
  }

  /** Above the bound (every connection was busy when one more was needed): close idle ones as they come. */
  private trim(): void {
    while (this.total > this.options.maxConnections && this.evictIdle(() => true)) { /* one per round */ }
  }

  private waitForRoom(signal: AbortSignal | undefined): Promise<void> {
    return abortable(new Promise<void>((resolve) => this.waiting.push(resolve)), signal);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new Error('cancelled while connecting'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('cancelled while connecting'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
    );
  });
}
