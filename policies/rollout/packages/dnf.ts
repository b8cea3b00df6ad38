// dnf/rpm on RHEL-family hosts (RHEL, Rocky, Alma, Fedora): command builders and output parsers.
// Pure (no I/O); activities/patch/strategies/dnf.ts runs them. Packages are keyed `name.arch`, the
// way `dnf check-update` prints them, because multilib hosts have `glibc.x86_64` and `glibc.i686`.
import { shellQuote } from '../../common/shell';

/** One line of `dnf check-update`. */
export interface DnfUpdate {
  /** `name.arch` */
  package: string;
  name: string;
  arch: string;
  /** `[epoch:]version-release`, the epoch only when not 0 (as dnf prints it). */
  version: string;
  repo: string;
}

/** A transaction from `dnf history info`. */
export interface DnfTransaction {
  id: string;
  succeeded: boolean;
  /** Packages the transaction put on the host (Install, Upgrade, Downgrade, Reinstall, Dep-Install…), `name.arch` → version. */
  installed: Record<string, string>;
}

const ENV = 'LC_ALL=C';
// No keepcache: `history undo` takes the old packages from enabled repositories only, even when
// dnf's cache holds the very rpm (dnf 4.14; test/activities/dnfStrategy.test.ts shows it).
const DNF = `${ENV} dnf -y`;

const NAME = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]*$/;
const ARCH = /^(noarch|x86_64|i[3-6]86|aarch64|armv7hl|armhfp|ppc64le|ppc64|s390x|riscv64)$/;
const EVR = /^(\d+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+$/;

/** `(none):1.2-3` and `0:1.2-3` → `1.2-3`; `2:1.2-3` stays. */
export function normalizeEvr(evr: string): string {
  return evr.replace(/^(\(none\)|0):/, '');
}

/** Splits `name.arch`, refusing anything that is not one. */
export function splitKey(key: string): { name: string; arch: string } {
  const dot = key.lastIndexOf('.');
  const name = key.slice(0, dot);
  const arch = key.slice(dot + 1);
  if (dot <= 0 || !NAME.test(name) || !ARCH.test(arch)) throw new Error(`refusing to put "${key}" in a dnf command: not an RPM name.arch`);
  return { name, arch };
}

/** `openssl.x86_64` + `1:3.0.7-27.el9` → `openssl-1:3.0.7-27.el9.x86_64`, the NEVRA dnf takes. */
export function nevra(key: string, evr: string): string {
  const { name, arch } = splitKey(key);
  if (!EVR.test(evr)) throw new Error(`refusing to put version "${evr}" of ${key} in a dnf command: not an RPM [epoch:]version-release`);
  return `${name}-${evr}.${arch}`;
}

/** Parses `openssl-1:3.0.7-27.el9.x86_64` (from `dnf history info`). */
export function parseNevra(text: string): { key: string; version: string } | undefined {
  const m = /^(.+)-((?:\d+:)?[^-]+-[^-]+)\.([^.]+)$/.exec(text);
  if (!m || !NAME.test(m[1] ?? '') || !ARCH.test(m[3] ?? '')) return undefined;
  return { key: `${m[1]}.${m[3]}`, version: normalizeEvr(m[2] ?? '') };
}

/**
 * What `dnf check-update` would upgrade: exits 100 when updates exist (the list on stdout), 0 when
 * none, 1 on errors. `--refresh` re-reads the repositories' metadata first.
 */
export function dnfCheckUpdateCommand(packages: 'all' | 'security' | string[], options: { refresh?: boolean } = {}): string {
  const args = ['-q', 'check-update', ...(options.refresh ? ['--refresh'] : []), ...(packages === 'security' ? ['--security'] : [])];
  if (Array.isArray(packages)) {
    args.push(...packages.map((spec) => {
      const name = spec.split('=')[0] ?? '';
      if (!NAME.test(name)) throw new Error(`refusing to put "${name}" in a dnf command: not an RPM name`);
      return shellQuote(name);
    }));
  }
  return `${ENV} dnf ${args.join(' ')}`;
}

/** Exit status of `dnf check-update`: whether updates are listed; throws on anything but 0 / 100. */
export function checkUpdateHasUpdates(exitCode: number): boolean {
  if (exitCode === 100) return true;
  if (exitCode === 0) return false;
  throw new Error(`dnf check-update exited with ${exitCode}`);
}

/**
 * Parses `dnf check-update` (also with `--security`): lines `name.arch  [epoch:]version-release  repo`.
 * A name too long for its column is printed alone and the rest goes on the next line (dnf 4); the
 * "Obsoleting Packages" section, metadata notes and anything else are ignored.
 */
export function parseDnfCheckUpdate(stdout: string): DnfUpdate[] {
  const updates = new Map<string, DnfUpdate>();
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] ?? '';
    if (/^Obsoleting Packages/i.test(line)) break;
    const next = lines[i + 1] ?? '';
    if (/^\S+$/.test(line) && /^\s+\S+\s+\S+\s*$/.test(next)) {
      line = `${line} ${next.trim()}`;
      i++;
    }
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const [, key = '', version = '', repo = ''] = m;
    const dot = key.lastIndexOf('.');
    const name = key.slice(0, dot);
    const arch = key.slice(dot + 1);
    if (dot <= 0 || !NAME.test(name) || !ARCH.test(arch) || !EVR.test(version)) continue;
    updates.set(key, { package: key, name, arch, version: normalizeEvr(version), repo });
  }
  return [...updates.values()];
}

