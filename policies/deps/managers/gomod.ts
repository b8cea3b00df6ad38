import { escapeRegExp, FileChangeError, type DependencyManager } from './manager';
import type { DetectedUpdate } from '../types';

/** The module path without its major-version suffix: `example.com/m/v2` → `example.com/m`, `gopkg.in/yaml.v3` → `gopkg.in/yaml`. */
const pathWithoutMajor = (module: string) => module.replace(/\/v\d+$/, '').replace(/^(gopkg\.in\/.*)\.v\d+$/, '$1');

/**
 * A `require` of `module` at `version`: `require example.com/m v1.2.3` or, inside a `require (…)`
 * block, `\texample.com/m v1.2.3 // indirect`. Group 1 is everything up to the version, group 2
 * what follows it (the `// indirect` comment stays as it is).
 */
function requirePattern(module: string, version: string): RegExp {
  return new RegExp(`^(\\s*(?:require\\s+)?"?${escapeRegExp(module)}"?\\s+)${escapeRegExp(version)}(\\s*(?://.*)?)$`);
}

/** Which lines are requirements: the `require x v` lines and the lines of `require (…)` blocks. */
function requireLines(lines: string[]): Set<number> {
  const found = new Set<number>();
  let inBlock = false;
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '').trim();
    if (inBlock) {
      if (code === ')') inBlock = false;
      else found.add(i);
    } else if (/^require\s*\($/.test(code)) inBlock = true;
    else if (/^require\s+\S/.test(code)) found.add(i);
  });
  return found;
}

/** The new module path of a major update that leaves the module's path (`/v2`); undefined when it stays. */
function movedModule(u: DetectedUpdate): string | undefined {
  const major = /^v(\d+)\./.exec(u.newVersion)?.[1];
  if (u.updateType !== 'major' || major === undefined || Number(major) < 2 || u.newVersion.endsWith('+incompatible')) return undefined;
  const moved = u.depName.startsWith('gopkg.in/') ? `${pathWithoutMajor(u.depName)}.v${major}` : `${pathWithoutMajor(u.depName)}/v${major}`;
  return moved === u.depName ? undefined : moved;
}

/**
 * go.mod: the version of the module's `require` line (direct, or `// indirect`, which stays
 * indirect); go.sum is refreshed by the artifact half with `go` itself. `replace` targets and the
 * go/toolchain directives are not written (Renovate is told not to propose them).
 */
export const gomodManager: DependencyManager = {
  prTitle: (u, to) => `Update module ${u.depName} to ${to}`,
  updateDependency({ packageFile: file, fileContent: text, upgrade: u }) {
    if (u.depType !== undefined && u.depType !== 'require' && u.depType !== 'indirect') {
      throw new FileChangeError(file, u.depName, `a ${u.depType} entry is not written by maint (only require lines: direct and // indirect)`);
    }
    const moved = movedModule(u);
    if (moved !== undefined) {
      throw new FileChangeError(file, u.depName, `${u.newVersion} is the module ${moved}: a major update renames the module, so every import in the .go files changes too; maint does not rewrite imports, so no PR (update it by hand)`);
    }
    const lines = text.split('\n');
    const requires = requireLines(lines);
    const at = (version: string) => [...requires].find((i) => requirePattern(u.depName, version).test(lines[i]!));
    const index = at(u.currentValue);
    if (index === undefined) {
      if (at(u.newValue) !== undefined) return text; // already written (a retried run)
      throw new FileChangeError(file, u.depName, `cannot find "require ${u.depName} ${u.currentValue}" (the file changed since the scan)`);
    }
    lines[index] = lines[index]!.replace(requirePattern(u.depName, u.currentValue), (_, head: string, tail: string) => `${head}${u.newValue}${tail}`);
    return lines.join('\n');
  },
};

/** A go.sum line: `<module> <version>[/go.mod] h1:<base64>`. */
const goSumLine = /^(\S+) (\S+?)(\/go\.mod)? (\S+)$/;

/**
 * go.sum with the lines of `module` `oldVersion` (its zip and its go.mod) replaced by `lines` (the
 * new version's), where the old ones stood; without old lines the new ones go in module order.
 */
export function replaceGoSumLines(goSum: string, module: string, oldVersion: string, lines: string[]): string {
  const kept: string[] = [];
  let at = -1;
  for (const line of goSum.split('\n').filter((l) => l.trim() !== '')) {
    const m = goSumLine.exec(line.trim());
    if (m !== null && m[1] === module && m[2] === oldVersion) {
      if (at < 0) at = kept.length;
      continue;
    }
    if (lines.includes(line.trim())) continue;
    kept.push(line);
  }
  if (at < 0) {
    at = kept.findIndex((line) => (goSumLine.exec(line)?.[1] ?? '') > module);
    if (at < 0) at = kept.length;
  }
  kept.splice(at, 0, ...lines);
  return `${kept.join('\n')}\n`;
}
