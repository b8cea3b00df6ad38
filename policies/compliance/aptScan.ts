// The compliance scan of a Debian-family host: one read-only command, and its parser. Pure;
// activities/compliance/scanners/apt.ts runs it.
import { aptRebootCheckCommand, isSecurityOrigin, parseAptRebootCheck } from '../rollout/packages/apt';
import type { PendingUpdate } from './types';

const SECTIONS = ['arch', 'upgradable', 'held', 'releases', 'reboot'] as const;
type Section = (typeof SECTIONS)[number];

/**
 * Read-only: the native architecture, every upgradable package with the suites its candidate
 * comes from (`apt list --upgradable` lists held packages too, which `apt-get -s upgrade` keeps
 * back silently), the holds, each downloaded Release file's Suite and Date, and the reboot check.
 * Nothing is refreshed: `apt-get update` is a separate, opt-in step (it writes apt's lists).
 */
export function aptScanCommand(): string {
  return [
    'set -e',
    'echo "#arch"', 'dpkg --print-architecture',
    'echo "#upgradable"', 'LC_ALL=C apt list --upgradable 2>/dev/null',
    'echo "#held"', 'LC_ALL=C apt-mark showhold',
    'echo "#releases"',
    'eval "$(apt-config shell LISTS Dir::State::lists/d)"',
    'for f in "$LISTS"*Release; do [ -f "$f" ] || continue; printf \'RELEASE\\t%s\\t%s\\n\' "$(sed -n \'s/^Suite: *//p\' "$f" | head -n 1)" "$(sed -n \'s/^Date: *//p\' "$f" | head -n 1)"; done',
    'echo "#reboot"', aptRebootCheckCommand(),
  ].join('\n');
}

function sections(stdout: string): Record<Section, string[]> {
  const out: Record<Section, string[]> = { arch: [], upgradable: [], held: [], releases: [], reboot: [] };
  let current: Section | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const heading = /^#(\w+)$/.exec(line)?.[1];
    if (heading !== undefined && (SECTIONS as readonly string[]).includes(heading)) {
      current = heading as Section;
      continue;
    }
    if (current !== undefined && line.trim() !== '') out[current].push(line);
  }
  return out;
}

/** Suite → the newest Date among the Release files that name it (two repositories may share a suite name: the younger date is the safe one). */
export function parseReleaseDates(lines: readonly string[]): Map<string, number> {
  const dates = new Map<string, number>();
  for (const line of lines) {
    const [tag, suite = '', date = ''] = line.split('\t');
    if (tag !== 'RELEASE' || suite === '') continue;
    const at = Date.parse(date);
    if (Number.isNaN(at)) continue;
    dates.set(suite, Math.max(at, dates.get(suite) ?? at));
  }
  return dates;
}

// openssl/stable-security,stable 3.0.15-1~deb12u1 amd64 [upgradable from: 3.0.14-1~deb12u2]
const UPGRADABLE = /^([a-z0-9][a-z0-9+.-]*)\/(\S+) (\S+) (\S+) \[upgradable from: ([^\]]+)\]\s*$/;

/**
 * Parses {@link aptScanCommand}'s output: the pending updates (security when a suite of the
 * candidate is `*-security`), published by the earliest Release date of its suites, held or not, and
 * whether a reboot is pending. Throws when the output is not the command's (a heading missing).
 */
export function parseAptScan(stdout: string): { updates: PendingUpdate[]; rebootRequired: boolean } {
  if (!/^#reboot$/m.test(stdout)) throw new Error('the apt scan printed no "#reboot" section: its output was cut short or is not the scan\'s');
  const s = sections(stdout);
  const native = s.arch[0]?.trim() ?? '';
  const held = new Set(s.held.map((l) => l.trim()));
  const releases = parseReleaseDates(s.releases);
  const updates: PendingUpdate[] = [];
  for (const line of s.upgradable) {
    const m = UPGRADABLE.exec(line);
    if (!m) continue;
    const [, name = '', suiteList = '', candidate = '', arch = '', installed = ''] = m;
    const key = arch === 'all' || arch === native ? name : `${name}:${arch}`;
    const suites = suiteList.split(',').filter((x) => x !== '' && x !== 'now');
    const dates = suites.map((x) => releases.get(x)).filter((d): d is number => d !== undefined);
    updates.push({
      package: key, installed: installed.trim(), candidate, source: suites.join(','),
      classification: suites.some((x) => isSecurityOrigin(x)) ? 'security' : 'other',
      severity: 'unspecified', cves: [],
      ...(dates.length > 0 ? { publishedAt: Math.min(...dates) } : {}),
      held: held.has(key) || held.has(name),
    });
  }
  updates.sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
  return { updates, rebootRequired: parseAptRebootCheck(s.reboot.join('\n')) };
}
