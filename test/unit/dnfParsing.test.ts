import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkUpdateHasUpdates,
  dnfApplyCommand,
  dnfCheckUpdateCommand,
  dnfDowngradeCommand,
  dnfHistoryInfoCommand,
  dnfHistoryListCommand,
  dnfRebootCheckCommand,
  dnfRemoveCommand,
  dnfRepoqueryCommand,
  dnfUndoCommand,
  dnfUpgradePreviewCommand,
  nevra,
  normalizeEvr,
  parseDnfCheckUpdate,
  parseDnfHistoryInfo,
  parseDnfHistoryList,
  parseDnfTransactionTable,
  parseNevra,
  parseRpmQuery,
  rebootFromNeedsRestarting,
  rpmQueryCommand,
} from '../../policies/rollout/packages/dnf';
import { withRemoteTimeout } from '../../policies/common/shell';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'dnf', name), 'utf8');
const DNF = 'LC_ALL=C dnf -y';

describe('dnf check-update output', () => {
  it('reads name.arch, [epoch:]version-release and repo across repos; joins a wrapped long name; stops at Obsoleting', () => {
    const updates = parseDnfCheckUpdate(fixture('rocky9-check-update.txt'));
    expect(updates.map((u) => `${u.package} ${u.version} ${u.repo}`)).toEqual([
      'NetworkManager.x86_64 1:1.46.0-19.el9_4 baseos',
      'NetworkManager-libnm.x86_64 1:1.46.0-19.el9_4 baseos',
      'epel-release.noarch 9-8.el9 epel',
      'glibc.i686 2.34-100.el9_4.2 baseos',
      'glibc.x86_64 2.34-100.el9_4.2 baseos',
      'google-cloud-sdk-gke-gcloud-auth-plugin.x86_64 492.0.0-1 google-cloud-sdk',
      'kernel.x86_64 5.14.0-427.42.1.el9_4 baseos',
      'kernel-core.x86_64 5.14.0-427.42.1.el9_4 baseos',
      'nginx.x86_64 2:1.20.1-16.el9_4.1 appstream',
      'openssl.x86_64 1:3.0.7-27.el9_4.1 baseos',
      'openssl-libs.x86_64 1:3.0.7-27.el9_4.1 baseos',
      'python3-perf.x86_64 5.14.0-427.42.1.el9_4 appstream',
      'selinux-policy-targeted.noarch 38.1.35-2.el9_4.2 baseos',
      'tzdata.noarch 2024b-2.el9 baseos',
    ]);
    expect(updates.find((u) => u.package === 'glibc.i686')).toEqual({ package: 'glibc.i686', name: 'glibc', arch: 'i686', version: '2.34-100.el9_4.2', repo: 'baseos' });
    expect(updates.map((u) => u.package)).not.toContain('grub2-tools.x86_64');
  });

  it('reads --security output, ignoring the "Security: … is an installed security update" notes', () => {
    expect(parseDnfCheckUpdate(fixture('rocky9-check-update-security.txt')).map((u) => u.package)).toEqual([
      'glibc.i686', 'glibc.x86_64', 'kernel.x86_64', 'kernel-core.x86_64', 'openssl.x86_64', 'openssl-libs.x86_64',
    ]);
  });

  it('finds nothing in empty output or in lines that only look similar', () => {
    expect(parseDnfCheckUpdate('')).toEqual([]);
    expect(parseDnfCheckUpdate('\n\n')).toEqual([]);
    expect(parseDnfCheckUpdate([
      'Error: Failed to download metadata for repo appstream',
      'Last metadata expiration check: 0:00:01 ago',
      'foo.notanarch   1.0-1   baseos',
      'foo.x86_64   1.0   baseos', // no release
      'foo.x86_64',
    ].join('\n'))).toEqual([]);
  });

  it('tells updates from none from errors by exit status (100 / 0 / other)', () => {
    expect(checkUpdateHasUpdates(100)).toBe(true);
    expect(checkUpdateHasUpdates(0)).toBe(false);
    expect(() => checkUpdateHasUpdates(1)).toThrow(/exited with 1/);
  });
});

