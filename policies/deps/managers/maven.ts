import { dependencyTitle, FileChangeError, type DependencyManager } from './manager';

/** A leaf element's text and where it is in the file (the trimmed text, so whitespace around it stays). */
interface Leaf {
  value: string;
  start: number;
  end: number;
}

/** A `<dependency>`, `<plugin>`, `<extension>` or `<parent>` with its direct groupId/artifactId/version. */
interface Coordinate {
  element: string;
  groupId?: Leaf;
  artifactId?: Leaf;
  version?: Leaf;
}

const COORDINATES = new Set(['dependency', 'plugin', 'extension', 'parent']);

/**
 * The coordinates of a POM and its project-level `<properties>`, by a small scan of its tags
 * (comments, CDATA and processing instructions are skipped): enough to find the characters of
 * one version, without re-serialising the XML (which would reformat the whole file).
 */
export function readPom(file: string, text: string, depName: string): { coordinates: Coordinate[]; properties: Map<string, Leaf> } {
  const coordinates: Coordinate[] = [];
  const properties = new Map<string, Leaf>();
  const stack: { name: string; contentStart: number; leaf: boolean; fields: Map<string, Leaf> }[] = [];
  const token = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.:-]*)(?:\s[^>]*?)?(\/?)>/g;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const [whole, closing, name, selfClosing] = m;
    if (name === undefined) continue;
    if (closing === '') {
      if (stack.length > 0) stack[stack.length - 1]!.leaf = false;
      if (selfClosing === '') stack.push({ name, contentStart: m.index + whole.length, leaf: true, fields: new Map() });
      continue;
    }
    const open = stack.pop();
    if (open?.name !== name) throw new FileChangeError(file, depName, `is not well-formed XML: </${name}> on line ${text.slice(0, m.index).split('\n').length} closes ${open ? `<${open.name}>` : 'nothing'}`);
    const parent = stack[stack.length - 1];
    if (open.leaf && parent !== undefined) {
      const raw = text.slice(open.contentStart, m.index);
      const start = open.contentStart + (raw.length - raw.trimStart().length);
      const leaf = { value: raw.trim(), start, end: start + raw.trim().length };
      parent.fields.set(name, leaf);
      if (parent.name === 'properties' && stack.length === 2 && stack[0]!.name === 'project') properties.set(name, leaf);
    }
    if (COORDINATES.has(name) && stack.length > 0) {
      const f = open.fields;
      coordinates.push({ element: name, ...(f.has('groupId') ? { groupId: f.get('groupId')! } : {}), ...(f.has('artifactId') ? { artifactId: f.get('artifactId')! } : {}), ...(f.has('version') ? { version: f.get('version')! } : {}) });
    }
  }
  return { coordinates, properties };
}

const splice = (text: string, leaf: Leaf, value: string) => `${text.slice(0, leaf.start)}${value}${text.slice(leaf.end)}`;

/**
 * pom.xml: dependencies, dependencyManagement, plugins, extensions and the parent's version. A
 * version given as `${property}` (Renovate's sharedVariableName) is changed where the property is
 * defined — the `<properties>` of this file, which is the file Renovate names for such an update
 * even when the dependency is declared in a child module — never in the dependency's line.
 */
export const mavenManager: DependencyManager = {
  prTitle: dependencyTitle,
  updateDependency({ packageFile: file, fileContent: text, upgrade: u }) {
    const pom = readPom(file, text, u.depName);
    if (u.sharedVariableName !== undefined) {
      const property = pom.properties.get(u.sharedVariableName);
      if (property?.value === u.currentValue) return splice(text, property, u.newValue);
      if (property?.value === u.newValue) return text; // already written (a retried run, or another user of the property)
      throw new FileChangeError(file, u.depName, `cannot find the property <${u.sharedVariableName}>${u.currentValue}</${u.sharedVariableName}> in <properties> (the file changed since the scan)`);
    }
    const [groupId, artifactId] = u.depName.split(':');
    const parent = u.depType === 'parent' || u.depType === 'parent-root';
    const matching = pom.coordinates.filter((c) => (parent ? c.element === 'parent' : c.element !== 'parent')
      && c.artifactId?.value === artifactId && (c.groupId?.value ?? (c.element === 'plugin' ? 'org.apache.maven.plugins' : undefined)) === groupId);
    const current = matching.find((c) => c.version?.value === u.currentValue);
    if (current !== undefined) return splice(text, current.version!, u.newValue);
    if (matching.some((c) => c.version?.value === u.newValue)) return text;
    throw new FileChangeError(file, u.depName, `cannot find ${parent ? 'the <parent>' : 'a dependency, plugin or extension'} ${u.depName} with <version>${u.currentValue}</version> (the file changed since the scan)`);
  },
};
