import { escapeRegExp, FileChangeError, type UpdateDependencyConfig } from './manager';

/**
 * Dockerfile FROM lines and workflow `uses:` lines: the text Renovate located (`replaceString`, or
 * name:value@digest rebuilt from the dependency) with the value and digest after the name replaced,
 * so a tag suffix (`-alpine`), digest pinning and a `# v4.1.0` comment keep their form. `separator`
 * comes between name and value (`node:20`, `actions/checkout@v4`).
 */
export function autoReplace(separator: ':' | '@', { packageFile: file, fileContent: text, upgrade: u }: UpdateDependencyConfig): string {
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