describe('dnf --assumeno transaction table', () => {
  it('reads what the upgrade puts on (new dependencies included) and takes off (what an obsoleting package replaces)', () => {
    // dnf 4.14 (Debian 12), `dnf --assumeno upgrade maint-demo-2.0-1.noarch`: maint-demo 2.0 needs
    // maint-lib and maint-new; maint-new obsoletes the installed maint-old.
    expect(parseDnfTransactionTable(fixture('upgrade-assumeno.txt'))).toEqual({
      'maint-new.noarch': '1.0-1',
      'maint-old.noarch': '',
      'maint-demo.noarch': '2.0-1',
      'maint-lib.noarch': '1.0-1',
    });
  });

  it('joins a name printed alone on its line, normalizes epochs, reads removals and downgrades, skips module lines', () => {
    expect(parseDnfTransactionTable([
      'Dependencies resolved.',
      '================================================================================',
      ' Package                   Arch    Version                  Repository    Size',
      '================================================================================',
      'Upgrading:',
      ' openssl                   x86_64  1:3.0.7-27.el9_4.1       baseos       1.2 M',
      ' kernel-modules-core-extra-long-name-for-its-column',
      '                           x86_64  5.14.0-427.42.1.el9_4    baseos        30 M',
      'Downgrading:',
      ' tzdata                    noarch  0:2024a-1.el9            baseos       430 k',
      'Removing dependent packages:',
      ' python3-perf              x86_64  5.14.0-362.24.1.el9_3    @System      220 k',
      'Enabling module streams:',
      ' nginx                                 1.22',
      '',
      'Transaction Summary',
      '================================================================================',
      'Upgrade  2 Packages',
    ].join('\n'))).toEqual({
      'openssl.x86_64': '1:3.0.7-27.el9_4.1',
      'kernel-modules-core-extra-long-name-for-its-column.x86_64': '5.14.0-427.42.1.el9_4',
      'tzdata.noarch': '2024a-1.el9',
      'python3-perf.x86_64': '',
    });
  });

  it('has no table when there is nothing to do or dnf failed', () => {
    expect(parseDnfTransactionTable('Dependencies resolved.\nNothing to do.\nComplete!\n')).toBeUndefined();
    expect(parseDnfTransactionTable('No match for argument: maint-nothing-here\n')).toBeUndefined();
    expect(parseDnfTransactionTable('')).toBeUndefined();
  });
});

describe('rpm -qa output', () => {
  it('keys name.arch, normalizes (none) and 0 epochs, keeps real ones, lists several kernels', () => {
    expect(parseRpmQuery(fixture('rpm-qa.txt'))).toEqual({
      'NetworkManager.x86_64': ['1:1.46.0-17.el9_4'],
      'glibc.i686': ['2.34-100.el9_4.1'],
      'glibc.x86_64': ['2.34-100.el9_4.1'],
      'kernel-core.x86_64': ['5.14.0-362.24.1.el9_3', '5.14.0-427.37.1.el9_4'],
      'openssl.x86_64': ['1:3.0.7-25.el9_3'],
      'openssl-libs.x86_64': ['1:3.0.7-25.el9_3'],
      'tzdata.noarch': ['2024a-1.el9'],
      'perl-Data-Dumper.x86_64': ['2.174-462.el9'],
    });
  });

  it('reads dnf repoquery\'s name.arch<TAB>evr lines', () => {
    expect(parseRpmQuery('maint-demo.noarch\t2.0-1\nmaint-sec.noarch\t1:1.0.0-1\n')).toEqual({ 'maint-demo.noarch': ['2.0-1'], 'maint-sec.noarch': ['1:1.0.0-1'] });
  });

  it('also reads the two-column %{NAME}\\t%{EPOCH}:%{VERSION}-%{RELEASE} form', () => {
    expect(parseRpmQuery('openssl\t1:3.0.7-25.el9_3\nbash\t(none):5.1.8-9.el9\n')).toEqual({ openssl: ['1:3.0.7-25.el9_3'], bash: ['5.1.8-9.el9'] });
    expect(parseRpmQuery('')).toEqual({});
  });

  it('normalizes epochs the way dnf prints them', () => {
    expect(normalizeEvr('(none):1.2-3')).toBe('1.2-3');
    expect(normalizeEvr('0:1.2-3')).toBe('1.2-3');
    expect(normalizeEvr('2:1.2-3')).toBe('2:1.2-3');
    expect(normalizeEvr('10:1.2-3')).toBe('10:1.2-3');
  });
});

