/**
 * An in-process simulated fleet: each host is a real SSH server (ssh2.Server) on its own loopback
 * port with its own host key, whose commands run in `sh` inside the host's own directory
 * ($MAINT_HOST_DIR), plus one HTTP server answering every host's health check from the version the
 * host has installed. Faults can be injected per host. Used by the demo, tests and benchmarks where
 * real sshd processes would be too many.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Server as SshServer, utils, type Connection, type ParsedKey } from 'ssh2';
import { sha256Fingerprint } from '../activities/hosts/fingerprint';
import type { ResolvedHost } from '../policies/inventory/hosts';

export interface HostFaults {
  /** Commands matching this never answer (the channel stays open). */
  hang?: RegExp;
  /** Commands matching this drop the whole connection. */
  drop?: RegExp;
  /** Present a host key other than the one the inventory pins. */
  wrongHostKey?: boolean;
  /** Versions with which this host's health check answers 503. */
  unhealthyVersions?: string[];
  /** A reboot takes the host down for good (it never answers SSH again). */
  rebootNeverReturns?: boolean;
}

export interface SimulatedHost extends ResolvedHost {
  /** The host's filesystem; `version` in it is what the health endpoint reports. */
  dir: string;
  healthUrl: string;
  faults: HostFaults;
  /** Every command the host was asked to run, in order. */
  commands: string[];
  /** Boot ids the host has had, oldest first (a reboot adds one). */
  bootIds: string[];
}

export interface SimulatedFleet {
  hosts: SimulatedHost[];
  clientKeyFile: string;
  installedVersion(name: string): string;
  host(name: string): SimulatedHost;
  stop(): Promise<void>;
}

export interface SimulatedFleetOptions {
  count: number;
  namePrefix?: string;
  tags?: (index: number) => Record<string, string>;
  initialVersion?: string;
  faults?: (index: number) => HostFaults;
  /**
   * Simulated reboots: a command that creates `$MAINT_HOST_DIR/reboot-requested` (e.g. a policy's
   * reboot command `touch "$MAINT_HOST_DIR/reboot-requested"`) takes the host down: connections
   * drop, new ones are refused for `downtimeMs`, then it answers with a new boot id (in the file
   * named by $MAINT_BOOT_ID_FILE, which the platform reads instead of /proc when it is set).
   */
  reboots?: { downtimeMs: number };
  /**
   * Hosts that look like Debian to the compliance scan: `apt-get`, `apt`, `apt-mark`, `dpkg`,
   * `apt-config` and `needrestart` on their PATH answer the scan's read-only commands from the
   * host's own files (what `apt list --upgradable` prints, the holds, the Release files' Suite and
   * Date, needrestart -b's output). Nothing else of apt is simulated.
   */
  apt?: (index: number) => SimulatedApt;
}

export interface SimulatedApt {
  /** Lines as `apt list --upgradable` prints them: `openssl/stable-security 3.0.15-1 amd64 [upgradable from: 3.0.14-1]`. */
  upgradable: string[];
  held?: string[];
  releases?: Array<{ suite: string; date: Date }>;
  /** What `needrestart -b` prints (`NEEDRESTART-KSTA: 3` = reboot pending). */
  needrestart?: string;
}

const APT_STUBS: Record<string, string> = {
  'apt-get': 'exit 0',
  apt: '[ "$1" = list ] && echo "Listing..." && cat "$MAINT_HOST_DIR/apt/upgradable"',
  'apt-mark': '[ "$1" = showhold ] && cat "$MAINT_HOST_DIR/apt/held"',
  dpkg: '[ "$1" = --print-architecture ] && echo amd64',
  'apt-config': 'echo "LISTS=\'$MAINT_HOST_DIR/apt/lists/\'"',
  needrestart: '[ -f "$MAINT_HOST_DIR/apt/needrestart" ] && cat "$MAINT_HOST_DIR/apt/needrestart"; exit 0',
};

