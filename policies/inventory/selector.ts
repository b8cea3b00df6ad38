/**
 * Tag selectors, in the syntax Kubernetes label selectors made familiar:
 * `role=web`, `role!=db`, `patchGroup in (a,b)`, `az notin (eu-1c)`, `canary` (tag present),
 * `!legacy` (tag absent); comma-separated terms all have to match.
 */
export type SelectorTerm =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
}

const KEY = '[A-Za-z][A-Za-z0-9._/-]*';
const VALUE = '[A-Za-z0-9._/:-]*';
const TERM_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => SelectorTerm]> = [
  [new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^()]*)\\)$`), (m) => ({
    op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== ''),
  })],
  [new RegExp(`^(${KEY})\\s*(==?|!=)\\s*(${VALUE})$`), (m) => ({ op: m[2] === '!=' ? 'ne' : 'eq', key: m[1]!, value: m[3]! })],
  [new RegExp(`^!\\s*(${KEY})$`), (m) => ({ op: 'absent', key: m[1]! })],
  [new RegExp(`^(${KEY})$`), (m) => ({ op: 'exists', key: m[1]! })],
];

export function parseSelector(text: string): SelectorTerm[] {
  const terms: SelectorTerm[] = [];
  for (const raw of splitTerms(text)) {
    const term = raw.trim();
    if (term === '') continue;
    const match = TERM_PATTERNS.map(([re, build]) => {
      const m = term.match(re);
      return m ? build(m) : undefined;
    }).find((t) => t !== undefined);
    if (!match) {
      throw new SelectorSyntaxError(`cannot read selector term "${term}": expected key=value, key!=value, key in (a,b), key notin (a,b), key or !key`);
    }
    terms.push(match);
  }
  return terms;
}

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

export function matchesSelector(tags: Record<string, string>, terms: SelectorTerm[]): boolean {
  return terms.every((t) => {
    const has = Object.prototype.hasOwnProperty.call(tags, t.key);
    const value = has ? tags[t.key] : undefined;
    switch (t.op) {
      case 'eq': return value === t.value;
      case 'ne': return value !== t.value;
      case 'in': return value !== undefined && t.values.includes(value);
      case 'notin': return value === undefined || !t.values.includes(value);
      case 'exists': return has;
      case 'absent': return !has;
    }
  });
}
