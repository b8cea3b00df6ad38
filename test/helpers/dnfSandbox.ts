// A RHEL-like host for the dnf strategy, made of this machine's REAL dnf and rpm (Debian 12 ships
// both) behind a real sshd: tiny noarch RPMs built here with rpmbuild, a repository made with
// createrepo_c and served over HTTP (as a mirror would be: dnf then downloads into its cache), and
// every package operation confined to a temporary installroot.
//
// How the strategy's commands reach the sandbox unchanged: the host's sessions get a PATH (sshd
// SetEnv) whose first directory holds `dnf` and `rpm` wrappers that add the sandbox's options
// (`--installroot`, `--config`, `--root`) and exec /usr/bin/dnf and /usr/bin/rpm. The product sends
// exactly the command lines it sends to a real host; only which root they act on differs.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { runJob } from '../../activities/hosts/jobs';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import type { StrategyContext } from '../../activities/patch/strategy';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';

export interface DemoRpm {
  name: string;
  /** `[epoch:]version-release`, as dnf prints it. */
  evr: string;
  requires?: string;
  /** Listed in the repository's updateinfo as a security advisory (what `--security` selects). */
  security?: boolean;
}

export interface BuiltRpm extends DemoRpm {
  /** The .rpm file, built once per test file and never changed. */
  file: string;
  fileName: string;
}

const RPMBUILD_MACROS = ['--define', '_binary_payload w9.gzdio', '--define', '_build_id_links none'];

/** Builds each package (noarch, one file `/opt/<name>/VERSION`) with rpmbuild into `dir`. */
export function buildRpms(dir: string, packages: DemoRpm[]): BuiltRpm[] {
  return packages.map((p) => {
    const [, epoch, version = '', release = ''] = /^(?:(\d+):)?([^-]+)-([^-]+)$/.exec(p.evr) ?? [];
    if (!version || !release) throw new Error(`buildRpms: ${p.name} has no version-release in "${p.evr}"`);
    const top = join(dir, `${p.name}-${p.evr.replace(':', '_')}`);
    mkdirSync(top, { recursive: true });
    const spec = join(top, `${p.name}.spec`);
    writeFileSync(spec, [
      `Name: ${p.name}`, `Version: ${version}`, `Release: ${release}`, ...(epoch ? [`Epoch: ${epoch}`] : []),
      `Summary: ${p.name} ${p.evr} for the dnf strategy test`, 'License: MIT', 'BuildArch: noarch',
      ...(p.requires ? [`Requires: ${p.requires}`] : []),
      '%description', `${p.name} ${p.evr} for the dnf strategy test.`,
      '%install', `mkdir -p %{buildroot}/opt/${p.name}`, `echo ${version} > %{buildroot}/opt/${p.name}/VERSION`,
      '%files', `/opt/${p.name}/VERSION`, '',
    ].join('\n'));
    execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, ...RPMBUILD_MACROS, spec], { stdio: 'pipe' });
    const fileName = `${p.name}-${version}-${release}.noarch.rpm`;
    const file = join(top, 'RPMS', 'noarch', fileName);
    if (!existsSync(file)) throw new Error(`rpmbuild did not produce ${file}`);
    return { ...p, file, fileName };
  });
}

export interface DnfSandbox {
  /** The installroot: the host's rpm database, /opt, dnf's cache, history and logs are under it. */
  root: string;
  ctx: StrategyContext;
  shell: HostShell;
  /** Steps the strategy reported through heartbeat, in order. */
  steps: string[];
  /** Paths the repository's HTTP server was asked for. */
  requests: string[];
  /** The installed packages, `name` → `[epoch:]version-release`, read with `rpm -qa --root` (not through the strategy). */
  installed(): Record<string, string>;
  /** What a package's file says: which version's files are on the host. */
  versionFile(name: string): string | undefined;
  /** The command line of each dnf transaction in the sandbox's history, oldest first, without the sandbox's options. */
  transactions(): string[];
  /** Runs a command on the host (as a person at its shell would) and returns stdout; throws unless it exits 0. */
  sh(command: string): Promise<string>;
  /** Rewrites the repository so that it offers exactly these packages. */
  publish(packages: BuiltRpm[]): void;
  close(): Promise<void>;
}