/**
 * What upgrading to exactly these versions would do, without doing it: `--assumeno` prints dnf's
 * transaction table (new dependencies and removals included) and exits 1 ("Operation aborted."),
 * or exits 0 with "Nothing to do.". No `-q`: it hides the table.
 */
export function dnfUpgradePreviewCommand(target: Record<string, string>): string {
  return `${ENV} dnf --assumeno upgrade ${upgradeSpecs(target).join(' ')}`;
}

const PUTS_ON = /^(Installing|Upgrading|Reinstalling|Downgrading|Installing dependencies|Installing weak dependencies|Installing group(\/module)? packages):$/;
const TAKES_OFF = /^(Removing|Removing dependent packages|Removing unused dependencies):$/;

/**
 * Parses the transaction table dnf prints before it asks (see {@link dnfUpgradePreviewCommand}):
 * `name.arch` → the version the transaction puts on the host, '' for a package it removes (also one
 * an obsoleting package is "replacing"). Undefined when the output holds no transaction table (an
 * error, or "Nothing to do."). A name too long for its column is printed alone and the rest of
 * its row goes on the next line.
 */
export function parseDnfTransactionTable(stdout: string): Record<string, string> | undefined {
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
  const end = lines.findIndex((l) => /^Transaction Summary\s*$/.test(l));
  if (end < 0) return undefined;
  const changes: Record<string, string> = {};
  let section: 'on' | 'off' | undefined;
  for (let i = 0; i < end; i++) {
    let line = lines[i] ?? '';
    if (/^\S.*:$/.test(line)) {
      section = PUTS_ON.test(line) ? 'on' : TAKES_OFF.test(line) ? 'off' : undefined;
      continue;
    }
    if (section === undefined) continue;
    const replacing = /^\s+replacing\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (replacing) {
      const key = replacing[1] ?? '';
      if (isKey(key)) changes[key] = '';
      continue;
    }
    if (/^ \S+$/.test(line) && /^\s{2,}\S/.test(lines[i + 1] ?? '')) line = `${line} ${(lines[++i] ?? '').trim()}`;
    const m = /^ (\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+[\d.]+(?:\s+[kMGTPE])?\s*$/.exec(line);
    if (!m) continue;
    const [, name = '', arch = '', evr = ''] = m;
    const version = normalizeEvr(evr);
    if (!NAME.test(name) || !ARCH.test(arch) || !EVR.test(version)) continue;
    changes[`${name}.${arch}`] = section === 'on' ? version : '';
  }
  return changes;
}

function isKey(key: string): boolean {
  const dot = key.lastIndexOf('.');
  return dot > 0 && NAME.test(key.slice(0, dot)) && ARCH.test(key.slice(dot + 1));
}

/**
 * Which of these NEVRAs an enabled repository offers (installed or not), one `name.arch\tevr` a
 * line: {@link parseRpmQuery} reads it. Nothing printed for a NEVRA no repository has.
 */
export function dnfRepoqueryCommand(nevras: string[]): string {
  if (nevras.length === 0) throw new Error('nothing to look up');
  for (const spec of nevras) if (!parseNevra(spec)) throw new Error(`refusing to put "${spec}" in a dnf command: not an RPM NEVRA`);
  return `${ENV} dnf -q repoquery --qf ${shellQuote('%{name}.%{arch}\t%{evr}')} ${[...nevras].sort().map(shellQuote).join(' ')}`;
}

/** Every installed package with its epoch:version-release and arch. */
export function rpmQueryCommand(): string {
  return `rpm -qa --qf ${shellQuote('%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}\t%{ARCH}\n')}`;
}

/**
 * Parses {@link rpmQueryCommand}'s output (also the two-column `%{NAME}\t%{EPOCH}:%{VERSION}-%{RELEASE}`
 * form, keyed by name alone). Install-only packages (kernels) are installed in several versions
 * at once, hence a list, sorted; gpg-pubkey entries and other noise are skipped.
 */
export function parseRpmQuery(stdout: string): Record<string, string[]> {
  const installed: Record<string, string[]> = {};
  for (const line of stdout.split('\n')) {
    const fields = line.replace(/\r$/, '').split('\t');
    if (fields.length !== 2 && fields.length !== 3) continue;
    const [name = '', rawEvr = '', arch] = fields;
    const evr = normalizeEvr(rawEvr);
    if (!NAME.test(name) || !EVR.test(evr) || (arch !== undefined && !ARCH.test(arch))) continue;
    const key = arch === undefined ? name : `${name}.${arch}`;
    installed[key] = [...(installed[key] ?? []), evr].sort();
  }
  return installed;
}

/** The newest transaction's id in `dnf history list` (dnf 4's `ID | …` table or dnf 5's columns); undefined if none. */
export function parseDnfHistoryList(stdout: string): string | undefined {
  const ids = stdout.split('\n').map((l) => /^\s*(\d+)\s*(?:\||\s)/.exec(l)?.[1]).filter((id): id is string => id !== undefined).map(Number);
  return ids.length > 0 ? String(Math.max(...ids)) : undefined;
}

export function dnfHistoryListCommand(): string {
  return `${ENV} dnf -q history list`;
}

export function dnfHistoryInfoCommand(id: string | 'last' = 'last'): string {
  if (id !== 'last' && !/^\d+$/.test(id)) throw new Error(`not a dnf transaction id: "${id}"`);
  return `${ENV} dnf -q history info ${id}`;
}

/** Parses `dnf history info`: the id, whether it succeeded, and what it installed. */
export function parseDnfHistoryInfo(stdout: string): DnfTransaction | undefined {
  const id = /^Transaction ID\s*:\s*(\d+)/m.exec(stdout)?.[1];
  if (id === undefined) return undefined;
  const returnCode = /^Return-Code\s*:\s*(.*)$/m.exec(stdout)?.[1]?.trim() ?? '';
  const installed: Record<string, string> = {};
  const altered = stdout.split(/^Packages Altered:\s*$/m)[1] ?? '';
  for (const line of altered.split('\n')) {
    const m = /^\s+(Install|Upgrade|Downgrade|Reinstall|Dep-Install|Reason Change)\s+(\S+)/.exec(line);
    if (!m || m[1] === 'Reason Change') continue;
    const parsed = parseNevra(m[2] ?? '');
    if (parsed) installed[parsed.key] = parsed.version;
  }
  return { id, succeeded: returnCode === 'Success', installed };
}

/** Installs exactly these versions (`upgrade`: never a package that is not installed). */
export function dnfApplyCommand(target: Record<string, string>): string {
  return `${DNF} upgrade ${upgradeSpecs(target).join(' ')}`;
}

function upgradeSpecs(target: Record<string, string>): string[] {
  const specs = sorted(target).filter(([, v]) => v !== '').map(([key, evr]) => shellQuote(nevra(key, evr)));
  if (specs.length === 0) throw new Error('nothing to upgrade');
  return specs;
}

/**
 * Reverts one transaction, new dependencies and install-only kernels included. The old packages
 * must still be in an enabled repository: dnf's cache does not count (see DNF above).
 */
export function dnfUndoCommand(transactionId: string): string {
  if (!/^\d+$/.test(transactionId)) throw new Error(`not a dnf transaction id: "${transactionId}"`);
  return `${DNF} history undo ${transactionId}`;
}

/** Rollback without a transaction id: these NEVRAs back (downgrade), those removed. */
export function dnfDowngradeCommand(versions: Record<string, string>): string {
  const specs = sorted(versions).map(([key, evr]) => shellQuote(nevra(key, evr)));
  if (specs.length === 0) throw new Error('nothing to downgrade');
  return `${DNF} downgrade ${specs.join(' ')}`;
}

/** Removes packages (`name.arch`, or a NEVRA for one version of an install-only package). */
export function dnfRemoveCommand(specs: string[]): string {
  if (specs.length === 0) throw new Error('nothing to remove');
  for (const spec of specs) if (!parseNevra(spec)) splitKey(spec);
  return `${DNF} remove ${[...specs].sort().map(shellQuote).join(' ')}`;
}

/**
 * `needs-restarting -r` (dnf-utils / yum-utils), or the dnf plugin command: exit 1 = reboot needed.
 * Without either, `dnf needs-restarting` would also exit 1 ("No such command"): that must not read
 * as "reboot", so it is checked first and reported as 127.
 */
export function dnfRebootCheckCommand(): string {
  return [
    'if command -v needs-restarting >/dev/null 2>&1; then needs-restarting -r',
    'elif dnf -q needs-restarting --help >/dev/null 2>&1; then dnf -q needs-restarting -r',
    "else echo 'needs-restarting is not installed (dnf-utils or dnf-plugins-core)' >&2; exit 127; fi",
  ].join('; ');
}

/** Interprets `needs-restarting -r`: 1 → reboot, 0 → none; anything else is an error. */
export function rebootFromNeedsRestarting(exitCode: number): boolean {
  if (exitCode === 1) return true;
  if (exitCode === 0) return false;
  throw new Error(`needs-restarting -r exited with ${exitCode}`);
}

function sorted(versions: Record<string, string>): [string, string][] {
  return Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
