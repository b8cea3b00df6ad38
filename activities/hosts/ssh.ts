import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { homedir } from 'node:os';
import { NodeSSH } from 'node-ssh';
import { SSH_POOL_DEFAULTS } from '../../policies/common/environment';
import { withRemoteTimeout } from '../../policies/common/shell';
import { becomeCommand, type Become } from '../../policies/inventory/become';
import { sha256Fingerprint } from './fingerprint';
import type { FAILURE } from '../../policies/common/failures';
import { redact } from '../../policies/common/redact';
import { metrics, outcomeOf } from '../metrics';
import { SessionNotOpened, SshPool, type ExecOutcome, type PooledConnection, type VerifiedConnection } from './sshPool';

/** Where and how to reach one host. The private key stays on the worker: only its path travels. */
export interface SshTarget {
  name: string;
  address: string;
  port: number;
  user: string;
  hostKey: string;
  identityFile?: string;
  /** How commands run with `become: true` escalate (sudo as root); absent: they run as `user`. */
  become?: Become;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Enforced twice: `timeout` on the host, and a local timer that closes the connection. */
  timeoutSeconds?: number;
  stdin?: string;
  /**
   * Run through the target's `become` (sudo as root), if it has one: every command that changes
   * the host, and the read-only ones that need the privilege (apt-get update). The remote timeout
   * runs inside it, so it can end what it started.
   */
  become?: boolean;
}

/** An open, verified SSH connection to one host (pooled: closing lets go of it). */
export interface HostShell {
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  close(): void;
}

export interface SshConnector {
  connect(target: SshTarget, options?: { signal?: AbortSignal }): Promise<HostShell>;
  /** Closes the connections it keeps, if it keeps any (the worker's shutdown). */
  close?(): void;
}

export type SshErrorType = (typeof FAILURE)['HostKeyMismatch' | 'AuthenticationFailed' | 'ConnectFailed' | 'CommandTimedOut' | 'ConnectionLost'];

/** A failure to reach or use a host; `type` lets workflows tell permanent failures from passing ones. */
export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(
    readonly type: SshErrorType,
    message: string,
  ) {
    super(message);
  }
}

export interface NodeSshConnectorOptions {
  /** Open connections per host from this worker (default 4). */
  maxConnectionsPerHost?: number;
  /** Used when the target names no identity file (and the file exists). */
  defaultIdentityFile?: string;
  /** ssh-agent socket, usually process.env.SSH_AUTH_SOCK. */
  agentSocket?: string;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  defaultCommandTimeoutSeconds?: number;
  /**
   * How long an unused connection stays open for the next command (MAINT_SSH_POOL_IDLE, default
   * 30 s). 0: no pooling, each connect() has a connection of its own, closed with it.
   */
  poolIdleMs?: number;
  /** Connections kept open at most (MAINT_SSH_POOL_MAX, default 200). */
  poolMaxConnections?: number;
  /** Commands at once on one connection (default 10, OpenSSH's MaxSessions); more wait their turn. */
  maxSessionsPerConnection?: number;
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** Tries of a command whose session could not be opened (never sent): the first, then on another connection. */
const SESSION_TRIES = 3;

/**
 * SSH through node-ssh (ssh2) with a pinned host key: a host presenting another key is sent nothing.
 * Connections are pooled ({@link SshPool}): a shell is a hold on a connection of its target's key,
 * each command a session on it; the key includes the pinned host key and the identity, so a
 * connection checked against one pin never serves another, and every new one is checked again.
 */
export class NodeSshConnector implements SshConnector {
  private readonly pool: SshPool;
  /** With pooling off, each shell's connections are its own: a key of its own. */
  private unpooled = 0;
  constructor(private readonly options: NodeSshConnectorOptions = {}) {
    this.pool = new SshPool({
      idleMs: options.poolIdleMs ?? SSH_POOL_DEFAULTS.idleMs,
      maxConnections: options.poolMaxConnections ?? SSH_POOL_DEFAULTS.maxConnections,
      maxConnectionsPerHost: options.maxConnectionsPerHost ?? 4,
      maxSessionsPerConnection: options.maxSessionsPerConnection ?? 10,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: 3,
    });
  }

  async connect(target: SshTarget, options: { signal?: AbortSignal } = {}): Promise<HostShell> {
    const where = `${target.name} (${target.user}@${target.address}:${target.port})`;
    const credentials = this.credentials(target, where);
    const pooled = JSON.stringify([target.address, target.port, target.user, target.hostKey, credentials.privateKeyPath ?? null]);
    const key = (this.options.poolIdleMs ?? SSH_POOL_DEFAULTS.idleMs) > 0 ? pooled : `${pooled}#${++this.unpooled}`;
    const shell = new PooledShell(this.pool, key, `${target.address}:${target.port}`, () => this.open(target, where, credentials), where, this.options.defaultCommandTimeoutSeconds ?? 300, target.become);
    await shell.hold(options.signal);
    return shell;
  }

