import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Git never reads the machine's or the user's configuration here: results do not depend on the host. */
export const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

export interface GitPerson {
  name: string;
  email: string;
  /** ISO 8601. */
  date: string;
}

export interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
}

export interface GitTreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  size?: number;
  path: string;
}

/** A tree change: `sha: null` removes the path. */
export interface TreeChange {
  path: string;
  mode: string;
  sha: string | null;
}

export class GitCommandError extends Error {
  constructor(readonly args: string[], readonly code: number | null, readonly stderr: string) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

export function runGit(cwd: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: { ...process.env, ...GIT_ENV, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new GitCommandError(args, code, stderr))));
    child.stdin.on('error', () => undefined); // git may exit before reading all of stdin
    child.stdin.end(options.input ?? '');
  });
}

const SHA = /^[0-9a-f]{40}$/;

/** Git's "<name> <email> <epoch> <tz>" as GitHub shows it. */
function parsePerson(line: string): GitPerson {
  const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: '', date: new Date(0).toISOString() };
  return { name: m[1]!, email: m[2]!, date: new Date(Number(m[3]) * 1000).toISOString().replace('.000Z', 'Z') };
}

/** One bare repository on disk; every object and ref the fake shows lives here (real SHAs). */
export class BareRepository {
  private constructor(readonly dir: string) {}

  static async init(dir: string, defaultBranch: string): Promise<BareRepository> {
    await runGit(tmpdir(), ['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, dir]);
    return new BareRepository(dir);
  }

  async git(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<string> {
    return (await runGit(this.dir, args, options)).toString('utf8');
  }

  async writeBlob(content: Buffer): Promise<string> {
    return (await this.git(['hash-object', '-w', '--stdin'], { input: content })).trim();
  }

  /** 'blob' | 'tree' | 'commit' | 'tag', or null when the object does not exist. */
  async objectType(sha: string): Promise<string | null> {
    if (!SHA.test(sha)) return null;
    try {
      return (await this.git(['cat-file', '-t', sha])).trim();
    } catch {
      return null;
    }
  }

  /** `base` (a tree, or null for an empty one) with `changes` applied, through a throwaway index file. */
  async writeTree(base: string | null, changes: TreeChange[]): Promise<string> {
    const scratch = mkdtempSync(join(tmpdir(), 'fake-gh-index-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      await this.git(base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
      // --index-info: "<mode> <sha>\t<path>"; mode 0 with a zero SHA removes the path (no work tree needed).
      const lines = changes.map((c) => (c.sha ? `${c.mode} ${c.sha}\t${c.path}` : `0 ${'0'.repeat(40)}\t${c.path}`));
      if (lines.length) await this.git(['update-index', '--index-info'], { env, input: lines.join('\n') + '\n' });
      return (await this.git(['write-tree'], { env })).trim();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async listTree(treeish: string, options: { recursive?: boolean; path?: string } = {}): Promise<GitTreeEntry[]> {
    const args = ['ls-tree', '-z', '-l', ...(options.recursive ? ['-r'] : []), treeish, ...(options.path ? ['--', options.path] : [])];
    const out = await this.git(args);
    return out.split('\0').filter(Boolean).map((record) => {
      const [meta, path] = record.split('\t') as [string, string];
      const [mode, type, sha, size] = meta.split(/\s+/) as [string, GitTreeEntry['type'], string, string];
      return { mode, type, sha, path, ...(size !== '-' ? { size: Number(size) } : {}) };
    });
  }

  async commitTree(input: { tree: string; parents: string[]; message: string; author: GitPerson; committer: GitPerson }): Promise<string> {
    const env = {
      GIT_AUTHOR_NAME: input.author.name,
      GIT_AUTHOR_EMAIL: input.author.email,
      GIT_AUTHOR_DATE: input.author.date,
      GIT_COMMITTER_NAME: input.committer.name,
      GIT_COMMITTER_EMAIL: input.committer.email,
      GIT_COMMITTER_DATE: input.committer.date,
    };
    const args = ['commit-tree', input.tree, ...input.parents.flatMap((p) => ['-p', p])];
    return (await this.git(args, { env, input: input.message })).trim();
  }

  async readCommit(sha: string): Promise<GitCommit | null> {
    if ((await this.objectType(sha)) !== 'commit') return null;
    const raw = await this.git(['cat-file', 'commit', sha]);
    const split = raw.indexOf('\n\n');
    const headers = (split < 0 ? raw : raw.slice(0, split)).split('\n');
    const message = split < 0 ? '' : raw.slice(split + 2);
    const field = (name: string) => headers.filter((h) => h.startsWith(`${name} `)).map((h) => h.slice(name.length + 1));
    return {
      sha,
      tree: field('tree')[0] ?? '',
      parents: field('parent'),
      author: parsePerson(field('author')[0] ?? ''),
      committer: parsePerson(field('committer')[0] ?? ''),
      message,
    };
  }

  /** The SHA a full ref name (refs/heads/x) points at, or null. */
  async resolveRef(ref: string): Promise<string | null> {
    try {
      return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || null;
    } catch {
      return null;
    }
  }

  /** A branch name, tag name or SHA as GitHub's `:ref` path parameters accept it. */
  async resolveCommitish(refOrSha: string): Promise<string | null> {
    for (const candidate of [`refs/heads/${refOrSha}`, `refs/tags/${refOrSha}`, refOrSha]) {
      const sha = await this.resolveRef(candidate);
      if (sha) return sha;
    }
    return null;
  }

  async updateRef(ref: string, sha: string): Promise<void> {
    await this.git(['update-ref', ref, sha]);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.git(['update-ref', '-d', ref]);
  }

  async listRefs(prefix: string): Promise<Array<{ ref: string; sha: string }>> {
    const out = await this.git(['for-each-ref', '--format=%(refname) %(objectname)', prefix]);
    return out.split('\n').filter(Boolean).map((line) => {
      const [ref, sha] = line.split(' ') as [string, string];
      return { ref, sha };
    });
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.git(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (err) {
      if (err instanceof GitCommandError && err.code === 1) return false;
      throw err;
    }
  }

  /** A file's bytes at a commit, or null when the path is not a file there. */
  async readFile(commit: string, path: string): Promise<Buffer | null> {
    const [entry] = await this.listTree(commit, { path });
    if (!entry || entry.type !== 'blob' || entry.path !== path) return null;
    return this.readBlob(entry.sha);
  }

  readBlob(sha: string): Promise<Buffer> {
    return runGit(this.dir, ['cat-file', 'blob', sha]);
  }
}
