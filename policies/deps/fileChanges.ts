import type { DetectedUpdate } from './types';

/** An update could not be written into its file: nothing of the group is committed. */
export class FileChangeError extends Error {
  constructor(
    readonly file: string,
    readonly depName: string,
    message: string,
  ) {
    super(`${file}: ${depName}: ${message}`);
    this.name = 'FileChangeError';
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Writes `updates` (all of one file) into that file's text, changing only the version (and digest)
 * characters: indentation, key order, comments and the value's style stay as they are.
 */
export function applyUpdatesToText(file: string, text: string, updates: DetectedUpdate[]): string {
  let result = text;
  for (const u of updates) {
    if (u.packageFile !== file) throw new FileChangeError(file, u.depName, `update belongs to ${u.packageFile}`);
    result = u.manager === 'npm' ? updatePackageJson(file, result, u) : autoReplace(file, result, u);
  }
  return result;
}

/** package.json: the value of `depName` in its dependency section; JSON formatting is kept byte for byte. */
function updatePackageJson(file: string, text: string, u: DetectedUpdate): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new FileChangeError(file, u.depName, `is not valid JSON (${(err as Error).message})`);
  }
  const sections = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides'];
  const section = u.depType !== undefined && sections.includes(u.depType) ? u.depType : sections.find((s) => (parsed[s] as Record<string, unknown> | undefined)?.[u.depName] !== undefined);
  const current = section ? (parsed[section] as Record<string, unknown> | undefined)?.[u.depName] : undefined;
  if (section === undefined || current === undefined) throw new FileChangeError(file, u.depName, 'is not declared in any dependency section');
  if (current === u.newValue) return text;
  if (current !== u.currentValue) throw new FileChangeError(file, u.depName, `expected "${u.currentValue}" in ${section} but found "${String(current)}" (the file changed since the scan)`);
  const sectionStart = new RegExp(`"${escapeRegExp(section)}"\\s*:\\s*\\{`, 'g');
  const start = sectionStart.exec(text);
  if (!start) throw new FileChangeError(file, u.depName, `cannot locate the ${section} section`);
  const entry = new RegExp(`("${escapeRegExp(u.depName)}"\\s*:\\s*")${escapeRegExp(u.currentValue)}(")`, 'g');
  entry.lastIndex = start.index;
  const match = entry.exec(text);
  if (!match) throw new FileChangeError(file, u.depName, `cannot locate "${u.depName}": "${u.currentValue}" in ${section}`);
  return text.slice(0, match.index) + match[1] + u.newValue + match[2] + text.slice(match.index + match[0].length);
}

/**
 * Dockerfile FROM lines and workflow `uses:` lines: the text Renovate located (`replaceString`, or
 * name:value@digest rebuilt from the dependency) with the value and digest after the name replaced,
 * so a tag suffix (`-alpine`), digest pinning and a `# v4.1.0` comment keep their form.
 */
function autoReplace(file: string, text: string, u: DetectedUpdate): string {
  const separator = u.manager === 'github-actions' ? '@' : ':';
  const located = u.replaceString ?? `${u.depName}${separator}${u.currentValue}${u.currentDigest ? `@${u.currentDigest}` : ''}`;
  const nameEnd = located.indexOf(u.depName) + u.depName.length;
  if (nameEnd < u.depName.length) throw new FileChangeError(file, u.depName, `Renovate located "${located}", which does not contain the name`);
  const tail = located.slice(nameEnd);
  // Spans of the tail to rewrite: the digest, and the version outside it (in `@<sha> # v4.1.0` the
  // version is the comment; a digest's hex must never be mistaken for a short version like "1").
  const edits: { at: number; length: number; text: string }[] = [];
  const digestAt = u.currentDigest ? tail.indexOf(u.currentDigest) : -1;
  if (u.currentDigest && digestAt < 0) throw new FileChangeError(file, u.depName, `cannot find the digest ${u.currentDigest} in "${located}"`);
  if (u.currentDigest && u.newDigest) edits.push({ at: digestAt, length: u.currentDigest.length, text: u.newDigest });
  else if (u.newDigest && u.updateType === 'pinDigest') edits.push({ at: tail.length, length: 0, text: `@${u.newDigest}` });
  if (u.newValue !== u.currentValue) {
    let at = -1;
    for (let i = tail.indexOf(u.currentValue); i >= 0; i = tail.indexOf(u.currentValue, i + 1)) {
      const insideDigest = digestAt >= 0 && i < digestAt + u.currentDigest!.length && i + u.currentValue.length > digestAt;
      if (!insideDigest) at = i;
    }
    if (at < 0) throw new FileChangeError(file, u.depName, `cannot find the version "${u.currentValue}" in "${located}"`);
    edits.push({ at, length: u.currentValue.length, text: u.newValue });
  }
  let rewritten = tail;
  for (const e of edits.sort((a, b) => b.at - a.at)) rewritten = rewritten.slice(0, e.at) + e.text + rewritten.slice(e.at + e.length);
  const replacement = located.slice(0, nameEnd) + rewritten;
  if (!text.includes(located)) {
    if (text.includes(replacement)) return text; // already written (a retried run)
    throw new FileChangeError(file, u.depName, `cannot find "${located}" (the file changed since the scan)`);
  }
  // Only whole occurrences: "node:20" must not match inside "node:20.11".
  const whole = new RegExp(`${escapeRegExp(located)}(?![\\w.:@-])`, 'g');
  return text.replace(whole, () => replacement);
}
