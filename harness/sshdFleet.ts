import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { freePort } from './ports';
import { track } from './processes';

const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

export interface SshdHost extends ResolvedHost {
  /** The folder standing for this host's filesystem; its sessions see it as $MAINT_HOST_DIR. */
  dir: string;
  /** This host's own job directory (its sessions' $MAINT_JOB_DIR): empty at start, whatever ran before. */
  jobDir: string;
  /** The pinned fingerprint, exactly as `ssh-keygen -lf` prints it. */
  hostKey: string;
  sshd: ChildProcess;
}

export interface SshdFleet {
  hosts: SshdHost[];
  /** The private key every host authorizes. */
  clientKey: string;
  root: string;
  /** An inventory file (maint/v1) for these hosts; `override` changes one host's fields. */
  inventoryYaml(override?: (host: SshdHost, index: number) => Record<string, unknown>): string;
  stop(): Promise<void>;
}

/**
 * Starts N real OpenSSH sshd processes on free loopback ports, each with its own host key, its
 * own directory and the fleet's authorized client key. `stop()` kills them and removes their files;
 * call it from afterAll (a process-exit hook kills them too if a test file crashes).
 */
export async function startSshdFleet(
  count: number,
  options: {
    namePrefix?: string;
    tags?: (i: number) => Record<string, string>;
    env?: Record<string, string>;
    /** The SSH user of every host (default: the user running the tests). */
    user?: string;
    /** Other users who may log in too (a test's non-root users; the tests run as root). */
    alsoUsers?: string[];
    /** sshd's LogLevel (default ERROR); INFO logs every login ("Accepted publickey for …"): see {@link sshdLog}. */
    logLevel?: 'ERROR' | 'INFO' | 'VERBOSE';
    /** More sshd_config lines for every host (e.g. `MaxSessions 2`). */
    sshdConfig?: string[];
  } = {},
): Promise<SshdFleet> {
  if (!SSHD) throw new Error('OpenSSH sshd is not installed: scripts/test.sh installs Debian\'s openssh-server; or `apt-get install openssh-server`');
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const root = mkdtempSync(join(tmpdir(), 'maint-sshd-'));
  const clientKey = join(root, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'maint-test-client', '-f', clientKey]);
  const authorized = readFileSync(`${clientKey}.pub`, 'utf8');
  const user = options.user ?? userInfo().username;
  // Other users may log in (sshd reads their authorized keys as them): the fleet's folder can then be
  // passed through, not listed, and the authorized keys read, by those users only (AllowUsers);
  // private keys stay 0600, and the hosts' folders their creator's: only what such a user runs
  // through sudo can change them.
  const allowed = user === userInfo().username && !options.alsoUsers?.length ? undefined : [user, ...(options.alsoUsers ?? [])];
  if (allowed !== undefined) chmodSync(root, 0o711);
  // Extra variables for every session (e.g. APT_CONFIG for a sandboxed apt); SetEnv splits on spaces.
  const extraEnv = Object.entries(options.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\s"]/.test(v)) throw new Error(`sshd SetEnv cannot carry ${k}=${JSON.stringify(v)}`);
    return ` ${k}=${v}`;
  }).join('');

  const hosts: SshdHost[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `${options.namePrefix ?? 'host'}-${i + 1}`;
      const dir = join(root, name);
      mkdirSync(join(dir, 'fs'), { recursive: true });
      const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', hostKeyFile]);
      const fingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKeyFile}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
      writeFileSync(join(dir, 'authorized_keys'), authorized, { mode: allowed === undefined ? 0o600 : 0o644 });
      const port = await freePort();
      writeFileSync(join(dir, 'sshd_config'), [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKeyFile}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        'MaxStartups 100:30:200',
        `LogLevel ${options.logLevel ?? 'ERROR'}`,
        ...(allowed !== undefined ? [`AllowUsers ${allowed.join(' ')}`] : []),
        ...(options.sshdConfig ?? []),
        `SetEnv MAINT_HOST_DIR=${join(dir, 'fs')} MAINT_HOST_NAME=${name} MAINT_JOB_DIR=${join(dir, 'jobs')}${extraEnv}`,
        '',
      ].join('\n'));
      const sshd = track(spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] }));
      let stderr = '';
      sshd.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString(), keepLog(dir, chunk)));
      hosts.push({
        name, address: '127.0.0.1', port, user, hostKey: fingerprint, identityFile: clientKey,
        tags: options.tags?.(i) ?? {}, dir: join(dir, 'fs'), jobDir: join(dir, 'jobs'), sshd,
      });
      await waitForBanner(port, sshd, () => stderr);
    }
  } catch (err) {
    await stopAll(hosts, root);
    throw err;
  }

  return {
    hosts,
    clientKey,
    root,
    inventoryYaml(override) {
      const lines = ['apiVersion: maint/v1', 'kind: Inventory', `defaults: {user: ${user}, identityFile: ${JSON.stringify(clientKey)}}`, 'hosts:'];
      hosts.forEach((h, i) => {
        const entry = { name: h.name, address: h.address, port: h.port, hostKey: h.hostKey, tags: h.tags, ...(override?.(h, i) ?? {}) };
        lines.push(`  - ${JSON.stringify(entry)}`);
      });
      return `${lines.join('\n')}\n`;
    },
    stop: () => stopAll(hosts, root),
  };
}

async function waitForBanner(port: number, sshd: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (sshd.exitCode !== null) throw new Error(`sshd on port ${port} exited with ${sshd.exitCode}: ${stderr()}`);
    const banner = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(1000);
      socket.once('data', (d) => {
        resolve(d.toString());
        socket.destroy();
      });
      socket.once('error', () => resolve(''));
      socket.once('timeout', () => {
        resolve('');
        socket.destroy();
      });
    });
    if (banner.startsWith('SSH-')) return;
    await sleep(50);
  }
  throw new Error(`sshd on port ${port} did not answer within 10 s: ${stderr()}`);
}

async function stopAll(hosts: SshdHost[], root: string): Promise<void> {
  await Promise.all(hosts.map((h) => new Promise<void>((resolve) => {
    if (h.sshd.exitCode !== null || h.sshd.signalCode !== null) return resolve();
    h.sshd.once('exit', () => resolve());
    h.sshd.kill('SIGTERM');
  })));
  rmSync(root, { recursive: true, force: true });
}

/**
 * Starts `host`'s sshd again once its previous process is gone: same port, same host key, same
 * config. `wrap` goes in front of the sshd command line (e.g. `unshare …` for a private /run).
 * Resolves once it answers with an SSH banner; `host.sshd` is the new process.
 */
export async function restartSshd(host: SshdHost, options: { wrap?: string[] } = {}): Promise<void> {
  if (host.sshd.exitCode === null && host.sshd.signalCode === null) throw new Error(`${host.name}: sshd is still running; stop it first`);
  const argv = [...(options.wrap ?? []), SSHD!, '-D', '-e', '-f', join(dirname(host.dir), 'sshd_config')];
  const sshd = track(spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  sshd.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString(), keepLog(dirname(host.dir), chunk)));
  host.sshd = sshd;
  await waitForBanner(host.port, sshd, () => stderr);
}

/** What sshd logged (`-e`: its stderr, sessions' lines included), every restart of it appended. */
export function sshdLog(host: SshdHost): string {
  const file = join(dirname(host.dir), 'sshd.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function keepLog(hostRoot: string, chunk: Buffer): void {
  // The fleet's folder is removed by stop() while a last line may still arrive.
  if (existsSync(hostRoot)) appendFileSync(join(hostRoot, 'sshd.log'), chunk);
}
