import { randomUUID } from 'node:crypto';
// The apt strategy against this machine's REAL apt-get and dpkg, over a real sshd, with tiny .debs
// built here and served by a local HTTP repository. Hermetic: the host's sessions get APT_CONFIG,
// DPKG_ADMINDIR and DPKG_ROOT pointing into a temporary directory (own dpkg database, apt lists,
// cache, sources and logs; files unpacked under it), and each test proves that before anything runs.
// Each test gets a host of its own: beforeEach empties that directory, republishes both repositories
// and installs the old versions, so no test starts from what an earlier one left.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { runJob } from '../../activities/hosts/jobs';
import { NodeSshConnector, type HostShell } from '../../activities/hosts/ssh';
import { createPatchActivities } from '../../activities/patch';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { aptStrategy } from '../../activities/patch/strategies/apt';
import type { StrategyContext, VersionRecord } from '../../activities/patch/strategy';
import type { Strategy } from '../../policies/rollout/policy';
import { startSshdFleet, type SshdFleet } from '../../harness/sshdFleet';
import { createHostUser, type HostUser } from '../helpers/hostUsers';

type Apt = Extract<Strategy, { kind: 'apt' }>;
const ALL: Apt = { kind: 'apt', packages: 'all' };
const SECURITY: Apt = { kind: 'apt', packages: 'security' };

interface DemoPackage {
  name: string;
  version: string;
  repo: 'main' | 'security';
  depends?: string;
}

// maint-demo 2.0.0 needs maint-lib, which 1.0.0 did not: apply installs it, rollback removes it.
const PACKAGES: DemoPackage[] = [
  { name: 'maint-demo', version: '1.0.0', repo: 'main' },
  { name: 'maint-demo', version: '2.0.0', repo: 'main', depends: 'maint-lib (>= 1.0.0)' },
  { name: 'maint-lib', version: '1.0.0', repo: 'main' },
  { name: 'maint-sec', version: '1:1.0.0', repo: 'security' },
  { name: 'maint-sec', version: '1:1.0.1', repo: 'security' },
];

const APT_GET = 'apt-get -y -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confold -o APT::Keep-Downloaded-Packages=true';

/**
 * Holds `path` locked as apt and dpkg lock it (an fcntl write lock: flock(1) takes another kind of
 * lock, which apt does not see), as a running unattended-upgrades would; resolves once it is held.
 * `release()` ends the holder.
 */
