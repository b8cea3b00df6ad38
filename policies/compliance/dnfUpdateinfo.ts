// dnf's advisory metadata (updateinfo) for the compliance scan: parsers of what dnf prints. Pure.
// dnf5 (Fedora 41+, RHEL 10) prints JSON (`dnf updateinfo list --json`, `dnf updateinfo info --json`,
// an alias of `dnf advisory …`); dnf4 (RHEL 8/9 and clones) prints text only (`list`, `info`).
// There are no rpm hosts on the test machine: these are tested on captured output (test/fixtures/dnf).
import type { DnfUpdate } from '../rollout/packages/dnf';
import { normalizeEvr, parseNevra } from '../rollout/packages/dnf';
import { SEVERITY_RANK, type Classification, type PendingUpdate, type Severity } from './types';

/** One advisory as far as the compliance scan needs it. */
export interface Advisory {
  id: string;
  classification: Classification;
  severity: Severity;
  /** Epoch ms (UTC), when dnf says when it was issued (or last updated). */
  issuedAt?: number;
  cves: string[];
  /** `name.arch` → version: the packages the advisory updates to. */
  packages: Record<string, string>;
}

export function classificationOf(type: string): Classification {
  const t = type.trim().toLowerCase();
  if (t === 'security' || t === 'sec.' || t === 'sec') return 'security';
  if (t === 'bugfix' || t === 'bugfix.') return 'bugfix';
  if (t === 'enhancement' || t === 'enh.' || t === 'newpackage') return 'enhancement';
  return 'other';
}

export function severityOf(text: string | undefined): Severity {
  const s = (text ?? '').trim().toLowerCase();
  return s === 'critical' || s === 'important' || s === 'moderate' || s === 'low' ? s : 'unspecified';
}

/** dnf prints times as `2024-04-30 09:12:25` (UTC), dnf5 ≥ 5.3 as Unix seconds. */
function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(value.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
}

const CVE = /CVE-\d{4}-\d{4,}/g;

function merge(into: Map<string, Advisory>, a: Advisory): void {
  const old = into.get(a.id);
  if (!old) {
    into.set(a.id, a);
    return;
  }
  old.cves = [...new Set([...old.cves, ...a.cves])].sort();
  Object.assign(old.packages, a.packages);
  if (old.issuedAt === undefined && a.issuedAt !== undefined) old.issuedAt = a.issuedAt;
  if (old.severity === 'unspecified') old.severity = a.severity;
  if (old.classification === 'other') old.classification = a.classification;
}

function field(o: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(o).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : o[key];
}

/**
 * Parses dnf5's `updateinfo list --json` (one entry per advisory and package: name, type,
 * severity, nevra, buildtime) and `updateinfo info --json` (one per advisory, with references
 * and the package collection); both may be given, joined by advisory id.
 */