describe('dnf history', () => {
  it('finds the newest transaction id in dnf 4 and dnf 5 listings', () => {
    expect(parseDnfHistoryList(fixture('history-list.txt'))).toBe('14');
    expect(parseDnfHistoryList(fixture('history-list-dnf5.txt'))).toBe('3');
    expect(parseDnfHistoryList('')).toBeUndefined();
    expect(parseDnfHistoryList('No transactions\n')).toBeUndefined();
  });

  it('reads `history info`: id, success and what it installed (not what it replaced)', () => {
    expect(parseDnfHistoryInfo(fixture('history-info-last.txt'))).toEqual({
      id: '14',
      succeeded: true,
      installed: {
        'kernel-core.x86_64': '5.14.0-427.42.1.el9_4',
        'kernel-modules-core.x86_64': '5.14.0-427.42.1.el9_4',
        'openssl.x86_64': '1:3.0.7-27.el9_4.1',
        'openssl-libs.x86_64': '1:3.0.7-27.el9_4.1',
      },
    });
    expect(parseDnfHistoryInfo(fixture('history-info-last.txt').replace('Return-Code    : Success', 'Return-Code    : Failure: 1'))?.succeeded).toBe(false);
    expect(parseDnfHistoryInfo('')).toBeUndefined();
  });

  it('splits NEVRAs, epochs and dashes in names included', () => {
    expect(parseNevra('openssl-libs-1:3.0.7-27.el9_4.1.x86_64')).toEqual({ key: 'openssl-libs.x86_64', version: '1:3.0.7-27.el9_4.1' });
    expect(parseNevra('tzdata-2024b-2.el9.noarch')).toEqual({ key: 'tzdata.noarch', version: '2024b-2.el9' });
    expect(parseNevra('not a package')).toBeUndefined();
    expect(nevra('openssl.x86_64', '1:3.0.7-27.el9_4.1')).toBe('openssl-1:3.0.7-27.el9_4.1.x86_64');
  });
});

