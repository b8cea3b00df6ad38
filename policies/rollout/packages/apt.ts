// apt/dpkg on Debian-family hosts: command builders and output parsers. Pure (no I/O), so every
// command we send and every line we read is unit-tested; activities/patch/strategies/apt.ts runs them.
import { shellQuote } from '../../common/shell';

/** One line of `apt-get -s …`: `from` '' = newly installed, `to` '' = removed. */
export interface AptChange {
  /** As apt names it: `libc6`, or `libc6:i386` for a foreign architecture. */
  package: string;
  from: string;
  to: string;
  /** `Debian:12.8/stable, Debian-Security:12/stable-security`; '' for removals. */
  origins: string;
  arch: string;
  security: boolean;
}

/** What `dpkg-query` says is installed, keyed like apt names packages (see {@link parseDpkgQuery}). */
export interface DpkgState {
  installed: Record<string, string>;
  /** Packages dpkg left half-done (unpacked, half-configured, …): apt refuses to work until fixed. */
  broken: string[];
}

/** Every apt command runs with these: parseable English output, never a debconf prompt. */
const APT_ENV = 'LC_ALL=C DEBIAN_FRONTEND=noninteractive';
/**
 * Wait for another apt/dpkg (unattended-upgrades) instead of failing at once; keep the admin's
 * config files; keep downloaded .debs in /var/cache/apt/archives, which rollback falls back on.
 */
const APT_OPTIONS = ['-o', 'DPkg::Lock::Timeout=120', '-o', 'Dpkg::Options::=--force-confold', '-o', 'APT::Keep-Downloaded-Packages=true'];
const APT_GET = `${APT_ENV} apt-get -y ${APT_OPTIONS.join(' ')}`;

const PACKAGE = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/;
const VERSION = /^[A-Za-z0-9.+~:_-]+$/;

function checkPackage(name: string): string {
  if (!PACKAGE.test(name)) throw new Error(`refusing to put "${name}" in an apt command: not a Debian package name`);
  return name;
}

function checkVersion(name: string, version: string): string {
  if (!VERSION.test(version)) throw new Error(`refusing to put version "${version}" of ${name} in an apt command: not a Debian version`);
  return version;
}

/** By package name: the same record always gives the same command. */
function sorted(versions: Record<string, string>): [string, string][] {
  return Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `name=version` for apt, validated and shell-quoted. */
function pin(name: string, version: string): string {
  return shellQuote(`${checkPackage(name)}=${checkVersion(name, version)}`);
}

/** Origins like `Debian-Security:12/stable-security` or `Ubuntu:22.04/jammy-security`. */
export function isSecurityOrigin(origins: string): boolean {
  return origins.includes('-security');
}

// Inst pkg [old] (new origin, origin [arch]) [broken-deps]   |   Remv pkg [old]   |   Purg pkg [old]
const INST = /^Inst (\S+)(?: \[([^\]]*)\])? \((\S+)(?: (.*?))? \[([^\]]+)\]\)(?: \[[^\]]*\])?\s*$/;
const REMOVE = /^(?:Remv|Purg) (\S+)(?: \[([^\]]*)\])?/;

/** Parses `apt-get -s upgrade` / `apt-get -s install …`; `Conf` lines, headings and anything else are ignored. */
export function parseAptSimulation(stdout: string): AptChange[] {
  const changes = new Map<string, AptChange>();
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    const inst = INST.exec(line);
    if (inst) {
      const [, name = '', from = '', to = '', origins = '', arch = ''] = inst;
      changes.set(name, { package: name, from, to, origins, arch, security: isSecurityOrigin(origins) });
      continue;
    }
    const remove = REMOVE.exec(line);
    if (remove) {
      const [, name = '', from = ''] = remove;
      changes.set(name, { package: name, from, to: '', origins: '', arch: '', security: false });
    }
  }
  return [...changes.values()];
}

/**
 * Which changes of `apt-get -s upgrade` a policy asks for: all of them, or the ones from a
 * security origin. (An explicit list is not filtered here: it is simulated as such.)
 */
export function selectUpgrades(changes: AptChange[], packages: 'all' | 'security'): AptChange[] {
  return changes.filter((c) => c.to !== '' && c.from !== '' && (packages === 'all' || c.security));
}

