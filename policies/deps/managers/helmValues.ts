import { isMap, isScalar, parseAllDocuments, type Node, type Scalar } from 'yaml';
import { autoReplace } from './autoReplace';
import { FileChangeError, shortName, type DependencyManager, type UpdateDependencyConfig } from './manager';

/**
 * Helm charts' values files. An inline `image: name:tag` is rewritten like a Dockerfile's; the usual
 * structured form (`image: {registry, repository, tag}`, Renovate's "Docker heuristic") is located in
 * the YAML itself: Renovate reports only the tag text, which may stand anywhere else in the file too,
 * so the `tag` (or `version`) scalar next to the matching `repository` is rewritten, in its own
 * quoting, and nothing else.
 */
export const helmValuesManager: DependencyManager = {
  prTitle: (u, to) => `Update ${shortName(u.depName)} Docker tag to ${to}`,
  updateDependency: (config) => (config.upgrade.replaceString !== undefined && config.upgrade.replaceString.includes(config.upgrade.depName) ? autoReplace(':', config) : structured(config)),
};

function structured({ packageFile: file, fileContent: text, upgrade: u }: UpdateDependencyConfig): string {
  const was = `${u.currentValue}${u.currentDigest ? `@${u.currentDigest}` : ''}`;
  const digest = u.newDigest ?? u.currentDigest;
  const now = `${u.newValue}${digest ? `@${digest}` : ''}`;
  const found = { was: [] as Scalar[], now: [] as Scalar[] };
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length > 0) throw new FileChangeError(file, u.depName, `not valid YAML: ${doc.errors[0]!.message}`);
    visit(doc.contents, (node) => {
      if (!isMap(node)) return;
      const repository = node.get('repository', true);
      if (!isScalar(repository)) return;
      const registry = node.get('registry');
      if (`${typeof registry === 'string' && registry !== '' ? `${registry}/` : ''}${String(repository.value)}` !== u.depName) return;
      const tag = node.get('tag', true) ?? node.get('version', true);
      if (!isScalar(tag)) return;
      if (String(tag.value) === was) found.was.push(tag);
      else if (String(tag.value) === now) found.now.push(tag);
    });
  }
  if (found.was.length === 0) {
    if (found.now.length > 0) return text; // already written (a retried run)
    throw new FileChangeError(file, u.depName, `cannot find a "repository: ${u.depName}" with "tag: ${was}" (the file changed since the scan)`);
  }
  let out = text;
  // From the end, so earlier offsets stay valid; the scalar's own source text keeps its quotes.
  for (const tag of found.was.sort((a, b) => b.range![0] - a.range![0])) {
    const [start, end] = tag.range!;
    const source = out.slice(start, end);
    const quote = /^(['"]).*\1$/s.test(source) ? source[0]! : '';
    // `tag: 1.10` is the number 1.1 to YAML (and to Renovate): writing it would change more than the version.
    if (source.slice(quote.length, source.length - quote.length) !== was) throw new FileChangeError(file, u.depName, `the tag is written as ${source}, which YAML reads as ${was}; quote it ("${source}") so it stays a version`);
    out = out.slice(0, start) + quote + now + quote + out.slice(end);
  }
  return out;
}

function visit(node: unknown, fn: (node: Node) => void): void {
  if (node === null || typeof node !== 'object') return;
  fn(node as Node);
  const items = (node as { items?: unknown[] }).items;
  if (Array.isArray(items)) for (const item of items) {
    if (item && typeof item === 'object' && 'value' in item && 'key' in item) visit((item as { value: unknown }).value, fn);
    else visit(item, fn);
  }
}