  /** Closes every pooled connection (the worker's shutdown); a later connect() opens new ones. */
  close(): void {
    this.pool.closeAll();
  }

  /** Connections open or opening now. */
  openConnections(): number {
    return this.pool.size();
  }

  private credentials(target: SshTarget, where: string): { privateKeyPath?: string } {
    const identity = target.identityFile ?? this.options.defaultIdentityFile;
    const privateKeyPath = identity !== undefined ? expandHome(identity) : undefined;
    if (target.identityFile !== undefined && privateKeyPath !== undefined && !existsSync(privateKeyPath)) {
      throw new SshError('AuthenticationFailed', `${where}: identity file ${privateKeyPath} does not exist on the worker`);
    }
    const usableKey = privateKeyPath !== undefined && existsSync(privateKeyPath) ? privateKeyPath : undefined;
    if (usableKey === undefined && this.options.agentSocket === undefined) {
      throw new SshError('AuthenticationFailed', `${where}: no SSH credentials: set identityFile in the inventory, MAINT_SSH_IDENTITY_FILE, or SSH_AUTH_SOCK`);
    }
    return usableKey !== undefined ? { privateKeyPath: usableKey } : {};
  }

  /** A new connection (the only place one is made): TCP, key exchange, the host key against the pin, authentication. */
  private async open(target: SshTarget, where: string, credentials: { privateKeyPath?: string }): Promise<VerifiedConnection> {
    const started = Date.now();
    let presented: string | undefined;
    const ssh = new NodeSSH();
    let sock: Socket | undefined;
    try {
      sock = await openSocket(target.address, target.port, this.options.readyTimeoutMs ?? 20_000);
      await ssh.connect({
        sock,
        host: target.address,
        port: target.port,
        username: target.user,
        ...credentials,
        ...(this.options.agentSocket !== undefined ? { agent: this.options.agentSocket } : {}),
        readyTimeout: this.options.readyTimeoutMs ?? 20_000,
        // The pool's own keepalive (sshPool.ts): ssh2's timer would keep an idle worker process alive.
        keepaliveInterval: 0,
        // Without a verifier ssh2 accepts any key; we compare the raw key's SHA-256 with the pin.
        hostVerifier: (key: Buffer) => {
          presented = sha256Fingerprint(key);
          return presented === target.hostKey;
        },
      });
      metrics.sshConnect(started, 'ok');
      return { ssh, sock };
    } catch (err) {
      ssh.dispose();
      sock?.destroy();
      const failure = connectFailure(err, target, where, presented);
      metrics.sshConnect(started, outcomeOf(failure));
      throw failure;
    }
  }
}

function connectFailure(err: unknown, target: SshTarget, where: string, presented: string | undefined): SshError {
  if (presented !== undefined && presented !== target.hostKey) {
    return new SshError('HostKeyMismatch', `${where}: host key mismatch: expected ${target.hostKey}, the host presented ${presented}; nothing was sent to it`);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/authentication methods failed/i.test(message)) {
    return new SshError('AuthenticationFailed', `${where}: authentication failed for user ${target.user} (${message})`);
  }
  return new SshError('ConnectFailed', `${where}: cannot connect: ${message}`);
}

/**
 * A connected TCP socket with Nagle off from the first byte, for ssh2 to speak over: the handshake
 * is a dozen small request/response packets, and with Nagle and delayed ACKs each connection took
 * ~200 ms longer (ssh2 can only switch it off once connected).
 */
function openSocket(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    sock.setNoDelay(true);
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no TCP connection within ${timeoutMs} ms`)), timeoutMs);
    sock.once('error', fail);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeListener('error', fail);
      // From here ssh2 handles the socket's errors; this keeps one in between from crashing the worker.
      sock.on('error', () => undefined);
      resolve(sock);
    });
    sock.connect(port, address);
  });
}

/**
 * A shell on one host: holds a pooled connection (withHost's, for its activity) and runs each
 * command in a session of its own, on that connection while it has room and lives, else on another
 * of its key or a new one. A command whose session could not be opened was never sent and is tried
 * on another connection; one that may have started is never sent again.
 */
class PooledShell implements HostShell {
  private held: PooledConnection | undefined;
  private closed = false;

  constructor(
    private readonly pool: SshPool,
    private readonly key: string,
    private readonly host: string,
    private readonly open: () => Promise<VerifiedConnection>,
    private readonly where: string,
    private readonly defaultTimeoutSeconds: number,
    private readonly become: Become | undefined,
  ) {}

  /** Takes hold of a connection (a pooled one, or a new one): connecting fails here, as before any command. */
  async hold(signal: AbortSignal | undefined): Promise<void> {
    try {
      this.held = await this.pool.acquire(this.key, this.host, this.open, { for: 'holder', signal });
    } catch (err) {
      if (err instanceof SshError) throw err;
      throw new SshError('ConnectFailed', `${this.where}: cannot connect: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const started = Date.now();
    try {
      const result = await this.runTimed(command, options);
      metrics.sshCommand(started, 'ok');
      return result;
    } catch (err) {
      metrics.sshCommand(started, outcomeOf(err));
      throw err;
    }
  }

