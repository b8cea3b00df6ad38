import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aptApplyCommand,
  aptAvailabilityCommand,
  aptRebootCheckCommand,
  aptRemoveCommand,
  aptRollbackCommand,
  aptSimulateInstallCommand,
  aptSimulatePinnedCommand,
  aptSimulateUpgradeCommand,
  aptUpdateCommand,
  dpkgQueryCommand,
  parseAptAvailability,
  parseAptRebootCheck,
  parseAptSimulation,
  parseDpkgQuery,
  selectUpgrades,
} from '../../policies/rollout/packages/apt';
import { shellQuote, withRemoteTimeout } from '../../policies/common/shell';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'apt', name), 'utf8');
const APT_GET = 'LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -y -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confold -o APT::Keep-Downloaded-Packages=true';

describe('apt-get -s output', () => {
  const debian = parseAptSimulation(fixture('debian12-upgrade.txt'));

  it('reads every Inst line: old and new version, origins, arch; Conf lines and prose are ignored', () => {
    expect(debian.map((c) => c.package)).toEqual([
      'base-files', 'libc6:i386', 'libc6', 'libc-bin', 'openssh-sftp-server', 'openssh-server', 'openssh-client',
      'libssl3', 'openssl', 'linux-image-6.1.0-28-amd64', 'linux-image-amd64', 'tzdata',
    ]);
    expect(debian.find((c) => c.package === 'openssh-server')).toEqual({
      package: 'openssh-server', from: '1:9.2p1-2+deb12u2', to: '1:9.2p1-2+deb12u3',
      origins: 'Debian:12.8/stable, Debian-Security:12/stable-security', arch: 'amd64', security: true,
    });
    // A foreign architecture, with apt's trailing "[libc6:amd64 ]" (packages it breaks for a moment).
    expect(debian.find((c) => c.package === 'libc6:i386')).toMatchObject({ from: '2.36-9+deb12u7', to: '2.36-9+deb12u9', arch: 'i386', security: false });
    // Newly installed: no [old].
    expect(debian.find((c) => c.package === 'linux-image-6.1.0-28-amd64')).toMatchObject({ from: '', to: '6.1.119-1', security: true });
    expect(debian.find((c) => c.package === 'tzdata')).toMatchObject({ origins: 'Debian:12.8/stable-updates', arch: 'all', security: false });
  });

  it('selects security upgrades by a -security origin (stable-updates is not one), and all upgrades', () => {
    expect(selectUpgrades(debian, 'security').map((c) => `${c.package}=${c.to}`)).toEqual([
      'openssh-sftp-server=1:9.2p1-2+deb12u3', 'openssh-server=1:9.2p1-2+deb12u3', 'openssh-client=1:9.2p1-2+deb12u3',
      'libssl3=3.0.15-1~deb12u1', 'openssl=3.0.15-1~deb12u1', 'linux-image-amd64=6.1.119-1',
    ]);
    // New packages are not selected by themselves: the pinned simulation brings whatever the selection needs.
    expect(selectUpgrades(debian, 'all')).toHaveLength(11);
  });

  it('reads Ubuntu origins and removals', () => {
    const ubuntu = parseAptSimulation(fixture('ubuntu2204-install.txt'));
    expect(ubuntu.map((c) => [c.package, c.from, c.to, c.security])).toEqual([
      ['python3-software-properties', '0.99.22.9', '', false],
      ['libssl3', '3.0.2-0ubuntu1.15', '3.0.2-0ubuntu1.18', true],
      ['openssl', '3.0.2-0ubuntu1.15', '3.0.2-0ubuntu1.18', true],
      ['python3-update-manager', '1:22.04.19', '1:22.04.21', false],
      ['linux-libc-dev', '5.15.0-119.129', '5.15.0-125.135', true],
    ]);
    expect(selectUpgrades(ubuntu, 'all').map((c) => c.package)).not.toContain('python3-software-properties');
  });

  it('finds nothing in empty output or in lines that only look similar', () => {
    expect(parseAptSimulation('')).toEqual([]);
    expect(parseAptSimulation('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n')).toEqual([]);
    expect(parseAptSimulation([
      'Inst',
      'Inst foo',
      'Inst foo [1.0]',
      'Install foo [1.0] (2.0 Debian:12/stable [amd64])',
      ' Inst foo [1.0] (2.0 Debian:12/stable [amd64])',
      'E: Unable to locate package foo',
      'Conf foo (2.0 Debian:12/stable [amd64])',
    ].join('\n'))).toEqual([]);
    expect(parseAptSimulation('Inst foo [1.0] (2.0 Debian:12/stable [amd64])\r\n')).toEqual([
      { package: 'foo', from: '1.0', to: '2.0', origins: 'Debian:12/stable', arch: 'amd64', security: false },
    ]);
  });
});

