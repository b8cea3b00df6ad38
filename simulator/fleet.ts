/**
 * An in-process simulated fleet: each host is a real SSH server (ssh2.Server) on its own loopback
 * port with its own host key, whose commands run in `sh` inside the host's own directory
 * ($MAINT_HOST_DIR), plus one HTTP server answering every host's health check from the version the
 * host has installed. Faults can be injected per host. Used by the demo, tests and benchmarks where
 * real sshd processes would be too many.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Server as SshServer, utils, type Connection, type ParsedKey } from 'ssh2';
import { sha256Fingerprint } from '../activities/hosts/fingerprint';
import type { ResolvedHost } from '../policies/inventory';

export interface HostFaults {
  /** Commands matching this never answer (the channel stays open). */
  hang?: RegExp;
  /** Commands matching this drop the whole connection. */
  drop?: RegExp;
  /** Present a host key other than the one the inventory pins. */
  wrongHostKey?: boolean;
  /** Versions with which this host's health check answers 503. */
  unhealthyVersions?: string[];
}

export interface SimulatedHost extends ResolvedHost {
  /** The host's filesystem; `version` in it is what the health endpoint reports. */
  dir: string;
  healthUrl: string;
  faults: HostFaults;
  /** Every command the host was asked to run, in order. */
  commands: string[];
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
}

export async function startSimulatedFleet(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
  const root = mkdtempSync(join(tmpdir(), 'maint-sim-'));
  const client = utils.generateKeyPairSync('ed25519');
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
  for (let i = 0; i < options.count; i++) {
    const name = `${options.namePrefix ?? 'sim'}-${i + 1}`;
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'version'), `${options.initialVersion ?? '1.0.0'}\n`);
    const hostKey = utils.generateKeyPairSync('ed25519');
    const presented = options.faults?.(i).wrongHostKey ? utils.generateKeyPairSync('ed25519') : hostKey;
    const pinned = sha256Fingerprint((utils.parseKey(hostKey.public) as ParsedKey).getPublicSSH());
    const host: SimulatedHost = {
      name, address: '127.0.0.1', port: 0, user, hostKey: pinned, identityFile: clientKeyFile,
      tags: options.tags?.(i) ?? {}, dir, healthUrl: `http://127.0.0.1:${httpPort}/hosts/${name}/health`,
      faults: options.faults?.(i) ?? {}, commands: [],
    };
    const server = new SshServer({ hostKeys: [presented.private] }, (conn) => {
      connections.add(conn);
      conn.on('close', () => connections.delete(conn));
      serveConnection(conn, host, clientPublic);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host.port = (server.address() as AddressInfo).port;
    servers.push(server);
    byName.set(name, host);
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
      for (const conn of connections) conn.end();
      await Promise.all([...servers.map((s) => closeServer(s)), new Promise<void>((resolve) => http.close(() => resolve()))]);
      http.closeAllConnections();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function serveConnection(conn: Connection, host: SimulatedHost, clientPublic: ParsedKey): void {
  conn.on('error', () => undefined);
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
        const child = spawn('sh', ['-c', info.command], {
          cwd: host.dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: host.dir, MAINT_HOST_DIR: host.dir, MAINT_HOST_NAME: host.name, LC_ALL: 'C' },
        });
        stream.pipe(child.stdin).on('error', () => undefined);
        child.stdout.pipe(stream, { end: false });
        child.stderr.pipe(stream.stderr, { end: false });
        child.on('close', (code, signal) => {
          stream.exit(code ?? (signal ? 128 : 1));
          stream.end();
        });
        stream.on('close', () => child.kill('SIGKILL'));
      });
    });
  });
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