export function parseDnfUpdateinfoJson(...outputs: string[]): Advisory[] {
  const out = new Map<string, Advisory>();
  for (const [index, text] of outputs.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new Error(`dnf updateinfo output ${index + 1} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(value)) throw new Error(`dnf updateinfo output ${index + 1}: expected a JSON array of advisories`);
    for (const entry of value as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const o = entry as Record<string, unknown>;
      const id = field(o, 'name') ?? field(o, 'id');
      if (typeof id !== 'string' || id === '') continue;
      const packages: Record<string, string> = {};
      const nevras: unknown[] = [];
      const nevra = field(o, 'nevra');
      if (typeof nevra === 'string') nevras.push(nevra);
      const collections = field(o, 'collections');
      const collectionList = Array.isArray(collections) ? collections : collections !== undefined ? [collections] : [];
      for (const c of collectionList) {
        const pkgs = typeof c === 'object' && c !== null ? field(c as Record<string, unknown>, 'packages') : undefined;
        if (Array.isArray(pkgs)) nevras.push(...pkgs);
      }
      for (const n of nevras) {
        const parsed = typeof n === 'string' ? parseNevra(n) : undefined;
        if (parsed) packages[parsed.key] = parsed.version;
      }
      const references = field(o, 'references');
      const cves = new Set<string>();
      if (Array.isArray(references)) {
        for (const r of references) {
          for (const m of JSON.stringify(r).matchAll(CVE)) cves.add(m[0]);
        }
      }
      const type = field(o, 'type');
      const issuedAt = timeOf(field(o, 'issued') ?? field(o, 'updated') ?? field(o, 'buildtime'));
      merge(out, {
        id, classification: classificationOf(typeof type === 'string' ? type : ''),
        severity: severityOf(field(o, 'severity') as string | undefined),
        ...(issuedAt !== undefined ? { issuedAt } : {}), cves: [...cves].sort(), packages,
      });
    }
  }
  return [...out.values()];
}

// RLSA-2024:2447 Important/Sec.  openssl-1:3.0.7-27.el9.x86_64
const LIST_LINE = /^(\S+)\s+(?:(Critical|Important|Moderate|Low|None|Unknown)\/)?(Sec\.|Bugfix|Enhancement|Unspecified|newpackage|\S+)\s+(\S+)\s*$/i;

/**
 * Parses dnf4's text `updateinfo list --updates` (advisory, severity/type, package) and
 * `updateinfo info --updates` (per advisory: Update ID, Type, Updated/Issued, CVEs, Severity),
 * joined by advisory id. dnf4's `info` lists no packages: the list says which advisory is which package's.
 */
export function parseDnfUpdateinfoText(list: string, info = ''): Advisory[] {
  const out = new Map<string, Advisory>();
  for (const raw of list.split('\n')) {
    const m = LIST_LINE.exec(raw.trim());
    if (!m || /^(Last metadata|Updating|Security:)/.test(raw.trim())) continue;
    const [, id = '', severity, type = '', spec = ''] = m;
    const parsed = parseNevra(spec);
    if (!parsed) continue;
    merge(out, { id, classification: classificationOf(type), severity: severityOf(severity), cves: [], packages: { [parsed.key]: parsed.version } });
  }
  for (const block of info.split(/^={10,}\s*$/m)) {
    const idMatch = /^\s*Update ID\s*:\s*(\S+)/m.exec(block);
    if (!idMatch) continue;
    const id = idMatch[1]!;
    const value = (name: string) => new RegExp(`^\\s*${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim();
    // CVEs: the "CVEs:" field and its continuation lines ("           : CVE-…").
    const cves = new Set<string>();
    const cveSection = /^\s*CVEs\s*:(.*(?:\n\s*:.*)*)/m.exec(block)?.[1] ?? '';
    for (const m of cveSection.matchAll(CVE)) cves.add(m[0]);
    const issuedAt = timeOf(value('Updated') ?? value('Issued'));
    const type = value('Type');
    merge(out, {
      id, classification: classificationOf(type ?? ''), severity: severityOf(value('Severity')),
      ...(issuedAt !== undefined ? { issuedAt } : {}), cves: [...cves].sort(), packages: {},
    });
  }
  return [...out.values()];
}

/**
 * The pending updates of a dnf host: every package `dnf check-update` offers, classified by the
 * advisories that update it (security if any is; the worst severity; every CVE; published when the
 * newest of them was issued), `other` when no advisory names it.
 */
export function dnfPendingUpdates(updates: readonly DnfUpdate[], installed: Record<string, string>, advisories: readonly Advisory[], held: ReadonlySet<string> = new Set()): PendingUpdate[] {
  const byPackage = new Map<string, Advisory[]>();
  for (const a of advisories) for (const key of Object.keys(a.packages)) byPackage.set(key, [...(byPackage.get(key) ?? []), a]);
  const rank: Record<Classification, number> = { security: 0, bugfix: 1, enhancement: 2, other: 3 };
  return updates.map((u) => {
    const list = byPackage.get(u.package) ?? [];
    const classification = list.map((a) => a.classification).sort((x, y) => rank[x] - rank[y])[0] ?? 'other';
    const severity = list.map((a) => a.severity).sort((x, y) => SEVERITY_RANK[x] - SEVERITY_RANK[y])[0] ?? 'unspecified';
    const issued = list.map((a) => a.issuedAt).filter((t): t is number => t !== undefined);
    return {
      package: u.package, installed: installed[u.package] ?? '', candidate: normalizeEvr(u.version),
      source: list.length > 0 ? list.map((a) => a.id).sort().join(',') : u.repo,
      classification, severity, cves: [...new Set(list.flatMap((a) => a.cves))].sort(),
      ...(issued.length > 0 ? { publishedAt: Math.max(...issued) } : {}),
      held: held.has(u.package) || held.has(u.name),
    };
  });
}
