import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { homedir } from 'node:os';
import { NodeSSH } from 'node-ssh';
import { withRemoteTimeout } from '../../policies/common/shell';
import { becomeCommand, type Become } from '../../policies/inventory/become';
import { sha256Fingerprint } from './fingerprint';
import type { FAILURE } from '../../policies/common/failures';
import { redact } from '../../policies/common/redact';
import { metrics, outcomeOf } from '../metrics';

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

/** An open, verified SSH connection to one host. */
export interface HostShell {
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  close(): void;
}

export interface SshConnector {
  connect(target: SshTarget, options?: { signal?: AbortSignal }): Promise<HostShell>;
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

/**
 * At most `limit` holders at a time per key; the rest wait in order. Keeps us under OpenSSH's
 * MaxStartups (10 unauthenticated connections, then random drops) and MaxSessions per host.
 */
export class PerHostLimit {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();
  constructor(private readonly limit: number) {}

  async acquire(key: string): Promise<() => void> {
    if ((this.active.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.set(key, [...(this.waiting.get(key) ?? []), resolve]));
    } else {
      this.active.set(key, (this.active.get(key) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(key)?.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else if ((this.active.get(key) ?? 1) <= 1) this.active.delete(key);
      else this.active.set(key, this.active.get(key)! - 1);
    };
  }

  inUse(key: string): number {
    return this.active.get(key) ?? 0;
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
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}

/** SSH through node-ssh (ssh2) with a pinned host key: a host presenting another key is sent nothing. */
export class NodeSshConnector implements SshConnector {
  private readonly perHost: PerHostLimit;
  constructor(private readonly options: NodeSshConnectorOptions = {}) {
    this.perHost = new PerHostLimit(options.maxConnectionsPerHost ?? 4);
  }

  async connect(target: SshTarget, options: { signal?: AbortSignal } = {}): Promise<HostShell> {
    const release = await this.perHost.acquire(`${target.address}:${target.port}`);
    const started = Date.now();
    try {
      const shell = await this.open(target, options);
      metrics.sshConnect(started, 'ok');
      return { run: (command, runOptions) => shell.run(command, runOptions), close: () => { shell.close(); release(); } };
    } catch (err) {
      release();
      metrics.sshConnect(started, outcomeOf(err));
      throw err;
    }
  }

  private async open(target: SshTarget, { signal }: { signal?: AbortSignal } = {}): Promise<HostShell> {
    const where = `${target.name} (${target.user}@${target.address}:${target.port})`;
    const identity = target.identityFile ?? this.options.defaultIdentityFile;
    const privateKeyPath = identity !== undefined ? expandHome(identity) : undefined;
    if (target.identityFile !== undefined && privateKeyPath !== undefined && !existsSync(privateKeyPath)) {
      throw new SshError('AuthenticationFailed', `${where}: identity file ${privateKeyPath} does not exist on the worker`);
    }
    const usableKey = privateKeyPath !== undefined && existsSync(privateKeyPath) ? privateKeyPath : undefined;
    if (usableKey === undefined && this.options.agentSocket === undefined) {
      throw new SshError('AuthenticationFailed', `${where}: no SSH credentials: set identityFile in the inventory, MAINT_SSH_IDENTITY_FILE, or SSH_AUTH_SOCK`);
    }

    let presented: string | undefined;
    const ssh = new NodeSSH();
    let sock: Socket | undefined;
    const abort = () => {
      ssh.dispose();
      sock?.destroy();
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
      sock = await openSocket(target.address, target.port, this.options.readyTimeoutMs ?? 20_000, signal);
      await ssh.connect({
        sock,
        host: target.address,
        port: target.port,
        username: target.user,
        ...(usableKey !== undefined ? { privateKeyPath: usableKey } : {}),
        ...(this.options.agentSocket !== undefined ? { agent: this.options.agentSocket } : {}),
        readyTimeout: this.options.readyTimeoutMs ?? 20_000,
        keepaliveInterval: this.options.keepaliveIntervalMs ?? 10_000,
        keepaliveCountMax: 3,
        // Without a verifier ssh2 accepts any key; we compare the raw key's SHA-256 with the pin.
        hostVerifier: (key: Buffer) => {
          presented = sha256Fingerprint(key);
          return presented === target.hostKey;
        },
      });
    } catch (err) {
      abort();
      signal?.removeEventListener('abort', abort);
      if (presented !== undefined && presented !== target.hostKey) {
        throw new SshError('HostKeyMismatch', `${where}: host key mismatch: expected ${target.hostKey}, the host presented ${presented}; nothing was sent to it`);
      }
      const message = err instanceof Error ? err.message : String(err);
      if (/authentication methods failed/i.test(message)) {
        throw new SshError('AuthenticationFailed', `${where}: authentication failed for user ${target.user} (${message})`);
      }
      throw new SshError('ConnectFailed', `${where}: cannot connect: ${message}`);
    }
    // A later ECONNRESET (a reboot, a dropped link) must not crash the worker: runs see code null.
    ssh.connection?.on('error', () => undefined);
    signal?.removeEventListener('abort', abort);
    return new NodeSshShell(ssh, where, this.options.defaultCommandTimeoutSeconds ?? 300, target.become);
  }
}

/**
 * A connected TCP socket with Nagle off from the first byte, for ssh2 to speak over: the handshake
 * is a dozen small request/response packets, and with Nagle and delayed ACKs each connection took
 * ~200 ms longer (ssh2 can only switch it off once connected).
 */
function openSocket(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = new Socket();
    sock.setNoDelay(true);
    const fail = (err: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      sock.destroy();
      reject(err);
    };
    const cancel = () => fail(new Error('cancelled while connecting'));
    const timer = setTimeout(() => fail(new Error(`no TCP connection within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', cancel, { once: true });
    sock.once('error', fail);
    sock.once('connect', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      sock.removeListener('error', fail);
      // From here ssh2 handles the socket's errors; this keeps one in between from crashing the worker.
      sock.on('error', () => undefined);
      resolve(sock);
    });
    sock.connect(port, address);
  });
}

class NodeSshShell implements HostShell {
  constructor(
    private readonly ssh: NodeSSH,
    private readonly where: string,
    private readonly defaultTimeoutSeconds: number,
    private readonly become: Become | undefined,
  ) {}

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
    let timedOut = false;
    // The remote `timeout -k 10s` gets the first chance; the local timer is the backstop.
    const timer = setTimeout(() => {
      timedOut = true;
      this.ssh.dispose();
    }, (timeoutSeconds + 15) * 1000);
    try {
      const timed = withRemoteTimeout(command, timeoutSeconds);
      const result = await this.ssh.execCommand(options.become ? becomeCommand(timed, this.become) : timed, {
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        noTrim: true,
      });
      if (timedOut || result.code === 124 || result.code === 137) {
        throw new SshError('CommandTimedOut', `${this.where}: command timed out after ${timeoutSeconds}s: ${abbreviate(command)}${tail(result.stderr)}`);
      }
      if (result.code === null) {
        throw new SshError('ConnectionLost', `${this.where}: connection lost while running: ${abbreviate(command)}${tail(result.stderr)}`);
      }
      return { exitCode: result.code, stdout: result.stdout, stderr: result.stderr };
    } catch (err) {
      if (err instanceof SshError) throw err;
      if (timedOut) throw new SshError('CommandTimedOut', `${this.where}: command timed out after ${timeoutSeconds}s: ${abbreviate(command)}`);
      throw new SshError('ConnectionLost', `${this.where}: ${err instanceof Error ? err.message : String(err)} while running: ${abbreviate(command)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.ssh.dispose();
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
