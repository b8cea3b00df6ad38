import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { formatPath, PolicyError, type PolicyProblem } from './errors';

/**
 * Parses one YAML (or JSON) document and validates it against `schema`. Every problem is
 * reported with the file, its path inside the document, the line and column, and what was
 * expected; the first problem does not hide the others.
 */
export function parsePolicyText<S extends z.ZodType>(text: string, file: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', line: pos.line, column: pos.col, message: `not valid YAML: ${firstLine(e.message)}` };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    throw new PolicyError(file, [aliasProblem(doc, lineCounter, err)]);
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new PolicyError(file, result.error.issues.flatMap((issue) => toProblems(issue, doc, lineCounter)));
}

/** How many nodes aliases may expand to: a "billion laughs" document is refused, not expanded. */
const MAX_ALIAS_COUNT = 100;

/**
 * The yaml library refuses an alias bomb or an alias without its anchor with a ReferenceError:
 * the problem points at the deepest node that fails on its own (the alias, or the value that
 * expands too much), so the user sees where.
 */
function aliasProblem(doc: Document, lines: LineCounter, err: ReferenceError): PolicyProblem {
  const fails = (node: unknown) => {
    try {
      (node as Node).toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
      return false;
    } catch {
      return true;
    }
  };
  const path: PropertyKey[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    const children: Array<[PropertyKey, unknown]> = isMap(node)
      ? node.items.map((pair) => [isScalar(pair.key) ? String(pair.key.value) : String(pair.key), pair.value])
      : isSeq(node) ? node.items.map((item, index) => [index, item]) : [];
    const failing = children.find(([, child]) => isNode(child) && fails(child));
    if (!failing) break;
    path.push(failing[0]);
    node = failing[1];
  }
  const offset = isNode(node) ? node.range?.[0] : undefined;
  const pos = offset !== undefined ? lines.linePos(offset) : undefined;
  const message = /Excessive alias count/.test(err.message)
    ? `YAML aliases here expand to more than ${MAX_ALIAS_COUNT} copies (an alias bomb?): write the values out instead`
    : `not valid YAML: ${firstLine(err.message)}`;
  return { path: formatPath(path), ...(pos ? { line: pos.line, column: pos.col } : {}), message };
}

function toProblems(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter): PolicyProblem[] {
  const at = (path: PropertyKey[], keyOnly = false) => {
    const offset = nodeOffset(doc, path, keyOnly);
    if (offset === undefined) return {};
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const path = issue.path as PropertyKey[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...path, key]),
      ...at([...path, key], true),
      message: `unknown key "${key}" (check its spelling and indentation)`,
    }));
  }
  return [{ path: formatPath(path), ...at(path), message: describeIssue(issue) }];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const missing = /received undefined$/.test(issue.message);
    return missing ? `is required (expected ${issue.expected})` : issue.message.replace(/^Invalid input: /, '');
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/** The source offset of the node at `path` (or of its key), or of its nearest existing parent. */
function nodeOffset(doc: Document, path: PropertyKey[], keyOnly: boolean): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    if (keyOnly || depth < path.length) {
      // The parent exists but the key may not: point at the key if it is there, else at the parent.
      const parent = sub.length === 0 ? doc.contents : (doc.getIn(sub.slice(0, -1) as unknown[], true) as Node | undefined);
      const key = sub[sub.length - 1];
      if (sub.length > 0 && isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
      }
    }
    const node = sub.length === 0 ? doc.contents : (doc.getIn(sub as unknown[], true) as Node | undefined);
    if (node && typeof node === 'object' && 'range' in node && node.range) return node.range[0];
  }
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