async function holdAptLock(path: string): Promise<{ release: () => Promise<void> }> {
  const holder: ChildProcess = spawn('python3', ['-c', [
    'import fcntl, sys, time',
    'f = open(sys.argv[1], "a")',
    'fcntl.lockf(f, fcntl.LOCK_EX)',
    'print("held", flush=True)',
    'time.sleep(600)',
  ].join('\n'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return {
    release: () => new Promise<void>((resolve) => {
      holder.once('exit', () => resolve());
      holder.kill('SIGKILL');
    }),
  };
}

describe('apt strategy on a real apt/dpkg (sandboxed) over SSH', () => {
  let sandbox: string;
  let root: string;
  let fleet: SshdFleet;
  let ops: HostUser;
  let shell: HostShell;
  let server: Server;
  let ctx: StrategyContext;
  let repoPort: number;
  let testCases = 0;
  const requests: string[] = [];
  const steps: string[] = [];

  const debFile = (p: DemoPackage) => `${p.name}_${p.version.replace(/^\d+:/, '')}_all.deb`;
  const hostFile = (path: string) => readFileSync(join(root, path), 'utf8').trim();
  const statusFile = () => readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
  const dpkgLog = () => (existsSync(join(root, 'var/log/dpkg.log')) ? readFileSync(join(root, 'var/log/dpkg.log'), 'utf8') : '');
  /** The apt-get command lines apt itself logged, in order. */
  const aptCommandLines = () => {
    const log = join(root, 'var/log/apt/history.log');
    return existsSync(log) ? [...readFileSync(log, 'utf8').matchAll(/^Commandline: (.*)$/gm)].map((m) => m[1]) : [];
  };
  const installed = async () => {
    const out = await shell.run(`dpkg-query -W -f='\${Package} \${Version} \${db:Status-Status}\\n'`);
    return Object.fromEntries(out.stdout.trim().split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ').slice(0, 2)));
  };
  const sh = async (command: string) => {
    const result = await shell.run(command, { timeoutSeconds: 120 });
    if (result.exitCode !== 0) throw new Error(`${command}: exit ${result.exitCode}\n${result.stderr}`);
    return result.stdout;
  };

  /** (Re)writes a flat repository's Packages and Release from the .debs listed. */
  function publish(repo: 'main' | 'security', packages: DemoPackage[]) {
    const dir = join(sandbox, 'repo', repo);
    const entries = packages.filter((p) => p.repo === repo).map((p) => {
      const deb = readFileSync(join(dir, debFile(p)));
      const control = execFileSync('dpkg-deb', ['-f', join(dir, debFile(p))], { encoding: 'utf8' }).trimEnd();
      const sum = (algo: string) => createHash(algo).update(deb).digest('hex');
      return `${control}\nFilename: ./${debFile(p)}\nSize: ${deb.length}\nMD5sum: ${sum('md5')}\nSHA256: ${sum('sha256')}\n`;
    });
    const index = Buffer.from(entries.join('\n'));
    writeFileSync(join(dir, 'Packages'), index);
    const suite = repo === 'security' ? 'maint-security' : 'stable';
    writeFileSync(join(dir, 'Release'), [
      `Origin: ${repo === 'security' ? 'Maint-Security' : 'Maint'}`, `Suite: ${suite}`, `Codename: ${suite}`, 'Version: 1',
      `Date: ${new Date().toUTCString()}`, 'SHA256:', ` ${createHash('sha256').update(index).digest('hex')} ${index.length} Packages`, '',
    ].join('\n'));
  }

  beforeAll(async () => {
    sandbox = mkdtempSync(join(tmpdir(), 'maint-apt-'));
    root = join(sandbox, 'root');

    for (const p of PACKAGES) {
      const tree = join(sandbox, 'build', `${p.name}_${p.version}`);
      const short = p.version.replace(/^\d+:/, '');
      mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
      mkdirSync(join(tree, 'opt', p.name), { recursive: true });
      writeFileSync(join(tree, 'opt', p.name, 'VERSION'), `${short}\n`);
      writeFileSync(join(tree, 'DEBIAN', 'control'), [
        `Package: ${p.name}`, `Version: ${p.version}`, 'Architecture: all', 'Maintainer: Maint Tests <tests@example.invalid>',
        ...(p.depends ? [`Depends: ${p.depends}`] : []), `Description: ${p.name} ${p.version} for the apt strategy test`, '',
      ].join('\n'));
      mkdirSync(join(sandbox, 'repo', p.repo), { recursive: true });
      execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, join(sandbox, 'repo', p.repo, debFile(p))], { stdio: 'pipe' });
    }
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/'));
      requests.push(path);
      const file = join(sandbox, 'repo', path);
      if (!path.startsWith('/') || path.includes('..') || !existsSync(file) || !file.startsWith(join(sandbox, 'repo'))) {
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
    repoPort = (server.address() as AddressInfo).port;

    mkdirSync(join(sandbox, 'bin'));
    writeFileSync(join(sandbox, 'bin', 'needrestart'), `#!/bin/sh\n[ "$1" = -b ] && cat ${join(sandbox, 'needrestart.out')}\n`, { mode: 0o755 });

    const asRoot = process.getuid?.() === 0;
    const aptConf = join(sandbox, 'apt.conf');
    writeFileSync(aptConf, [
      `Dir "${root}/";`,
      `Dir::State "${root}/var/lib/apt/";`,
      `Dir::State::status "${root}/var/lib/dpkg/status";`,
      `Dir::Cache "${root}/var/cache/apt/";`,
      `Dir::Etc "${root}/etc/apt/";`,
      `Dir::Etc::main "${root}/etc/apt/apt.conf";`,
      `Dir::Etc::parts "${root}/etc/apt/apt.conf.d/";`,
      `Dir::Etc::sourcelist "${root}/etc/apt/sources.list";`,
      `Dir::Etc::sourceparts "${root}/etc/apt/sources.list.d/";`,
      `Dir::Etc::preferencesparts "${root}/etc/apt/preferences.d/";`,
      `Dir::Log "${root}/var/log/apt/";`,
      'Dir::Bin::dpkg "/usr/bin/dpkg";',
      `DPkg::Options { "--root=${root}"; "--admindir=${root}/var/lib/dpkg"; "--log=${root}/var/log/dpkg.log"; ${asRoot ? '' : '"--force-not-root"; '}};`,
      // _apt could not enter a 0700 temporary directory; as non-root there is no one to drop to.
      `APT::Sandbox::User "${asRoot ? 'root' : ''}";`,
      'Acquire::Languages "none";',
      '',
    ].join('\n'));

    // For the become test: a non-root user; the sandbox's variables pass sudo's env_reset for it only
    // (the job directory the runner passes itself).
    ops = createHostUser({ sudo: 'NOPASSWD', keepEnv: ['APT_CONFIG', 'DPKG_ADMINDIR', 'DPKG_ROOT'] });
    fleet = await startSshdFleet(1, {
      namePrefix: 'apt',
      alsoUsers: [ops.name],
      env: {
        APT_CONFIG: aptConf, DPKG_ADMINDIR: join(root, 'var/lib/dpkg'), DPKG_ROOT: root,
        // First in PATH: a needrestart that prints what the test wrote (rebootRequired's test).
        PATH: `${join(sandbox, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      },
    });
    const host = fleet.hosts[0]!;
    shell = await new NodeSshConnector().connect(host);
    // Changing commands run as detached jobs, exactly as activities/patch/index.ts runs them.
    const rolloutId = `apt-e2e-${randomUUID().slice(0, 8)}`;
    ctx = {
      shell, host, rolloutId, commandTimeoutSeconds: 300,
      heartbeat: (step) => steps.push(step),
      // One rollout per test case: a rollout applies and rolls back a host at most once each.
      runChange: (step, command) => runJob(shell, `${rolloutId}-${testCases}.${host.name}.${step}`, command, { timeoutSeconds: 300 }),
    };
  }, 120_000);

  // A host of its own for each test: an empty dpkg database and apt state, both repositories as
  // published at first, needrestart quiet; then the old versions, installed by apt (so in its cache).
  beforeEach(async () => {
    testCases++;
    requests.length = 0;
    steps.length = 0;
    rmSync(root, { recursive: true, force: true });
    for (const dir of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial',
      'var/log/apt', 'etc/apt/apt.conf.d', 'etc/apt/sources.list.d', 'etc/apt/preferences.d']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    writeFileSync(join(root, 'var/lib/dpkg/available'), '');
    writeFileSync(join(root, 'etc/apt/sources.list'), [
      `deb [trusted=yes] http://127.0.0.1:${repoPort}/main/ ./`,
      `deb [trusted=yes] http://127.0.0.1:${repoPort}/security/ ./`, '',
    ].join('\n'));
    publish('main', PACKAGES);
    publish('security', PACKAGES);
    writeFileSync(join(sandbox, 'needrestart.out'), '');

    // Safety first: unless this session's apt and dpkg demonstrably use the sandbox, stop here.
    const probe = await sh('apt-config shell S Dir::State::status/f C Dir::Cache::archives/d E Dir::Etc::parts/d; echo "A=$DPKG_ADMINDIR"; echo "N=$(dpkg-query -W | wc -l)"');
    expect(probe).toContain(`S='${root}/var/lib/dpkg/status'`);
    expect(probe).toContain(`C='${root}/var/cache/apt/archives/'`);
    expect(probe).toContain(`E='${root}/etc/apt/apt.conf.d/'`);
    expect(probe).toContain(`A=${root}/var/lib/dpkg\n`);
    expect(probe).toContain('N=0\n');

    await sh(`LC_ALL=C apt-get -q update && LC_ALL=C DEBIAN_FRONTEND=noninteractive ${APT_GET} install maint-demo=1.0.0 maint-sec=1:1.0.0`);
    expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.0' });
    requests.length = 0;
  }, 120_000);

  afterAll(async () => {
    shell?.close();
    await fleet?.stop();
    ops?.remove();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  });

  it('previews every upgrade, or only the security ones, changing nothing', async () => {
    const status = statusFile();
    const byName = (a: { package: string }, b: { package: string }) => a.package.localeCompare(b.package);
    expect((await aptStrategy.preview(ctx, ALL)).sort(byName)).toEqual([
      { package: 'maint-demo', from: '1.0.0', to: '2.0.0' },
      { package: 'maint-lib', from: '', to: '1.0.0' },
      { package: 'maint-sec', from: '1:1.0.0', to: '1:1.0.1' },
    ]);
    expect(await aptStrategy.preview(ctx, SECURITY)).toEqual([{ package: 'maint-sec', from: '1:1.0.0', to: '1:1.0.1' }]);
    expect((await aptStrategy.preview(ctx, { kind: 'apt', packages: ['maint-demo'] })).sort(byName)).toEqual([
      { package: 'maint-demo', from: '1.0.0', to: '2.0.0' },
      { package: 'maint-lib', from: '', to: '1.0.0' },
    ]);
    // Not installed: a patch only upgrades, it never installs new software by itself.
    expect(await aptStrategy.preview(ctx, { kind: 'apt', packages: ['maint-lib'] })).toEqual([]);
    expect(statusFile()).toBe(status);
  });

  it('security only: patches the security package and leaves the rest alone, then rolls it back', async () => {
    const record = await aptStrategy.record(ctx, SECURITY);
    expect(record).toEqual({ before: { 'maint-sec': '1:1.0.0' }, target: { 'maint-sec': '1:1.0.1' } });

    const applied = await aptStrategy.apply(ctx, SECURITY, record);
    expect(applied).toEqual({ installed: { 'maint-sec': '1:1.0.1' }, alreadyApplied: false, record });
    expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.1' });
    expect(hostFile('opt/maint-sec/VERSION')).toBe('1.0.1');

    expect(await aptStrategy.rollback(ctx, SECURITY, record)).toEqual({ 'maint-sec': '1:1.0.0' });
    expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.0' });
    expect(hostFile('opt/maint-sec/VERSION')).toBe('1.0.0');
    expect(aptCommandLines().slice(-2)).toEqual([
      `${APT_GET} install --only-upgrade maint-sec=1:1.0.1`,
      `${APT_GET} install --allow-downgrades maint-sec=1:1.0.0`,
    ]);
  }, 120_000);

  it('all: record → apply → apply again changes nothing → rollback → rollback again changes nothing', async () => {
    const record: VersionRecord = await aptStrategy.record(ctx, ALL);
    expect(record).toEqual({
      before: { 'maint-demo': '1.0.0', 'maint-lib': '', 'maint-sec': '1:1.0.0' },
      target: { 'maint-demo': '2.0.0', 'maint-lib': '1.0.0', 'maint-sec': '1:1.0.1' },
    });

    const commandsBefore = aptCommandLines().length;
    const first = await aptStrategy.apply(ctx, ALL, record);
    expect(first).toEqual({ installed: record.target, alreadyApplied: false, record });
    expect(await installed()).toEqual(record.target);
    expect(hostFile('opt/maint-demo/VERSION')).toBe('2.0.0');
    expect(hostFile('opt/maint-lib/VERSION')).toBe('1.0.0');
    // Kept in apt's cache: what a later rollback falls back on (epoch ':' is %3a in apt's file names).
    expect(readdirSync(join(root, 'var/cache/apt/archives')).filter((f) => f.endsWith('.deb')).sort()).toEqual([
      'maint-demo_1.0.0_all.deb', 'maint-demo_2.0.0_all.deb', 'maint-lib_1.0.0_all.deb', 'maint-sec_1%3a1.0.0_all.deb', 'maint-sec_1%3a1.0.1_all.deb',
    ]);

    const status = statusFile();
    const log = dpkgLog();
    expect(await aptStrategy.apply(ctx, ALL, record)).toEqual({ installed: record.target, alreadyApplied: true, record });
    expect(statusFile()).toBe(status);
    expect(dpkgLog()).toBe(log);

    expect(await aptStrategy.rollback(ctx, ALL, record)).toEqual(record.before);
    expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.0' });
    expect(hostFile('opt/maint-demo/VERSION')).toBe('1.0.0');
    expect(existsSync(join(root, 'opt/maint-lib/VERSION'))).toBe(false);

    const rolledBack = statusFile();
    const rolledBackLog = dpkgLog();
    expect(await aptStrategy.rollback(ctx, ALL, record)).toEqual(record.before);
    expect(statusFile()).toBe(rolledBack);
    expect(dpkgLog()).toBe(rolledBackLog);

    // Exactly three apt-get runs changed the host, pinned to the recorded versions.
    expect(aptCommandLines().slice(commandsBefore)).toEqual([
      `${APT_GET} install --only-upgrade maint-demo=2.0.0 maint-lib=1.0.0 maint-sec=1:1.0.1`,
      `${APT_GET} install --allow-downgrades maint-demo=1.0.0 maint-sec=1:1.0.0`,
      `${APT_GET} remove maint-lib`,
    ]);
    expect(steps).toEqual(['apt-get update', 'simulating the upgrade', 'apt-get install', 'apt-get install --allow-downgrades', 'apt-get remove']);
  }, 120_000);

  it('rolls back from apt\'s cache once the repository has dropped the old version, and refuses when neither has it', async () => {
    const only = { kind: 'apt', packages: ['maint-demo'] } satisfies Apt;
    const record = await aptStrategy.record(ctx, only);
    expect(record).toEqual({ before: { 'maint-demo': '1.0.0', 'maint-lib': '' }, target: { 'maint-demo': '2.0.0', 'maint-lib': '1.0.0' } });
    await aptStrategy.apply(ctx, only, record);

    // The mirror moves on: 1.0.0 leaves the index (and the server), as on Debian's own mirrors.
    publish('main', PACKAGES.filter((p) => !(p.name === 'maint-demo' && p.version === '1.0.0')));
    await sh('LC_ALL=C apt-get -q update');
    const oldDeb = join(root, 'var/cache/apt/archives/maint-demo_1.0.0_all.deb');
    const cached = readFileSync(oldDeb);

    // Neither in the index nor in the cache: a clear error, and the host is left as it was.
    rmSync(oldDeb);
    const log = dpkgLog();
    await expect(aptStrategy.rollback(ctx, only, record)).rejects.toThrow(`cannot roll back: maint-demo 1.0.0 is in neither the apt repositories nor the apt cache (${join(root, 'var/cache/apt/archives')}/); nothing was changed`);
    expect(dpkgLog()).toBe(log);
    expect(await installed()).toEqual({ 'maint-demo': '2.0.0', 'maint-lib': '1.0.0', 'maint-sec': '1:1.0.0' });

    // Back in the cache: rollback installs it from there, without asking the server for it.
    writeFileSync(oldDeb, cached);
    requests.length = 0;
    expect(await aptStrategy.rollback(ctx, only, record)).toEqual({ 'maint-demo': '1.0.0', 'maint-lib': '' });
    expect(hostFile('opt/maint-demo/VERSION')).toBe('1.0.0');
    expect(requests.filter((r) => r.endsWith('.deb'))).toEqual([]);
    expect(aptCommandLines().slice(-2)).toEqual([
      `${APT_GET} install --allow-downgrades ${oldDeb}`,
      `${APT_GET} remove maint-lib`,
    ]);
  }, 120_000);

  it('as a non-root user, patches and rolls back through sudo (become), its sandbox kept', async () => {
    let opsShell: HostShell | undefined;
    chmodSync(sandbox, 0o755); // readable for ops' read-only commands (dpkg-query, apt-get -s); writable by root only
    try {
      const host = fleet.hosts[0]!;
      // The tests before, as root without become, made the job directory 0755; through become it must be private.
      if (existsSync(host.jobDir)) chmodSync(host.jobDir, 0o700);
      opsShell = await new NodeSshConnector().connect({ ...host, user: ops.name, become: { method: 'sudo', user: 'root' } });
      const asOps = opsShell;
      // Safety first, through sudo as well: unless apt and dpkg there demonstrably use the sandbox, stop here.
      const probe = await asOps.run('apt-config shell S Dir::State::status/f; echo "A=$DPKG_ADMINDIR"; echo "U=$(id -u)"; echo "N=$(dpkg-query -W | wc -l)"', { become: true });
      expect(probe.stdout).toContain(`S='${root}/var/lib/dpkg/status'`);
      expect(probe.stdout).toContain(`A=${root}/var/lib/dpkg\n`);
      expect(probe.stdout).toContain('U=0\n');
      expect(probe.stdout).toContain('N=2\n');
      expect((await asOps.run('id -u')).stdout.trim()).not.toBe('0');
      const opsCtx: StrategyContext = {
        ...ctx, shell: asOps,
        runChange: (step, command) => runJob(asOps, `${ctx.rolloutId}-${testCases}.${host.name}.${step}`, command, { timeoutSeconds: 300 }),
      };

      const record = await aptStrategy.record(opsCtx, SECURITY);
      expect(record).toEqual({ before: { 'maint-sec': '1:1.0.0' }, target: { 'maint-sec': '1:1.0.1' } });
      expect(await aptStrategy.apply(opsCtx, SECURITY, record)).toEqual({ installed: { 'maint-sec': '1:1.0.1' }, alreadyApplied: false, record });
      expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.1' });
      expect(await aptStrategy.rollback(opsCtx, SECURITY, record)).toEqual({ 'maint-sec': '1:1.0.0' });
      expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.0' });
      expect(hostFile('opt/maint-sec/VERSION')).toBe('1.0.0');
      expect(aptCommandLines().slice(-2)).toEqual([
        `${APT_GET} install --only-upgrade maint-sec=1:1.0.1`,
        `${APT_GET} install --allow-downgrades maint-sec=1:1.0.0`,
      ]);
      // The jobs ran as root in the host's own job directory ($MAINT_JOB_DIR, passed through sudo).
      expect(statSync(host.jobDir).uid).toBe(0);
      expect(readdirSync(host.jobDir).filter((f) => f.startsWith(`${ctx.rolloutId}-${testCases}.`) && f.endsWith('.exit'))).toHaveLength(2);
    } finally {
      opsShell?.close();
      chmodSync(sandbox, 0o700);
    }
  }, 120_000);

  it('never touched the machine\'s own dpkg database or /opt', () => {
    const real = execFileSync('dpkg-query', ['-W', '-f=${Package}\\n'], { encoding: 'utf8', env: { ...process.env, DPKG_ADMINDIR: '/var/lib/dpkg' } });
    expect(real.split('\n').filter((p) => p.startsWith('maint-'))).toEqual([]);
    expect(existsSync('/opt/maint-demo')).toBe(false);
    expect(existsSync('/opt/maint-sec')).toBe(false);
  });

  it('asks for a reboot when needrestart reports a pending kernel (or /run/reboot-required exists)', async () => {
    const rebootFile = existsSync('/run/reboot-required'); // the machine's own, only read
    const needrestart = (lines: string[]) => writeFileSync(join(sandbox, 'needrestart.out'), `${lines.join('\n')}\n`);
    needrestart(['NEEDRESTART-VER: 3.6', 'NEEDRESTART-KCUR: 6.1.0-18-amd64', 'NEEDRESTART-KEXP: 6.1.0-18-amd64', 'NEEDRESTART-KSTA: 1']);
    expect(await aptStrategy.rebootRequired(ctx, ALL)).toBe(rebootFile);
    needrestart(['NEEDRESTART-VER: 3.6', 'NEEDRESTART-KCUR: 6.1.0-18-amd64', 'NEEDRESTART-KEXP: 6.1.0-21-amd64', 'NEEDRESTART-KSTA: 3', 'NEEDRESTART-SVC: ssh.service']);
    expect(await aptStrategy.rebootRequired(ctx, ALL)).toBe(true);
  });
  it('waits for another apt holding the dpkg lock (DPkg::Lock::Timeout) and then patches, instead of failing', async () => {
    const record = await aptStrategy.record(ctx, SECURITY);
    const lock = await holdAptLock(join(root, 'var/lib/dpkg/lock-frontend'));
    const since = Date.now();
    const released = new Promise<void>((resolve) => setTimeout(() => void lock.release().then(resolve), 4000));
    try {
      expect(await aptStrategy.apply(ctx, SECURITY, record)).toEqual({ installed: { 'maint-sec': '1:1.0.1' }, alreadyApplied: false, record });
      expect(Date.now() - since).toBeGreaterThanOrEqual(3500); // it waited for the lock
      expect(await installed()).toEqual({ 'maint-demo': '1.0.0', 'maint-sec': '1:1.0.1' });
    } finally {
      await released;
    }
  }, 120_000);

  it('fails recording for now, retryable, while another apt holds the lists lock (apt-get update does not wait), and records once it is free', async () => {
    const host = fleet.hosts[0]!;
    const patch = createPatchActivities({ ssh: new NodeSshConnector() });
    const runId = randomUUID();
    const input = { rolloutId: `${ctx.rolloutId}-${testCases}`, execution: runId, host, strategy: SECURITY, commandTimeoutMs: 120_000 };
    const attempt = (n: number) => new MockActivityEnvironment({ attempt: n, workflowExecution: { workflowId: `rollout-batch-${runId}`, runId } }, { logger: new DefaultLogger('ERROR') });
    const lock = await holdAptLock(join(root, 'var/lib/apt/lists/lock'));
    try {
      await expect(attempt(1).run(patch.recordVersions, input)).rejects.toMatchObject({
        type: 'HostCommandTransient', nonRetryable: false,
        message: expect.stringContaining(`(the lock ${join(root, 'var/lib/apt/lists/lock')} is held by another process (an apt or dpkg run): retried)`),
      });
    } finally {
      await lock.release();
    }
    // Temporal's retry, after the backoff: the lock is free now.
    expect(await attempt(2).run(patch.recordVersions, input)).toEqual({ before: { 'maint-sec': '1:1.0.0' }, target: { 'maint-sec': '1:1.0.1' } });
  }, 120_000);
});