const RPM_QA = ['-qa', '--qf', '%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}\n'];

/**
 * A fresh host: its own installroot, repository (offering `offered`), HTTP server and sshd, with
 * `preinstalled` (NEVRs such as `maint-demo-1.0-1`) installed by dnf before the test starts.
 * Proves the sessions' dnf and rpm act on the sandbox before installing anything; close() removes it all.
 */
export async function startDnfSandbox(offered: BuiltRpm[], preinstalled: string[]): Promise<DnfSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-dnf-'));
  const root = join(dir, 'root');
  const repo = join(dir, 'repo');
  const bin = join(dir, 'bin');
  const requests: string[] = [];
  const steps: string[] = [];
  let server: Server | undefined;
  let fleet: SshdFleet | undefined;
  let shell: HostShell | undefined;
  const close = async () => {
    shell?.close();
    await fleet?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const d of [repo, bin, join(root, 'etc/yum.repos.d'), join(root, 'etc/dnf/plugins')]) mkdirSync(d, { recursive: true });
    const publish = (packages: BuiltRpm[]) => {
      rmSync(repo, { recursive: true, force: true });
      mkdirSync(repo);
      for (const p of packages) copyFileSync(p.file, join(repo, p.fileName));
      execFileSync('createrepo_c', ['-q', '--no-database', repo], { stdio: 'pipe' });
      const advisories = packages.filter((p) => p.security);
      if (advisories.length > 0) {
        const updateinfo = join(dir, 'updateinfo.xml');
        writeFileSync(updateinfo, updateInfoXml(advisories));
        execFileSync('modifyrepo_c', ['--mdtype=updateinfo', updateinfo, join(repo, 'repodata')], { stdio: 'pipe' });
      }
    };
    publish(offered);

    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
      requests.push(path);
      const file = join(repo, path);
      if (!path.startsWith('/') || path.includes('..') || !file.startsWith(repo) || !existsSync(file)) return void res.writeHead(404).end();
      try {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    // The host's own configuration, inside the installroot as on a real host's /etc. Its plugins'
    // configuration too: the machine's /etc/dnf/plugins must not reach the sandbox.
    const conf = join(root, 'etc/dnf/dnf.conf');
    writeFileSync(conf, [
      '[main]', 'gpgcheck=0', 'install_weak_deps=0', `reposdir=${join(root, 'etc/yum.repos.d')}`,
      `pluginconfpath=${join(root, 'etc/dnf/plugins')}`, '',
    ].join('\n'));
    writeFileSync(join(root, 'etc/yum.repos.d/maint.repo'), [
      '[maint]', 'name=Maint test repository', `baseurl=http://127.0.0.1:${port}/`, 'gpgcheck=0', 'metadata_expire=0', '',
    ].join('\n'));
    // Only needs-restarting among the machine's dnf plugins: `local`, enabled by Debian's
    // dnf-plugins-core, would copy every package into the machine's /var/lib/dnf/plugins/local and
    // offer it back as a repository (a rollback would then work where a real host's would not).
    writeFileSync(join(bin, 'dnf'), [
      '#!/bin/sh', '# The sandbox host\'s dnf: the machine\'s own, confined to the installroot.',
      `exec /usr/bin/dnf --installroot=${root} --config=${conf} --releasever=maint --disableplugin='*' --enableplugin=needs_restarting "$@"`, '',
    ].join('\n'), { mode: 0o755 });
    writeFileSync(join(bin, 'rpm'), ['#!/bin/sh', `exec /usr/bin/rpm --root=${root} "$@"`, ''].join('\n'), { mode: 0o755 });

    fleet = await startSshdFleet(1, { namePrefix: 'dnf', env: { PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` } });
    const host = fleet.hosts[0]!;
    shell = await new NodeSshConnector().connect(host);
    const session = shell;
    const sh = async (command: string) => {
      const result = await session.run(command, { timeoutSeconds: 120 });
      if (result.exitCode !== 0) throw new Error(`${command}: exit ${result.exitCode}\n${result.stderr}`);
      return result.stdout;
    };
    // Changing commands run as detached jobs, exactly as activities/patch/index.ts runs them.
    const rolloutId = `dnf-e2e-${randomUUID().slice(0, 8)}`;
    const ctx: StrategyContext = {
      shell, host, rolloutId, commandTimeoutSeconds: 300,
      heartbeat: (step) => steps.push(step),
      runChange: (step, command, then) => runJob(session, `${rolloutId}.${host.name}.${step}`, command, { timeoutSeconds: 300, ...(then ? { then } : {}) }),
    };

    // Safety first: unless this session's dnf and rpm demonstrably act on the sandbox, stop here.
    const probe = await sh('echo "dnf=$(command -v dnf) rpm=$(command -v rpm) nr=$(command -v needs-restarting)"; rpm -qa | wc -l; LC_ALL=C dnf -q repolist');
    expect(probe.split('\n')[0]).toBe(`dnf=${bin}/dnf rpm=${bin}/rpm nr=`);
    expect(probe.split('\n')[1]).toBe('0');
    expect(probe.split('\n').slice(2).join('\n')).toMatch(/^repo id\s+repo name\nmaint\s+Maint test repository\n$/);

    if (preinstalled.length > 0) await sh(`LC_ALL=C dnf -y -q install ${preinstalled.join(' ')}`);
    const sandbox: DnfSandbox = {
      root, ctx, shell, steps, requests, sh, publish, close,
      installed: () => Object.fromEntries(execFileSync('/usr/bin/rpm', ['--root', root, ...RPM_QA], { encoding: 'utf8' })
        .trim().split('\n').filter(Boolean).map((l) => l.split('\t')).map(([n = '', evr = '']) => [n, evr.replace(/^\(none\):/, '')])),
      versionFile: (name) => {
        const file = join(root, 'opt', name, 'VERSION');
        return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
      },
      transactions: () => {
        const out = execFileSync(join(bin, 'dnf'), ['-q', 'history', 'list'], { encoding: 'utf8' });
        const ids = [...out.matchAll(/^\s*(\d+)\s*\|/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
        return ids.map((id) => {
          const info = execFileSync(join(bin, 'dnf'), ['-q', 'history', 'info', String(id)], { encoding: 'utf8' });
          const line = /^Command Line\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
          return line.replace(/^--installroot=\S+ --config=\S+ --releasever=maint --disableplugin=\* --enableplugin=needs_restarting /, '');
        });
      },
    };
    expect(Object.keys(sandbox.installed()).sort()).toEqual(preinstalled.map((p) => p.replace(/-[^-]+-[^-]+$/, '')).sort());
    return sandbox;
  } catch (err) {
    await close();
    throw err;
  }
}

/** One security advisory per package, in the updateinfo.xml format `dnf --security` reads. */
function updateInfoXml(packages: BuiltRpm[]): string {
  const updates = packages.map((p, i) => {
    const [, epoch = '0', version = '', release = ''] = /^(?:(\d+):)?([^-]+)-([^-]+)$/.exec(p.evr) ?? [];
    return [
      `  <update from="tests@example.invalid" status="final" type="security" version="1">`,
      `    <id>MAINT-SA-${i + 1}</id>`, `    <title>${p.name} security update</title>`, `    <severity>Important</severity>`,
      `    <issued date="2026-01-01 00:00:00"/>`, `    <description>Fixes a flaw in ${p.name}.</description>`,
      `    <pkglist><collection short="maint"><name>maint</name>`,
      `      <package name="${p.name}" arch="noarch" epoch="${epoch}" version="${version}" release="${release}" src="${p.name}.src.rpm"><filename>${p.fileName}</filename></package>`,
      `    </collection></pkglist>`, `  </update>`,
    ].join('\n');
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${updates.join('\n')}\n</updates>\n`;
}