  private async runTimed(command: string, options: RunOptions): Promise<CommandResult> {
    const timeoutSeconds = options.timeoutSeconds ?? this.defaultTimeoutSeconds;
    const timed = withRemoteTimeout(command, timeoutSeconds);
    const remote = options.become ? becomeCommand(timed, this.become) : timed;
    for (let attempt = 1; ; attempt++) {
      const conn = await this.pool.acquire(this.key, this.host, this.open, { for: 'session', preferred: this.held });
      this.follow(conn);
      let outcome: ExecOutcome;
      try {
        // The remote `timeout -k 10s` gets the first chance; the local backstop abandons the command 15 s later.
        outcome = await conn.exec(remote, { ...(options.stdin !== undefined ? { stdin: options.stdin } : {}), backstopMs: (timeoutSeconds + 15) * 1000 });
      } catch (err) {
        if (err instanceof SessionNotOpened) {
          // Refused while others of ours run or start on it: the host allows fewer sessions than
          // we thought (its MaxSessions), at most those others. The bound comes down one refusal
          // at a time, never below what the host holds; this command waits for one of them to end
          // (no try lost: it was never sent).
          if (err.refused && conn.sessions > 1) {
            conn.maxSessions = Math.min(conn.maxSessions, conn.sessions - 1);
            attempt--;
            continue;
          }
          // Dead, or refusing every session: this command goes to another connection.
          conn.retire();
          if (attempt < SESSION_TRIES) continue;
          throw new SshError('ConnectionLost', `${this.where}: no session could be opened (${err.message}) for: ${abbreviate(command)}`);
        }
        throw new SshError('ConnectionLost', `${this.where}: ${err instanceof Error ? err.message : String(err)} while running: ${abbreviate(command)}`);
      } finally {
        this.pool.release(conn, 'session');
      }
      if (outcome.abandoned || outcome.code === 124 || outcome.code === 137) {
        throw new SshError('CommandTimedOut', `${this.where}: command timed out after ${timeoutSeconds}s: ${abbreviate(command)}${tail(outcome.stderr)}`);
      }
      if (outcome.code === null) {
        throw new SshError('ConnectionLost', `${this.where}: connection lost while running: ${abbreviate(command)}${tail(outcome.stderr)}`);
      }
      return { exitCode: outcome.code, stdout: outcome.stdout, stderr: outcome.stderr };
    }
  }

  /** The shell's hold moves to the connection its command ran on (its own was gone or full). */
  private follow(conn: PooledConnection): void {
    if (this.closed || conn === this.held) return;
    const previous = this.held;
    this.held = conn;
    conn.holders++;
    if (previous) this.pool.release(previous, 'holder');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.held) this.pool.release(this.held, 'holder');
    this.held = undefined;
  }
}

function abbreviate(command: string): string {
  const first = redact(command.split('\n')[0] ?? '');
  return first.length > 120 || command.includes('\n') ? `${first.slice(0, 120)}…` : first;
}

/** A command on the host failed: carries the host, the command, the exit code and stderr's last lines. */
export class HostCommandError extends Error {
  override readonly name = 'HostCommandError';
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    const tailLines = redact(stderr.trim().split('\n').slice(-5).join('\n'));
    // Redacted before it is shortened: a token cut in half no longer looks like one.
    const shown = redact(command);
    super(`${host}: \`${shown.length > 160 ? `${shown.slice(0, 160)}…` : shown}\` exited with ${exitCode}${tailLines ? `:\n${tailLines}` : ''}`);
  }
}

/** The last lines of stderr, for error messages, redacted. */
export function tail(stderr: string, lines = 5): string {
  const text = redact(stderr.trim().split('\n').slice(-lines).join('\n'));
  return text ? `\n${text}` : '';
}