describe('dnf commands', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'maint-dnf-unit-'));
    writeFileSync(join(work, 'dnf'), '#!/bin/sh\nprintf "<%s>\\n" "$@"\n');
    chmodSync(join(work, 'dnf'), 0o755);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  /** The arguments a stand-in dnf receives when the command runs through the hosts' `sh -c` wrapper. */
  const argv = (command: string) => execFileSync('sh', ['-c', withRemoteTimeout(command, 30)], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, PATH: `${work}:${process.env.PATH}` } })
    .trim().split('\n').map((a) => a.replace(/^<|>$/g, ''));

  it('checks for updates: all, security, or named packages (a pinned version is resolved by the strategy)', () => {
    expect(dnfCheckUpdateCommand('all')).toBe('LC_ALL=C dnf -q check-update');
    expect(dnfCheckUpdateCommand('security', { refresh: true })).toBe('LC_ALL=C dnf -q check-update --refresh --security');
    expect(dnfCheckUpdateCommand(['openssl', 'nginx=1:1.20.1-16.el9_4.1'])).toBe('LC_ALL=C dnf -q check-update openssl nginx');
    expect(rpmQueryCommand()).toBe("rpm -qa --qf '%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}\t%{ARCH}\n'");
    expect(dnfHistoryListCommand()).toBe('LC_ALL=C dnf -q history list');
    expect(dnfHistoryInfoCommand()).toBe('LC_ALL=C dnf -q history info last');
    expect(dnfHistoryInfoCommand('14')).toBe('LC_ALL=C dnf -q history info 14');
  });

  it('upgrades to exact NEVRAs, epochs and arches included, sorted', () => {
    const command = dnfApplyCommand({ 'openssl.x86_64': '1:3.0.7-27.el9_4.1', 'glibc.i686': '2.34-100.el9_4.2', 'kernel-core.x86_64': '5.14.0-427.42.1.el9_4' });
    expect(command).toBe(`${DNF} upgrade glibc-2.34-100.el9_4.2.i686 kernel-core-5.14.0-427.42.1.el9_4.x86_64 openssl-1:3.0.7-27.el9_4.1.x86_64`);
    expect(argv(command)).toEqual(['-y', 'upgrade', 'glibc-2.34-100.el9_4.2.i686', 'kernel-core-5.14.0-427.42.1.el9_4.x86_64', 'openssl-1:3.0.7-27.el9_4.1.x86_64']);
  });

  it('simulates the upgrade (no -q: it would hide the table) and asks the repositories for exact versions', () => {
    const preview = dnfUpgradePreviewCommand({ 'openssl.x86_64': '1:3.0.7-27.el9_4.1', 'maint-lib.noarch': '', 'glibc.i686': '2.34-100.el9_4.2' });
    expect(preview).toBe('LC_ALL=C dnf --assumeno upgrade glibc-2.34-100.el9_4.2.i686 openssl-1:3.0.7-27.el9_4.1.x86_64');
    expect(argv(preview)).toEqual(['--assumeno', 'upgrade', 'glibc-2.34-100.el9_4.2.i686', 'openssl-1:3.0.7-27.el9_4.1.x86_64']);
    const repoquery = dnfRepoqueryCommand(['openssl-1:3.0.7-25.el9_3.x86_64', 'maint-demo-1.0-1.noarch']);
    expect(repoquery).toBe("LC_ALL=C dnf -q repoquery --qf '%{name}.%{arch}\t%{evr}' maint-demo-1.0-1.noarch openssl-1:3.0.7-25.el9_3.x86_64");
    expect(argv(repoquery)).toEqual(['-q', 'repoquery', '--qf', '%{name}.%{arch}\t%{evr}', 'maint-demo-1.0-1.noarch', 'openssl-1:3.0.7-25.el9_3.x86_64']);
    expect(() => dnfRepoqueryCommand(['$(id)'])).toThrow(/not an RPM NEVRA/);
    expect(() => dnfRepoqueryCommand([])).toThrow(/nothing to look up/);
  });

  it('rolls back by transaction, or by explicit downgrade and remove', () => {
    expect(dnfUndoCommand('14')).toBe(`${DNF} history undo 14`);
    expect(dnfDowngradeCommand({ 'openssl.x86_64': '1:3.0.7-25.el9_3', 'tzdata.noarch': '2024a-1.el9' })).toBe(`${DNF} downgrade openssl-1:3.0.7-25.el9_3.x86_64 tzdata-2024a-1.el9.noarch`);
    const remove = dnfRemoveCommand(['kernel-core-5.14.0-427.42.1.el9_4.x86_64', 'maint-lib.noarch']);
    expect(remove).toBe(`${DNF} remove kernel-core-5.14.0-427.42.1.el9_4.x86_64 maint-lib.noarch`);
    expect(argv(remove)).toEqual(['-y', 'remove', 'kernel-core-5.14.0-427.42.1.el9_4.x86_64', 'maint-lib.noarch']);
  });

  it('asks needs-restarting -r: exit 1 is a reboot, 0 none, anything else an error', () => {
    const status = (stubs: Record<string, string>) => {
      const dir = mkdtempSync(join(work, 'reboot-'));
      for (const [name, body] of Object.entries(stubs)) writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      try {
        execFileSync('sh', ['-c', dnfRebootCheckCommand()], { stdio: 'pipe', env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    expect(status({ 'needs-restarting': '[ "$1" = -r ] && exit 1' })).toBe(1);
    expect(status({ 'needs-restarting': '[ "$1" = -r ] && exit 0' })).toBe(0);
    // dnf 5 style: no binary, the plugin command.
    expect(status({ dnf: 'case "$*" in "-q needs-restarting --help") exit 0;; "-q needs-restarting -r") exit 1;; esac; exit 2' })).toBe(1);
    // Neither installed: dnf says "No such command" with exit 1, which must not pass for "reboot".
    expect(status({ dnf: 'echo "No such command: needs-restarting." >&2; exit 1' })).toBe(127);
    expect(rebootFromNeedsRestarting(1)).toBe(true);
    expect(rebootFromNeedsRestarting(0)).toBe(false);
    expect(() => rebootFromNeedsRestarting(127)).toThrow(/exited with 127/);
  });

  it('every command is valid sh, also wrapped in the remote timeout', () => {
    for (const command of [
      dnfCheckUpdateCommand(['openssl']), rpmQueryCommand(), dnfHistoryListCommand(), dnfHistoryInfoCommand(), dnfApplyCommand({ 'a.noarch': '1-1' }),
      dnfUndoCommand('3'), dnfDowngradeCommand({ 'a.noarch': '1-1' }), dnfRemoveCommand(['a.noarch']), dnfRebootCheckCommand(),
      dnfUpgradePreviewCommand({ 'a.noarch': '1-1' }), dnfRepoqueryCommand(['a-1-1.noarch']),
    ]) {
      execFileSync('sh', ['-n', '-c', command]);
      execFileSync('sh', ['-n', '-c', withRemoteTimeout(command, 60)]);
    }
  });

  it('refuses what is not an RPM name, version or transaction id rather than sending it', () => {
    expect(() => dnfApplyCommand({ 'openssl.x86_64': '1.0; reboot' })).toThrow(/not an RPM/);
    expect(() => dnfApplyCommand({ '--nogpgcheck.x86_64': '1-1' })).toThrow(/not an RPM name.arch/);
    expect(() => dnfApplyCommand({ openssl: '1-1' })).toThrow(/not an RPM name.arch/);
    expect(() => dnfUndoCommand('last; reboot')).toThrow(/not a dnf transaction id/);
    expect(() => dnfCheckUpdateCommand(['$(id)'])).toThrow(/not an RPM name/);
    expect(() => dnfRemoveCommand(['-x.noarch'])).toThrow(/not an RPM name.arch/);
  });
});
