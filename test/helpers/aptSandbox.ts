// A hermetic Debian host for tests: this machine's REAL apt-get and dpkg, behind a real sshd, with
// APT_CONFIG, DPKG_ADMINDIR and DPKG_ROOT pointing into a temporary directory (own dpkg database,
// apt lists, cache, sources), and tiny .debs served by a local HTTP repository per suite, each with
// a Release file whose Date the test chooses. (The same set-up as test/activities/aptStrategy.test.ts,
// as a helper with suites and dates.)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import { restartSshd, startSshdFleet, type SshdFleet, type SshdHost } from '../../harness/sshdFleet';

export interface SandboxPackage {
  name: string;
  version: string;
  depends?: string;
}

export interface AptSandbox {
  host: SshdHost;
  shell: HostShell;
  /** Writes `suite`'s Packages and Release (Suite: its name, Date: `date`) with exactly these packages. */
  publish(suite: string, packages: SandboxPackage[], date: Date): void;
  /** Empties the dpkg database and apt state; sources.list names every suite given. */
  reset(suites: string[]): Promise<void>;
  /** Runs a command on the host; throws unless it exits 0. */
  sh(command: string): Promise<string>;
  /** What needrestart -b prints (`NEEDRESTART-KSTA: 3` = a reboot is pending). */
  setNeedrestart(output: string): void;
  /**
   * Creates or removes /run/reboot-required as the host's sessions see it (what a kernel package's
   * postinst leaves behind). Only with `privateRun`: the host then has a /run of its own.
   */
  setRebootRequired(pending: boolean): void;
  installed(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

const APT_GET = 'LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confold';

/**
 * `privateRun`: the host's sshd runs in a private mount namespace whose /run is a folder of the
 * sandbox (as test/helpers/rebootableHost.ts does; needs root), so a test can leave a real
 * /run/reboot-required on the host without touching this machine's.
 */
export async function startAptSandbox(prefix: string, options: { privateRun?: boolean } = {}): Promise<AptSandbox> {
  const sandbox = mkdtempSync(join(tmpdir(), `maint-${prefix}-`));
  const runDir = join(sandbox, 'run');
  const root = join(sandbox, 'root');
  const repo = join(sandbox, 'repo');
  mkdirSync(repo);
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
    const file = join(repo, path);
    if (!path.startsWith('/') || path.includes('..') || !file.startsWith(repo) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    try {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  mkdirSync(join(sandbox, 'bin'));
  writeFileSync(join(sandbox, 'needrestart.out'), '');
  writeFileSync(join(sandbox, 'bin', 'needrestart'), `#!/bin/sh\n[ "$1" = -b ] && cat ${join(sandbox, 'needrestart.out')}\n`, { mode: 0o755 });
  const asRoot = process.getuid?.() === 0;
  const aptConf = join(sandbox, 'apt.conf');
  writeFileSync(aptConf, [
    `Dir "${root}/";`, `Dir::State "${root}/var/lib/apt/";`, `Dir::State::status "${root}/var/lib/dpkg/status";`,
    `Dir::Cache "${root}/var/cache/apt/";`, `Dir::Etc "${root}/etc/apt/";`, `Dir::Etc::main "${root}/etc/apt/apt.conf";`,
    `Dir::Etc::parts "${root}/etc/apt/apt.conf.d/";`, `Dir::Etc::sourcelist "${root}/etc/apt/sources.list";`,
    `Dir::Etc::sourceparts "${root}/etc/apt/sources.list.d/";`, `Dir::Etc::preferencesparts "${root}/etc/apt/preferences.d/";`,
    `Dir::Log "${root}/var/log/apt/";`, 'Dir::Bin::dpkg "/usr/bin/dpkg";',
    `DPkg::Options { "--root=${root}"; "--admindir=${root}/var/lib/dpkg"; "--log=${root}/var/log/dpkg.log"; ${asRoot ? '' : '"--force-not-root"; '}};`,
    `APT::Sandbox::User "${asRoot ? 'root' : ''}";`, 'Acquire::Languages "none";', '',
  ].join('\n'));
  let fleet: SshdFleet | undefined;
  let shell: HostShell | undefined;
  try {
    fleet = await startSshdFleet(1, {
      namePrefix: prefix,
      env: {
        APT_CONFIG: aptConf, DPKG_ADMINDIR: join(root, 'var/lib/dpkg'), DPKG_ROOT: root,
        PATH: `${join(sandbox, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      },
    });
    if (options.privateRun) {
      if (process.getuid?.() !== 0) throw new Error('startAptSandbox privateRun: needs root (unshare --mount, mount --bind)');
      const host = fleet.hosts[0]!;
      mkdirSync(join(runDir, 'sshd'), { recursive: true, mode: 0o755 }); // sshd's privilege separation directory
      await new Promise<void>((resolve) => {
        host.sshd.once('exit', () => resolve());
        host.sshd.kill('SIGTERM');
      });
      await restartSshd(host, {
        wrap: ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /run && shift && exec "$@"', 'sh', runDir],
      });
    }
    shell = await new NodeSshConnector().connect(fleet.hosts[0]!);
  } catch (err) {
    await fleet?.stop();
    server.close();
    rmSync(sandbox, { recursive: true, force: true });
    throw err;
  }
  const open = shell;
  const sh = async (command: string) => {
    const result = await open.run(command, { timeoutSeconds: 120 });
    if (result.exitCode !== 0) throw new Error(`${command}: exit ${result.exitCode}\n${result.stderr}`);
    return result.stdout;
  };
  const debFile = (p: SandboxPackage) => `${p.name}_${p.version.replace(/^\d+:/, '')}_all.deb`;

  return {
    host: fleet.hosts[0]!,
    shell: open,
    sh,
    publish(suite, packages, date) {
      const dir = join(repo, suite);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const entries = packages.map((p) => {
        const tree = join(sandbox, 'build', suite, `${p.name}_${p.version}`);
        mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
        mkdirSync(join(tree, 'opt', p.name), { recursive: true });
        writeFileSync(join(tree, 'opt', p.name, 'VERSION'), `${p.version}\n`);
        writeFileSync(join(tree, 'DEBIAN', 'control'), [
          `Package: ${p.name}`, `Version: ${p.version}`, 'Architecture: all', 'Maintainer: Maint Tests <tests@example.invalid>',
          ...(p.depends ? [`Depends: ${p.depends}`] : []), `Description: ${p.name} ${p.version} for the compliance test`, '',
        ].join('\n'));
        execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, join(dir, debFile(p))], { stdio: 'pipe' });
        const deb = readFileSync(join(dir, debFile(p)));
        const control = execFileSync('dpkg-deb', ['-f', join(dir, debFile(p))], { encoding: 'utf8' }).trimEnd();
        const sum = (algo: string) => createHash(algo).update(deb).digest('hex');
        return `${control}\nFilename: ./${debFile(p)}\nSize: ${deb.length}\nMD5sum: ${sum('md5')}\nSHA256: ${sum('sha256')}\n`;
      });
      const index = Buffer.from(entries.join('\n'));
      writeFileSync(join(dir, 'Packages'), index);
      writeFileSync(join(dir, 'Release'), [
        `Origin: Maint-${suite}`, `Suite: ${suite}`, `Codename: ${suite}`, 'Version: 1', `Date: ${date.toUTCString()}`,
        'SHA256:', ` ${createHash('sha256').update(index).digest('hex')} ${index.length} Packages`, '',
      ].join('\n'));
    },
    async reset(suites) {
      rmSync(root, { recursive: true, force: true });
      for (const dir of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial',
        'var/log/apt', 'etc/apt/apt.conf.d', 'etc/apt/sources.list.d', 'etc/apt/preferences.d']) mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, 'var/lib/dpkg/status'), '');
      writeFileSync(join(root, 'var/lib/dpkg/available'), '');
      writeFileSync(join(root, 'etc/apt/sources.list'), `${suites.map((s) => `deb [trusted=yes] http://127.0.0.1:${port}/${s}/ ./`).join('\n')}\n`);
      writeFileSync(join(sandbox, 'needrestart.out'), '');
      // Safety first: unless this session's apt and dpkg demonstrably use the sandbox, stop here.
      const probe = await sh('apt-config shell S Dir::State::status/f; echo "A=$DPKG_ADMINDIR"; echo "N=$(dpkg-query -W | wc -l)"');
      if (!probe.includes(`S='${root}/var/lib/dpkg/status'`) || !probe.includes(`A=${root}/var/lib/dpkg\n`) || !probe.includes('N=0\n')) {
        throw new Error(`the host's apt/dpkg do not use the sandbox ${root}:\n${probe}`);
      }
    },
    setNeedrestart(output) {
      writeFileSync(join(sandbox, 'needrestart.out'), output);
    },
    setRebootRequired(pending) {
      if (!options.privateRun) throw new Error('setRebootRequired needs startAptSandbox(prefix, {privateRun: true}): the host would share this machine\'s /run');
      if (pending) writeFileSync(join(runDir, 'reboot-required'), '*** System restart required ***\n');
      else rmSync(join(runDir, 'reboot-required'), { force: true });
    },
    async installed() {
      const out = await sh(`dpkg-query -W -f='\${Package} \${Version} \${db:Status-Status}\\n'`);
      return Object.fromEntries(out.trim().split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ').slice(0, 2)));
    },
    async stop() {
      open.close();
      await fleet?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(sandbox, { recursive: true, force: true });
    },
  };
}

/** apt-get update, then install exactly these versions (the host's starting point). */
export async function installOnSandbox(sandbox: AptSandbox, pins: string[]): Promise<void> {
  await sandbox.sh(`LC_ALL=C apt-get -q update && ${APT_GET} install ${pins.join(' ')}`);
}