/** Refreshes the package lists, so the preview sees today's updates. */
export function aptUpdateCommand(): string {
  return `${APT_ENV} apt-get -q update`;
}

/**
 * What `apt-get upgrade` would do, without doing it. `--with-new-pkgs` (as `apt upgrade` does):
 * otherwise an upgrade that needs a new package — Debian's kernel after an ABI bump, a library
 * soname change — is "kept back" and silently never patched. The new packages are recorded as
 * '' in `before`, so rollback removes them.
 */
export function aptSimulateUpgradeCommand(): string {
  return `${APT_ENV} apt-get -s upgrade --with-new-pkgs`;
}

/**
 * What installing these specs (`nginx`, `openssl=3.0.15-1~deb12u1`) would do, without doing it;
 * `--only-upgrade`: a package that is not installed is skipped, never newly installed.
 */
export function aptSimulateInstallCommand(specs: string[]): string {
  const args = specs.map((spec) => {
    const [name = '', version] = spec.split(/=(.*)/s);
    return version === undefined ? shellQuote(checkPackage(name)) : pin(name, version);
  });
  return `${APT_ENV} apt-get -s install --only-upgrade ${args.join(' ')}`;
}

export function aptSimulatePinnedCommand(target: Record<string, string>): string {
  return aptSimulateInstallCommand(Object.entries(target).map(([name, version]) => `${name}=${version}`));
}

/**
 * Every package dpkg knows, with its state. The native architecture comes first so that
 * `libc6` (native, as apt names it) and `libc6:i386` (foreign) get the keys apt uses.
 */
export function dpkgQueryCommand(): string {
  return `dpkg --print-architecture && dpkg-query -W -f=${shellQuote('${Package}\t${Version}\t${Architecture}\t${Status}\n')}`;
}

/**
 * Parses {@link dpkgQueryCommand}'s output. Also accepts the short `${Package}\t${Version}` form
 * (then every line counts as installed). Packages in state config-files / not-installed are absent.
 */
export function parseDpkgQuery(stdout: string): DpkgState {
  const lines = stdout.split('\n');
  const first = lines[0]?.trim() ?? '';
  const native = /^[a-z0-9-]+$/.test(first) && !first.includes('\t') ? first : '';
  const installed: Record<string, string> = {};
  const broken: string[] = [];
  for (const line of native ? lines.slice(1) : lines) {
    const fields = line.replace(/\r$/, '').split('\t');
    const [name = '', version = '', arch = '', status = 'install ok installed'] = fields;
    if (!PACKAGE.test(name) || (fields.length !== 2 && fields.length !== 4)) continue;
    const key = arch === '' || arch === 'all' || arch === native ? name : `${name}:${arch}`;
    const state = status.split(' ')[2] ?? '';
    if (state === 'installed' || state === 'triggers-pending' || state === 'triggers-awaited') {
      if (VERSION.test(version)) installed[key] = version;
    } else if (state !== 'not-installed' && state !== 'config-files') {
      broken.push(`${key} (${state})`);
    }
  }
  return { installed, broken };
}

/** Installs exactly these versions (`--only-upgrade`: never a package that is not installed). */
export function aptApplyCommand(target: Record<string, string>): string {
  const pins = sorted(target).filter(([, v]) => v !== '').map(([name, version]) => pin(name, version));
  if (pins.length === 0) throw new Error('nothing to install');
  return `${APT_GET} install --only-upgrade ${pins.join(' ')}`;
}

/** Where the version a rollback puts back can come from, per package. */
export type AptSource = { from: 'repository' } | { from: 'cache'; deb: string } | { from: 'nowhere'; archives: string };

/**
 * Read-only: for each package, whether apt can still install that version from a repository index
 * or, failing that, whether its .deb is in apt's cache (Dir::Cache::archives). Prints one line per
 * package: `REPO name`, `CACHE name /path.deb` or `NONE name /cache/dir/`.
 */
