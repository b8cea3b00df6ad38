/**
 * Version order per OSV ecosystem, for deciding whether a version lies inside an advisory's range.
 * npm and Go are semver (Go with its leading `v`); PyPI is PEP 440; Maven is Maven's own
 * ComparableVersion order. Each comparator is small and covers what OSV ranges need: equal versions
 * compare 0 however they are written (`1.0` and `1.0.0` in PEP 440 and Maven).
 */
import semver from 'semver';

export const OSV_ECOSYSTEMS = ['npm', 'PyPI', 'Go', 'Maven'] as const;
export type OsvEcosystem = (typeof OSV_ECOSYSTEMS)[number];

/** Renovate datasource → OSV ecosystem (the ones this code compares versions of). */
export function ecosystemOf(datasource: string): OsvEcosystem | undefined {
  switch (datasource) {
    case 'npm': return 'npm';
    case 'pypi': return 'PyPI';
    case 'go': return 'Go';
    case 'maven': return 'Maven';
    default: return undefined;
  }
}

/** The name OSV files a package under, normalised so a lookup matches however it is written. */
export function normalisePackageName(ecosystem: OsvEcosystem, name: string): string {
  switch (ecosystem) {
    // PEP 503: runs of -, _ and . are one -, case-insensitive.
    case 'PyPI': return name.toLowerCase().replace(/[-_.]+/g, '-');
    // group:artifact (Renovate's depName); whitespace never belongs in one.
    case 'Maven': return name.trim();
    case 'Go': return name;
    case 'npm': return name;
  }
}

/** Negative when a < b, 0 when equal, positive when a > b; undefined when a version cannot be read. */
export function compareVersions(ecosystem: OsvEcosystem, a: string, b: string): number | undefined {
  switch (ecosystem) {
    case 'npm': return compareSemver(a, b);
    case 'Go': return compareSemver(a.replace(/^v/, ''), b.replace(/^v/, ''));
    case 'PyPI': return comparePep440(a, b);
    case 'Maven': return compareMaven(a, b);
  }
}

function compareSemver(a: string, b: string): number | undefined {
  const va = semver.parse(a, { loose: true });
  const vb = semver.parse(b, { loose: true });
  return va && vb ? semver.compare(va, vb) : undefined;
}

// ---------------------------------------------------------------------------------------------
// PEP 440: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]

interface Pep440 {
  epoch: number;
  release: number[];
  /** [phase, number]: a=0, b=1, rc=2; absent = final. */
  pre?: [number, number];
  post?: number;
  dev?: number;
  local?: string;
}

const PEP440 = /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i;

export function parsePep440(text: string): Pep440 | undefined {
  const m = PEP440.exec(text.trim());
  if (!m) return undefined;
  const phase = m[3]?.toLowerCase();
  const preRank = phase === undefined ? undefined : ['a', 'alpha'].includes(phase) ? 0 : ['b', 'beta'].includes(phase) ? 1 : 2;
  const post = m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] || 0) : undefined;
  return {
    epoch: Number(m[1] ?? 0),
    release: m[2]!.split('.').map(Number),
    ...(preRank !== undefined ? { pre: [preRank, Number(m[4] || 0)] as [number, number] } : {}),
    ...(post !== undefined ? { post } : {}),
    ...(m[8] !== undefined ? { dev: Number(m[8] || 0) } : {}),
    ...(m[9] !== undefined ? { local: m[9].toLowerCase() } : {}),
  };
}