function writeSimulatedApt(root: string, dir: string, apt: SimulatedApt): void {
  mkdirSync(join(dir, 'apt', 'lists'), { recursive: true });
  writeFileSync(join(dir, 'apt', 'upgradable'), apt.upgradable.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, 'apt', 'held'), (apt.held ?? []).map((l) => `${l}\n`).join(''));
  for (const r of apt.releases ?? []) writeFileSync(join(dir, 'apt', 'lists', `sim_${r.suite}_Release`), `Suite: ${r.suite}\nDate: ${r.date.toUTCString()}\n`);
  if (apt.needrestart !== undefined) writeFileSync(join(dir, 'apt', 'needrestart'), apt.needrestart);
  const bin = join(root, 'apt-bin');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    for (const [name, body] of Object.entries(APT_STUBS)) writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
}

export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const root = mkdtempSync(join(tmpdir(), 'maint-sim-'));
  const client = generateEd25519();
  const clientKeyFile = join(root, 'client_ed25519');
  writeFileSync(clientKeyFile, client.private, { mode: 0o600 });
  const clientPublic = utils.parseKey(client.public) as ParsedKey;

  const byName = new Map<string, SimulatedHost>();
  const http = createHttpServer((req, res) => {
    const name = /^\/hosts\/([^/]+)\/health$/.exec(req.url ?? '')?.[1];
    const host = name !== undefined ? byName.get(decodeURIComponent(name)) : undefined;
    if (!host) {
      res.writeHead(404).end('no such host\n');
      return;
    }
    const version = readVersion(host.dir);
    const healthy = !(host.faults.unhealthyVersions ?? []).includes(version);
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(`${healthy ? 'ok' : 'unhealthy'} version=${version}\n`);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const httpPort = (http.address() as AddressInfo).port;

  const servers: SshServer[] = [];
  const connections = new Set<Connection>();
  const user = userInfo().username;
  const runner = new CommandRunner();
  const down = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const connectionsOf = new Map<string, Set<Connection>>();
  const checkReboot = (host: SimulatedHost) => {
    if (!options.reboots || down.has(host.name) || !existsSync(join(host.dir, 'reboot-requested'))) return;
    rmSync(join(host.dir, 'reboot-requested'), { force: true });
    down.add(host.name);
    for (const conn of connectionsOf.get(host.name) ?? []) conn.end();
    if (host.faults.rebootNeverReturns) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const bootId = randomUUID();
      writeFileSync(join(host.dir, 'boot_id'), `${bootId}\n`);
      host.bootIds.push(bootId);
      down.delete(host.name);
    }, options.reboots.downtimeMs);
    timers.add(timer);
  };
  // Reboot commands usually run detached (`nohup … &`): look for requests now and then too.
  const rebootWatch = options.reboots ? setInterval(() => {
    for (const h of byName.values()) checkReboot(h);
  }, 250) : undefined;
  try {
    for (let i = 0; i < options.count; i++) {
      const name = `${options.namePrefix ?? 'sim'}-${i + 1}`;
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'version'), `${options.initialVersion ?? '1.0.0'}\n`);
      if (options.apt) writeSimulatedApt(root, dir, options.apt(i));
      const bootId = randomUUID();
      writeFileSync(join(dir, 'boot_id'), `${bootId}\n`);
      const hostKey = generateEd25519();
      const presented = options.faults?.(i).wrongHostKey ? generateEd25519() : hostKey;
      const pinned = sha256Fingerprint((utils.parseKey(hostKey.public) as ParsedKey).getPublicSSH());
      const host: SimulatedHost = {
        name, address: '127.0.0.1', port: 0, user, hostKey: pinned, identityFile: clientKeyFile,
        tags: options.tags?.(i) ?? {}, dir, healthUrl: `http://127.0.0.1:${httpPort}/hosts/${name}/health`,
        faults: options.faults?.(i) ?? {}, commands: [], bootIds: [bootId],
      };
      const hostConnections = new Set<Connection>();
      connectionsOf.set(name, hostConnections);
      const server = new SshServer({ hostKeys: [presented.private] }, (conn) => {
        if (down.has(name)) {
          conn.end(); // rebooting: the connection dies before the handshake
          return;
        }
        connections.add(conn);
        hostConnections.add(conn);
        conn.on('close', () => {
          connections.delete(conn);
          hostConnections.delete(conn);
        });
        serveConnection(conn, host, clientPublic, runner, () => checkReboot(host), options.apt ? join(root, 'apt-bin') : undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      host.port = (server.address() as AddressInfo).port;
      servers.push(server);
      byName.set(name, host);
    }
  } catch (err) {
    // Whatever started must not outlive a failed start (it would keep the process alive).
    await Promise.all([...servers.map((s) => closeServer(s)), new Promise<void>((resolve) => http.close(() => resolve()))]);
    runner.stop();
    rmSync(root, { recursive: true, force: true });
    throw err;
  }

  return {
    hosts: [...byName.values()],
    clientKeyFile,
    installedVersion: (name) => readVersion(byName.get(name)!.dir),
    host: (name) => {
      const h = byName.get(name);
      if (!h) throw new Error(`no simulated host ${name}`);
      return h;
    },
    async stop() {
      if (rebootWatch) clearInterval(rebootWatch);
      for (const t of timers) clearTimeout(t);
      for (const conn of connections) conn.end();
      await Promise.all([...servers.map((s) => closeServer(s)), new Promise<void>((resolve) => http.close(() => resolve()))]);
      http.closeAllConnections();
      runner.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function serveConnection(conn: Connection, host: SimulatedHost, clientPublic: ParsedKey, runner: CommandRunner, afterCommand: () => void, binDir?: string): void {
  conn.on('error', () => undefined);
  // Without this, Nagle's algorithm on our side meets the client's delayed ACKs on every small SSH
  // packet: a loopback connect took ~300 ms and each command ~180 ms instead of ~10 ms.
  // (ssh2's server Connection has setNoDelay, lib/server.js; @types/ssh2 only declares the client's.)
  (conn as Connection & { setNoDelay(noDelay: boolean): unknown }).setNoDelay(true);
  conn.on('authentication', (ctx) => {
    if (ctx.method === 'publickey' && ctx.key.algo === clientPublic.type && ctx.key.data.equals(clientPublic.getPublicSSH())) {
      if (ctx.signature && ctx.blob && clientPublic.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
      return ctx.accept();
    }
    ctx.reject(['publickey']);
  });
  conn.on('ready', () => {
    conn.on('session', (acceptSession) => {
      const session = acceptSession();
      session.on('exec', (accept, _reject, info) => {
        const stream = accept();
        host.commands.push(info.command);
        if (host.faults.drop?.test(info.command)) {
          conn.end();
          return;
        }
        if (host.faults.hang?.test(info.command)) return;
        const child = runner.run(info.command, host.dir, {
          PATH: `${binDir !== undefined ? `${binDir}:` : ''}${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: host.dir, MAINT_HOST_DIR: host.dir, MAINT_HOST_NAME: host.name, LC_ALL: 'C',
          MAINT_BOOT_ID_FILE: join(host.dir, 'boot_id'), MAINT_JOB_DIR: join(host.dir, 'jobs'),
        }, (code, signal) => {
          stream.exit(code ?? (signal ? 128 : 1));
          stream.end();
          afterCommand();
        });
        stream.pipe(child.stdin).on('error', () => undefined);
        child.stdout.pipe(stream, { end: false });
        child.stderr.pipe(stream.stderr, { end: false });
        stream.on('close', () => child.kill());
      });
    });
  });
}

/** The helper process of {@link CommandRunner}: spawns what it is told and reports back over IPC. */
const SPAWNER = `
const { spawn } = require('node:child_process');
const children = new Map();
const send = (m) => process.connected && process.send(m);
process.on('message', (m) => {
  if (m.t === 'run') {
    let ended = false;
    const end = (code, signal) => { if (!ended) { ended = true; children.delete(m.id); send({ t: 'exit', id: m.id, code, signal }); } };
    const c = spawn('sh', ['-c', m.command], { cwd: m.cwd, env: m.env });
    children.set(m.id, c);
    c.stdout.on('data', (d) => send({ t: 'out', id: m.id, d: d.toString('base64') }));
    c.stderr.on('data', (d) => send({ t: 'err', id: m.id, d: d.toString('base64') }));
    c.stdin.on('error', () => {});
    c.on('error', () => end(127, null));
    c.on('close', end);
  } else if (m.t === 'in') children.get(m.id)?.stdin.write(Buffer.from(m.d, 'base64'));
  else if (m.t === 'end') children.get(m.id)?.stdin.end();
  else if (m.t === 'kill') children.get(m.id)?.kill('SIGKILL');
});
process.on('disconnect', () => { for (const c of children.values()) c.kill('SIGKILL'); process.exit(0); });
`;

type SpawnerMessage = { t: 'out'; id: number; d: string } | { t: 'err'; id: number; d: string } | { t: 'exit'; id: number; code: number | null; signal: string | null };

/**
 * Runs the hosts' commands in `sh`, forked by one small helper process rather than by this one.
 * fork() copies the page tables of the process that calls it, on its event loop: from a process
 * the size of a Jest worker running a Temporal worker (~600 MB) each spawn blocked the event loop
 * ~20-40 ms, and a rollout runs ~8 commands a host, so a few hundred hosts spent most of their time
 * waiting for each other's forks.
 */
class CommandRunner {
  private readonly helper: ChildProcess;
  private readonly running = new Map<number, { stdout: PassThrough; stderr: PassThrough; onExit: (code: number | null, signal: string | null) => void }>();
  private nextId = 0;

  constructor() {
    this.helper = spawn(process.execPath, ['-e', SPAWNER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    this.helper.on('message', (m: SpawnerMessage) => {
      const command = this.running.get(m.id);
      if (!command) return;
      if (m.t === 'out') command.stdout.write(Buffer.from(m.d, 'base64'));
      else if (m.t === 'err') command.stderr.write(Buffer.from(m.d, 'base64'));
      else this.finish(m.id, m.code, m.signal);
    });
    // A helper that died takes its commands with it: they end as if killed.
    this.helper.on('exit', () => {
      for (const id of [...this.running.keys()]) this.finish(id, null, 'SIGKILL');
    });
  }

  run(command: string, cwd: string, env: Record<string, string>, onExit: (code: number | null, signal: string | null) => void): { stdin: Writable; stdout: PassThrough; stderr: PassThrough; kill(): void } {
    const id = this.nextId++;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.running.set(id, { stdout, stderr, onExit });
    const send = (m: object) => {
      if (this.helper.connected) this.helper.send(m);
    };
    send({ t: 'run', id, command, cwd, env });
    const stdin = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        send({ t: 'in', id, d: chunk.toString('base64') });
        done();
      },
      final: (done) => {
        send({ t: 'end', id });
        done();
      },
    });
    return { stdin, stdout, stderr, kill: () => (this.running.has(id) ? send({ t: 'kill', id }) : undefined) };
  }

  stop(): void {
    if (this.helper.connected) this.helper.disconnect();
    this.helper.kill('SIGKILL');
  }

  private finish(id: number, code: number | null, signal: string | null): void {
    const command = this.running.get(id);
    if (!command) return;
    this.running.delete(id);
    // Like a child's 'close': once its output has been passed on.
    let open = 2;
    const ended = () => {
      if (--open === 0) command.onExit(code, signal);
    };
    command.stdout.once('end', ended).end();
    command.stderr.once('end', ended).end();
  }
}

/**
 * An ed25519 key pair in OpenSSH format that ssh2 can read back. ssh2 1.17's generateKeyPairSync
 * strips leading zero bytes from the raw 32-byte public key (lib/keygen.js, ed25519 case of
 * parseDERs), so about 1 key in 256 comes out malformed ("Malformed OpenSSH public key",
 * mscdex/ssh2#1390): with hundreds of hosts a fleet would fail to start most of the time.
 */
export function generateEd25519(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

function readVersion(dir: string): string {
  try {
    return readFileSync(join(dir, 'version'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function closeServer(server: SshServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