describe('dpkg-query output', () => {
  it('keys native and Architecture: all packages by name, foreign ones name:arch, keeps epochs', () => {
    const { installed, broken } = parseDpkgQuery(fixture('dpkg-query.txt'));
    expect(installed).toEqual({
      adduser: '3.134',
      'base-files': '12.4+deb12u7',
      libc6: '2.36-9+deb12u7',
      'libc6:i386': '2.36-9+deb12u7',
      'openssh-server': '1:9.2p1-2+deb12u2', // held, still installed
      libssl3: '3.0.13-1~deb12u1',
      'man-db': '2.11.2-2', // triggers pending: installed
    });
    // config-files / not-installed count as absent; half-configured is broken and must be fixed first.
    expect(broken).toEqual(['linux-image-6.1.0-18-amd64 (half-configured)']);
  });

  it('also reads the short ${Package}\\t${Version} form, and nothing from empty output', () => {
    expect(parseDpkgQuery('openssl\t3.0.15-1~deb12u1\nlibssl3\t3.0.15-1~deb12u1\n')).toEqual({
      installed: { openssl: '3.0.15-1~deb12u1', libssl3: '3.0.15-1~deb12u1' }, broken: [],
    });
    expect(parseDpkgQuery('')).toEqual({ installed: {}, broken: [] });
  });
});

