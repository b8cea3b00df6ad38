/** What the Python managers (pipRequirements.ts, pep621.ts, poetry.ts) share: PEP 508 requirements, pyproject.toml strings and tables, requirement hashes. */
import { escapeRegExp, FileChangeError, type UpdateDependencyConfig } from './manager';

/**
 * A PEP 508 requirement for `depName` (as Renovate read it from the file) whose version specifier is
 * `currentValue`, optionally with extras before and an environment marker after:
 * `Flask[async] >= 2.3, < 3 ; python_version >= "3.9"`. Group 1 is everything up to the specifier.
 */
export function requirementPattern(depName: string, specifier: string): RegExp {
  // Names compare as PEP 503 has it: case-insensitive, runs of - _ . alike.
  const name = depName.split(/[-_.]+/).map(escapeRegExp).join('[-_.]+');
  return new RegExp(`^(\\s*${name}\\s*(?:\\[[^\\]]*\\]\\s*)?)${escapeRegExp(specifier)}(?=\\s*(?:;|$|\\\\|#|--))`, 'i');
}

/** Every TOML string literal ("…" or '…') of the text, with its offsets (content only); comments are skipped. */
function tomlStrings(text: string): { start: number; end: number; value: string }[] {
  const found: { start: number; end: number; value: string }[] = [];
  const literal = /#[^\n]*|"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'/g;
  for (let m = literal.exec(text); m; m = literal.exec(text)) {
    if (m[0].startsWith('#')) continue;
    const value = m[1] ?? m[2] ?? '';
    found.push({ start: m.index + 1, end: m.index + 1 + value.length, value });
  }
  return found;
}

/** A PEP 508 requirement string of pyproject.toml (`"name[extra] >=1.2 ; marker"`) holding `was`, rewritten to `now`; undefined when none holds it. */
function rewriteRequirementString(text: string, depName: string, was: string, now: string): string | undefined {
  const found = tomlStrings(text).find((s) => requirementPattern(depName, was).test(s.value));
  if (found === undefined) return undefined;
  const rewritten = found.value.replace(requirementPattern(depName, was), (_, head: string) => `${head}${now}`);
  return text.slice(0, found.start) + rewritten + text.slice(found.end);
}

/** A Poetry table entry (`name = "^1.2"`, `name = { version = "^1.2", … }`) holding `was`, rewritten to `now`; undefined when none holds it. */
function rewritePoetryEntry(text: string, depName: string, was: string, now: string): string | undefined {
  const name = depName.split(/[-_.]+/).map(escapeRegExp).join('[-_.]+');
  const key = `(?:${name}|"${name}"|'${name}')`;
  const entry = new RegExp(`^(\\s*${key}\\s*=\\s*(?:\\{[^}\\n]*?\\bversion\\s*=\\s*)?(["']))${escapeRegExp(was)}(\\2)`, 'mi');
  const match = entry.exec(text);
  if (!match) return undefined;
  return text.slice(0, match.index) + match[1] + now + match[3] + text.slice(match.index + match[0].length);
}

/**
 * pyproject.toml: the update written where the dependency is declared, as a PEP 508 string
 * ([project] dependencies and optional-dependencies, [dependency-groups]) or, with `poetryTables`,
 * a [tool.poetry.*dependencies] entry; only the specifier characters change.
 */
export function updatePyproject({ packageFile: file, fileContent: text, upgrade: u }: UpdateDependencyConfig, poetryTables: boolean): string {
  const [was, now] = [u.currentValue.trim(), u.newValue.trim()];
  const rewrite = (from: string, to: string) => (poetryTables ? rewritePoetryEntry(text, u.depName, from, to) : undefined) ?? rewriteRequirementString(text, u.depName, from, to);
  const rewritten = rewrite(was, now);
  if (rewritten !== undefined) return rewritten;
  if (rewrite(now, now) !== undefined) return text; // already written (a retried run)
  throw new FileChangeError(file, u.depName, `cannot find ${u.depName} with "${was}" in ${poetryTables ? 'a dependency table or ' : ''}a requirement string (the file changed since the scan)`);
}

/** PEP 503 name normalisation: `Foo_Bar.baz` → `foo-bar-baz` (the index's page name). */
export const normalizePythonName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

const HASH = /--hash[=\s]+sha256:[0-9a-fA-F]+/g;

/** Whether the requirement `depName` `specifier` in `text` is followed by `--hash` options (pip's hash-checking mode). */
export function requirementHasHashes(text: string, depName: string, specifier: string): boolean {
  const block = requirementBlock(text.split('\n'), depName, specifier);
  return block !== undefined && /--hash[=\s]+sha256:/.test(block.lines.join('\n'));
}

/** The requirement's line and its `\`-continued lines. */
function requirementBlock(lines: string[], depName: string, specifier: string): { start: number; lines: string[] } | undefined {
  const start = lines.findIndex((line) => requirementPattern(depName, specifier).test(line));
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length - 1 && /\\\s*$/.test(lines[end]!)) end++;
  return { start, lines: lines.slice(start, end + 1) };
}

/**
 * requirements.txt in hash-checking mode: the `--hash=sha256:` options of the (already updated)
 * requirement replaced by `hashes`, the files the index offers for the new version, in the layout
 * the file has (one per continued line, or on the requirement's line).
 */
export function replaceRequirementHashes(file: string, text: string, depName: string, specifier: string, hashes: string[]): string {
  const lines = text.split('\n');
  const block = requirementBlock(lines, depName, specifier);
  if (block === undefined) throw new FileChangeError(file, depName, `cannot find the requirement "${depName}${specifier}" to refresh its hashes`);
  const joined = block.lines.join('\n');
  const found = [...joined.matchAll(HASH)];
  if (found.length === 0) return text;
  const first = found[0]!;
  const last = found[found.length - 1]!;
  const separator = found.length > 1
    ? joined.slice(first.index + first[0].length, found[1]!.index)
    : block.lines.length > 1 ? ` \\\n${/^\s*/.exec(block.lines[block.lines.length - 1]!)![0]}` : ' ';
  const written = hashes.map((h) => `--hash=sha256:${h}`).join(separator);
  const rewritten = joined.slice(0, first.index) + written + joined.slice(last.index + last[0].length);
  return [...lines.slice(0, block.start), rewritten, ...lines.slice(block.start + block.lines.length)].join('\n');
}

/**
 * The sha256 digests a PEP 503 project page (HTML) gives for the files of `name` `version`: wheels
 * (`name-version-….whl`) and sdists (`name-version.tar.gz`, `.zip`), by the `#sha256=` of each link.
 */
export function hashesFromSimplePage(page: string, name: string, version: string): string[] {
  const hashes: string[] = [];
  for (const link of page.matchAll(/<a\s[^>]*href\s*=\s*["']([^"']+)["'][^>]*>/gi)) {
    const href = link[1]!.replace(/&amp;/g, '&');
    const hash = /#sha256=([0-9a-fA-F]{64})$/.exec(href)?.[1];
    if (hash === undefined) continue;
    const fileName = decodeURIComponent(href.replace(/#.*$/, '').replace(/\?.*$/, '').split('/').pop() ?? '');
    const parts = fileName.endsWith('.whl')
      ? fileName.split('-').slice(0, 2)
      : (/^(.*)-([^-]+)\.(?:tar\.gz|zip)$/.exec(fileName) ?? []).slice(1, 3);
    if (parts.length === 2 && normalizePythonName(parts[0]!) === normalizePythonName(name) && parts[1] === version) hashes.push(hash.toLowerCase());
  }
  return [...new Set(hashes)];
}