export function aptAvailabilityCommand(versions: Record<string, string>): string {
  const entries = sorted(versions).filter(([, v]) => v !== '');
  if (entries.length === 0) throw new Error('no versions to look for');
  const lines = [
    `eval "$(${APT_ENV} apt-config shell ARCHIVES Dir::Cache::archives/d)"`,
    'NATIVE=$(dpkg --print-architecture)',
  ];
  for (const [key, version] of entries) {
    const spec = pin(key, version);
    const [name = '', arch] = key.split(':');
    // apt names cached files name_version_arch.deb, with the epoch's ':' written %3a.
    const prefix = shellQuote(`${name}_${version.replace(/:/g, '%3a')}_`);
    const arches = arch !== undefined ? shellQuote(arch) : '"$NATIVE" all';
    lines.push(
      `if ${APT_ENV} apt-cache show ${spec} 2>/dev/null | grep -q '^Package:'; then echo REPO ${shellQuote(key)}; else`,
      `  found=; for a in ${arches}; do f="$ARCHIVES"${prefix}"$a.deb"; if [ -z "$found" ] && [ -f "$f" ]; then found=$f; fi; done`,
      `  if [ -n "$found" ]; then echo CACHE ${shellQuote(key)} "$found"; else echo NONE ${shellQuote(key)} "$ARCHIVES"; fi`,
      'fi',
    );
  }
  return lines.join('\n');
}

/** Parses {@link aptAvailabilityCommand}; a package it does not mention counts as available nowhere. */
export function parseAptAvailability(stdout: string, keys: string[]): Record<string, AptSource> {
  const seen = new Map<string, AptSource>();
  for (const line of stdout.split('\n')) {
    const m = /^(REPO|CACHE|NONE) (\S+)(?: (\/.*))?$/.exec(line.trimEnd());
    if (!m) continue;
    const [, kind, key = '', path = ''] = m;
    seen.set(key, kind === 'REPO' ? { from: 'repository' } : kind === 'CACHE' && path.endsWith('.deb') ? { from: 'cache', deb: path } : { from: 'nowhere', archives: path });
  }
  return Object.fromEntries(keys.map((k) => [k, seen.get(k) ?? { from: 'nowhere', archives: '' }]));
}

/**
 * Puts back these versions with `--allow-downgrades`: `name=version` from the repository, or the
 * cached .deb's path (apt installs a local file given by path, dependencies resolved as usual).
 * The old version must still be available: in the repository index (Debian's own mirrors drop
 * superseded versions; snapshot mirrors and pinned internal repos keep them), or as a .deb in apt's
 * cache — which is why every apt command here passes `APT::Keep-Downloaded-Packages=true`.
 */
export function aptRollbackCommand(restore: Record<string, string>, cachedDebs: Record<string, string> = {}): string {
  const args = sorted(restore).filter(([, v]) => v !== '').map(([key, version]) => {
    const deb = cachedDebs[key];
    if (deb === undefined) return pin(key, version);
    if (!/^\/[^\0\n]*\.deb$/.test(deb)) throw new Error(`refusing to install "${deb}" for ${key}: not an absolute path to a .deb`);
    return shellQuote(deb);
  });
  if (args.length === 0) throw new Error('nothing to restore');
  return `${APT_GET} install --allow-downgrades ${args.join(' ')}`;
}

/** Removes packages the patch newly installed (they were '' in the record's `before`). */
export function aptRemoveCommand(packages: string[]): string {
  if (packages.length === 0) throw new Error('nothing to remove');
  return `${APT_GET} remove ${[...packages].sort().map((p) => shellQuote(checkPackage(p))).join(' ')}`;
}

/** `/run/reboot-required` (update-notifier-common, unattended-upgrades) and `needrestart -b` if installed. */
export function aptRebootCheckCommand(): string {
  return 'if [ -e /run/reboot-required ]; then echo REBOOT-REQUIRED; fi; if command -v needrestart >/dev/null 2>&1; then needrestart -b 2>/dev/null || true; fi';
}

/**
 * Reboot needed: /run/reboot-required exists; or needrestart's kernel status (NEEDRESTART-KSTA) is
 * 2 (ABI-compatible upgrade pending) or 3 (version upgrade pending); or its microcode status
 * (NEEDRESTART-UCSTA) is 2 (pending). 0 means "unknown" and does not count.
 */
export function parseAptRebootCheck(stdout: string): boolean {
  return stdout.split('\n').some((raw) => {
    const line = raw.trim();
    if (line === 'REBOOT-REQUIRED') return true;
    const m = /^NEEDRESTART-(KSTA|UCSTA):\s*(\d+)$/.exec(line);
    if (!m) return false;
    const status = Number(m[2]);
    return m[1] === 'KSTA' ? status === 2 || status === 3 : status === 2;
  });
}