function comparePep440(a: string, b: string): number | undefined {
  const va = parsePep440(a);
  const vb = parsePep440(b);
  if (!va || !vb) return undefined;
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  const length = Math.max(va.release.length, vb.release.length);
  for (let i = 0; i < length; i++) {
    const d = (va.release[i] ?? 0) - (vb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  // Within one release: X.devN < X.aN < X.bN < X.rcN < X < X.postN (a dev release of a pre/post sorts before it).
  const key = (v: Pep440): number[] => [
    v.pre === undefined && v.post === undefined && v.dev !== undefined ? -1 : v.pre !== undefined ? v.pre[0] : 3,
    v.pre?.[1] ?? 0,
    v.post ?? -1,
    v.dev ?? Infinity,
  ];
  const ka = key(va);
  const kb = key(vb);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return (va.local ?? '').localeCompare(vb.local ?? '');
}

// ---------------------------------------------------------------------------------------------
// Maven ComparableVersion (maven-artifact): items split on . and -, and between digits and letters;
// trailing zeros and qualifiers that mean "release" are dropped; qualifiers order
// alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < other (lexical).

type MavenItem = { kind: 'int'; value: bigint } | { kind: 'str'; value: string } | { kind: 'list'; items: MavenItem[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };

function qualifierKey(text: string): string {
  const value = ALIASES[text] ?? text;
  const i = QUALIFIERS.indexOf(value);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${value}`;
}

function mavenString(text: string, followedByDigit: boolean): MavenItem {
  let value = text.toLowerCase();
  if (followedByDigit && value.length === 1) value = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[value] ?? value;
  return { kind: 'str', value };
}

function isNull(item: MavenItem): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'str') return qualifierKey(item.value) === qualifierKey('');
  return item.items.length === 0;
}

/** Drops trailing "null" items (0, "", ga, final, release) of a list, as ComparableVersion's normalize. */
function normalize(list: MavenItem[]): MavenItem[] {
  const out = [...list];
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    if (isNull(last)) out.pop();
    else if (last.kind === 'list') { out[out.length - 1] = { kind: 'list', items: normalize(last.items) }; if (isNull(out[out.length - 1]!)) out.pop(); else break; } else break;
  }
  return out;
}

export function parseMaven(text: string): MavenItem[] {
  const root: MavenItem[] = [];
  let list = root;
  const stack: MavenItem[][] = [root];
  let token = '';
  let digits = false;
  const version = text.trim().toLowerCase();
  const flush = (nextIsDigit: boolean) => {
    if (token === '') { list.push({ kind: 'int', value: 0n }); return; }
    list.push(digits ? { kind: 'int', value: BigInt(token) } : mavenString(token, nextIsDigit));
    token = '';
  };
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    const next = version[i + 1];
    if (c === '.') { flush(false); digits = false; continue; }
    if (c === '-') {
      flush(false);
      digits = false;
      const child: MavenItem[] = [];
      list.push({ kind: 'list', items: child });
      list = child;
      stack.push(child);
      continue;
    }
    const isDigit = c >= '0' && c <= '9';
    if (token !== '' && isDigit !== digits) {
      // A switch between letters and digits starts a new sub-list item (1.0alpha1 = 1.0-alpha-1).
      flush(isDigit);
      const child: MavenItem[] = [];
      list.push({ kind: 'list', items: child });
      list = child;
      stack.push(child);
    }
    digits = isDigit;
    token += c;
    if (next === undefined) flush(false);
  }
  const fix = (items: MavenItem[]): MavenItem[] => normalize(items.map((item) => (item.kind === 'list' ? { kind: 'list', items: fix(item.items) } : item)));
  return fix(root);
}

function compareItem(a: MavenItem | undefined, b: MavenItem | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return -compareItem(b, undefined);
  if (b === undefined) {
    if (a.kind === 'int') return a.value === 0n ? 0 : 1;
    if (a.kind === 'str') return qualifierKey(a.value) < qualifierKey('') ? -1 : qualifierKey(a.value) === qualifierKey('') ? 0 : 1;
    return a.items.length === 0 ? 0 : compareItem(a.items[0], undefined);
  }
  if (a.kind === 'int') {
    if (b.kind === 'int') return a.value === b.value ? 0 : a.value < b.value ? -1 : 1;
    return 1; // a number is newer than a qualifier or a sub-list
  }
  if (a.kind === 'str') {
    if (b.kind === 'int') return -1;
    if (b.kind === 'str') { const ka = qualifierKey(a.value); const kb = qualifierKey(b.value); return ka === kb ? 0 : ka < kb ? -1 : 1; }
    return -1; // a qualifier is older than a sub-list
  }
  if (b.kind === 'int') return -1;
  if (b.kind === 'str') return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: MavenItem[], b: MavenItem[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = compareItem(a[i], b[i]);
    if (d !== 0) return d;
  }
  return 0;
}

function compareMaven(a: string, b: string): number | undefined {
  if (!/^[A-Za-z0-9._-]+$/.test(a.trim()) || !/^[A-Za-z0-9._-]+$/.test(b.trim())) return undefined;
  return compareLists(parseMaven(a), parseMaven(b));
}
