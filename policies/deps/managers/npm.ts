import { dependencyTitle, escapeRegExp, FileChangeError, type DependencyManager } from './manager';

const SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'resolutions', 'overrides'];

/** package.json: the value of `depName` in its dependency section; JSON formatting is kept byte for byte. */
export const npmManager: DependencyManager = {
  prTitle: dependencyTitle,

  updateDependency({ packageFile: file, fileContent: text, upgrade: u }) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new FileChangeError(file, u.depName, `is not valid JSON (${(err as Error).message})`);
    }
    const section = u.depType !== undefined && SECTIONS.includes(u.depType) ? u.depType : SECTIONS.find((s) => (parsed[s] as Record<string, unknown> | undefined)?.[u.depName] !== undefined);
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
  },
};