describe('apt commands', () => {
  let bin: string;
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'maint-apt-unit-'));
    bin = join(work, 'bin');
    mkdirSync(bin);
    mkdirSync(join(work, 'archives'));
    // Stand-ins that print what the shell handed them, one argument per line: proof of the quoting.
    const stub = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    stub('apt-get', 'printf "apt-get\\n"; printf "<%s>\\n" "$@"');
    stub('apt-config', `echo "ARCHIVES='${work}/archives/'"`);
    stub('dpkg', 'echo amd64');
    // Only openssl=3.0.13-1~deb12u1 is still in the "repository".
    stub('apt-cache', '[ "$2" = "openssl=3.0.13-1~deb12u1" ] && printf "Package: openssl\\nVersion: 3.0.13-1~deb12u1\\n"; exit 0');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Runs a built command with the stand-ins first in PATH, through the same `sh -c` wrapper as on hosts. */
  const run = (command: string) => execFileSync('sh', ['-c', withRemoteTimeout(command, 30)], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  const argv = (command: string) => run(command).trim().split('\n').slice(1).map((a) => a.replace(/^<|>$/g, ''));

  it('reads with English output and never prompts', () => {
    expect(aptUpdateCommand()).toBe('LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -q update');
    expect(aptSimulateUpgradeCommand()).toBe('LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -s upgrade --with-new-pkgs');
    expect(aptSimulateInstallCommand(['nginx', 'openssl=3.0.15-1~deb12u1'])).toBe(
      "LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -s install --only-upgrade nginx 'openssl=3.0.15-1~deb12u1'",
    );
    expect(aptSimulatePinnedCommand({ 'openssh-server': '1:9.2p1-2+deb12u3' })).toBe(
      'LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -s install --only-upgrade openssh-server=1:9.2p1-2+deb12u3',
    );
    expect(dpkgQueryCommand()).toBe("dpkg --print-architecture && dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${Status}\n'");
  });

  it('applies exactly the recorded versions, pinned, sorted, with the lock timeout, confold and kept .debs', () => {
    const command = aptApplyCommand({ openssl: '3.0.15-1~deb12u1', 'libc6:i386': '2.36-9+deb12u9', 'openssh-server': '1:9.2p1-2+deb12u3', 'python3-software-properties': '' });
    expect(command).toBe(`${APT_GET} install --only-upgrade libc6:i386=2.36-9+deb12u9 openssh-server=1:9.2p1-2+deb12u3 'openssl=3.0.15-1~deb12u1'`);
    expect(argv(command)).toEqual([
      '-y', '-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Options::=--force-confold', '-o', 'APT::Keep-Downloaded-Packages=true',
      'install', '--only-upgrade', 'libc6:i386=2.36-9+deb12u9', 'openssh-server=1:9.2p1-2+deb12u3', 'openssl=3.0.15-1~deb12u1',
    ]);
  });

  it('finds where each old version still is: repository, apt cache (epoch as %3a, foreign arch), or nowhere', () => {
    writeFileSync(join(work, 'archives', 'openssh-server_1%3a9.2p1-2+deb12u2_amd64.deb'), '');
    writeFileSync(join(work, 'archives', 'libc6_2.36-9+deb12u7_i386.deb'), '');
    writeFileSync(join(work, 'archives', 'libc6_2.36-9+deb12u7_amd64.deb'), '');
    const versions = { openssl: '3.0.13-1~deb12u1', 'openssh-server': '1:9.2p1-2+deb12u2', 'libc6:i386': '2.36-9+deb12u7', libssl3: '3.0.13-1~deb12u1' };
    const probe = aptAvailabilityCommand(versions);
    const out = run(probe);
    expect(out).toBe([
      `CACHE libc6:i386 ${work}/archives/libc6_2.36-9+deb12u7_i386.deb`,
      `NONE libssl3 ${work}/archives/`,
      `CACHE openssh-server ${work}/archives/openssh-server_1%3a9.2p1-2+deb12u2_amd64.deb`,
      'REPO openssl',
      '',
    ].join('\n'));
    expect(parseAptAvailability(out, [...Object.keys(versions), 'tzdata'])).toEqual({
      openssl: { from: 'repository' },
      'openssh-server': { from: 'cache', deb: `${work}/archives/openssh-server_1%3a9.2p1-2+deb12u2_amd64.deb` },
      'libc6:i386': { from: 'cache', deb: `${work}/archives/libc6_2.36-9+deb12u7_i386.deb` },
      libssl3: { from: 'nowhere', archives: `${work}/archives/` },
      tzdata: { from: 'nowhere', archives: '' },
    });
  });

  it('rolls back with --allow-downgrades: name=version from the repository, the cached .deb by path', () => {
    const cached = `${work}/archives/openssh-server_1%3a9.2p1-2+deb12u2_amd64.deb`;
    const command = aptRollbackCommand({ openssl: '3.0.13-1~deb12u1', 'openssh-server': '1:9.2p1-2+deb12u2' }, { 'openssh-server': cached });
    expect(command).toBe(`${APT_GET} install --allow-downgrades ${shellQuote(cached)} 'openssl=3.0.13-1~deb12u1'`);
    expect(argv(command)).toEqual([
      '-y', '-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Options::=--force-confold', '-o', 'APT::Keep-Downloaded-Packages=true',
      'install', '--allow-downgrades', cached, 'openssl=3.0.13-1~deb12u1',
    ]);
    expect(() => aptRollbackCommand({ openssl: '1' }, { openssl: 'relative.deb' })).toThrow(/not an absolute path to a .deb/);
    expect(() => aptRollbackCommand({ 'maint-lib': '' })).toThrow(/nothing to restore/);
  });

  it('removes what the patch newly installed', () => {
    expect(aptRemoveCommand(['maint-lib', 'linux-image-6.1.0-28-amd64'])).toBe(`${APT_GET} remove linux-image-6.1.0-28-amd64 maint-lib`);
    expect(argv(aptRemoveCommand(['maint-lib']))).toEqual(expect.arrayContaining(['remove', 'maint-lib']));
  });

  it('every command is valid sh, also wrapped in the remote timeout', () => {
    const commands = [
      aptUpdateCommand(), aptSimulateUpgradeCommand(), aptSimulateInstallCommand(['nginx', 'openssl=1:3.0~rc1']), dpkgQueryCommand(),
      aptApplyCommand({ openssl: '1:3.0~rc1' }), aptRollbackCommand({ openssl: '1:3.0~rc1', 'libc6:i386': '2.36-9' }, { 'libc6:i386': "/var/cache/apt/it's here/libc6_2.36-9_i386.deb" }),
      aptAvailabilityCommand({ openssl: '1:3.0~rc1', 'libc6:i386': '2.36-9' }),
      aptRemoveCommand(['maint-lib']), aptRebootCheckCommand(),
    ];
    for (const command of commands) {
      execFileSync('sh', ['-n', '-c', command]);
      execFileSync('sh', ['-n', '-c', withRemoteTimeout(command, 60)]);
    }
  });

  it('refuses names and versions that are not Debian ones rather than sending them', () => {
    expect(() => aptApplyCommand({ '-o=APT::Get::Trivial-Only=false': '1' })).toThrow(/not a Debian package name/);
    expect(() => aptApplyCommand({ openssl: '1.0; rm -rf /' })).toThrow(/not a Debian version/);
    expect(() => aptRemoveCommand(['$(id)'])).toThrow(/not a Debian package name/);
    expect(() => aptSimulateInstallCommand(['Nginx'])).toThrow(/not a Debian package name/);
    expect(() => aptApplyCommand({})).toThrow(/nothing to install/);
  });
});

describe('reboot detection', () => {
  it('reboots for /run/reboot-required, a pending kernel (KSTA 2 or 3) or pending microcode (UCSTA 2)', () => {
    expect(parseAptRebootCheck('REBOOT-REQUIRED\n')).toBe(true);
    const needrestart = (ksta: number, ucsta = 1) => `NEEDRESTART-VER: 3.6\nNEEDRESTART-KCUR: 6.1.0-18-amd64\nNEEDRESTART-KEXP: 6.1.0-21-amd64\nNEEDRESTART-KSTA: ${ksta}\nNEEDRESTART-UCSTA: ${ucsta}\nNEEDRESTART-SVC: ssh.service\n`;
    expect(parseAptRebootCheck(needrestart(3))).toBe(true);
    expect(parseAptRebootCheck(needrestart(2))).toBe(true);
    expect(parseAptRebootCheck(needrestart(1))).toBe(false);
    expect(parseAptRebootCheck(needrestart(0))).toBe(false); // unknown
    expect(parseAptRebootCheck(needrestart(1, 2))).toBe(true);
    expect(parseAptRebootCheck('')).toBe(false);
    expect(parseAptRebootCheck('The system must be restarted, see /run/reboot-required.pkgs\n')).toBe(false);
  });
});
