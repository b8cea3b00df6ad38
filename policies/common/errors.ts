/** One thing wrong in a user's file: where (file, path inside it, line/column) and what was expected. */
export interface PolicyProblem {
  /** The path inside the document, like `hosts[1].hostKey`; empty for the document itself. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/**
 * A user's file (inventory, policy, organisation) is invalid. Nothing was applied: callers
 * validate every file before acting on any of them.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: PolicyProblem[],
  ) {
    super(formatProblems(file, problems));
  }
}

export function formatProblems(file: string, problems: PolicyProblem[]): string {
  const lines = problems.map((p) => {
    const where = p.line !== undefined ? `${file}:${p.line}:${p.column ?? 1}` : file;
    return `  ${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
  });
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `${file} is invalid (${count}):\n${lines.join('\n')}`;
}

/** Renders a path as users read it: `hosts[1].tags.role`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$-]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}
