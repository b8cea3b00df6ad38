import { failure, json, notFound, route, stringField, validationFailed, type Route } from '../http';
import type { TreeChange } from '../git';
import { commitJson, refJson, timestamp, type FakeRepository } from '../state';
import { findRepo } from './repos';

/** An open PR follows its head branch; deleting the branch closes it (both as on GitHub). */
export async function followBranch(repo: FakeRepository, branch: string, sha: string | null): Promise<void> {
  for (const pull of repo.pulls) {
    if (pull.state !== 'open' || pull.headRef !== branch) continue;
    if (sha) pull.headSha = sha;
    else Object.assign(pull, { state: 'closed', closedAt: timestamp(), updatedAt: timestamp() });
  }
}

const BLOB_MODES = new Set(['100644', '100755', '120000']);

/** The Git Data API (refs, blobs, trees, commits) backed by the repository's real bare git repo. */
export const gitDataRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/git/ref/*ref', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const ref = `refs/${ctx.params.ref}`;
    const sha = await repo.git.resolveRef(ref);
    return sha ? json(200, refJson(repo, ref, sha, ctx.apiUrl)) : notFound();
  }),

  route('GET', '/repos/:owner/:repo/git/matching-refs/*ref', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const refs = await repo.git.listRefs('refs/');
    const prefix = `refs/${ctx.params.ref}`;
    return json(200, refs.filter((r) => r.ref.startsWith(prefix)).map((r) => refJson(repo, r.ref, r.sha, ctx.apiUrl)));
  }),

  route('GET', '/repos/:owner/:repo/git/refs', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    return json(200, (await repo.git.listRefs('refs/')).map((r) => refJson(repo, r.ref, r.sha, ctx.apiUrl)));
  }),

  route('POST', '/repos/:owner/:repo/git/refs', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const ref = stringField(ctx.body, 'ref') ?? '';
    const sha = stringField(ctx.body, 'sha') ?? '';
    if (!/^refs\/[^/]+\/.+/.test(ref)) return failure(422, "Reference name must start with 'refs/' and have at least two slashes.");
    if ((await repo.git.objectType(sha)) !== 'commit') return failure(422, 'Object does not exist');
    if (await repo.git.resolveRef(ref)) return failure(422, 'Reference already exists');
    await repo.git.updateRef(ref, sha);
    if (ref.startsWith('refs/heads/')) await followBranch(repo, ref.slice('refs/heads/'.length), sha);
    return json(201, refJson(repo, ref, sha, ctx.apiUrl), { location: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/git/${ref}` });
  }),

  route('PATCH', '/repos/:owner/:repo/git/refs/*ref', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const ref = `refs/${ctx.params.ref}`;
    const sha = stringField(ctx.body, 'sha') ?? '';
    const current = await repo.git.resolveRef(ref);
    if (!current) return failure(422, 'Reference does not exist');
    if ((await repo.git.objectType(sha)) !== 'commit') return failure(422, 'Object does not exist');
    if (ctx.body.force !== true && !(await repo.git.isAncestor(current, sha))) return failure(422, 'Update is not a fast forward');
    await repo.git.updateRef(ref, sha);
    if (ref.startsWith('refs/heads/')) await followBranch(repo, ref.slice('refs/heads/'.length), sha);
    return json(200, refJson(repo, ref, sha, ctx.apiUrl));
  }),

  route('DELETE', '/repos/:owner/:repo/git/refs/*ref', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const ref = `refs/${ctx.params.ref}`;
    if (!(await repo.git.resolveRef(ref))) return failure(422, 'Reference does not exist');
    await repo.git.deleteRef(ref);
    if (ref.startsWith('refs/heads/')) await followBranch(repo, ref.slice('refs/heads/'.length), null);
    return { status: 204 };
  }),

  route('POST', '/repos/:owner/:repo/git/blobs', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const content = stringField(ctx.body, 'content');
    if (content === undefined) return validationFailed([{ resource: 'Blob', field: 'content', code: 'missing_field' }]);
    const encoding = stringField(ctx.body, 'encoding') ?? 'utf-8';
    const sha = await repo.git.writeBlob(Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
    return json(201, { sha, url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` });
  }),

  route('GET', '/repos/:owner/:repo/git/blobs/:sha', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const sha = ctx.params.sha!;
    if ((await repo.git.objectType(sha)) !== 'blob') return notFound();
    const content = await repo.git.readBlob(sha);
    return json(200, { sha, size: content.length, encoding: 'base64', content: content.toString('base64'), url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` });
  }),

  route('POST', '/repos/:owner/:repo/git/trees', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const baseTree = stringField(ctx.body, 'base_tree') ?? null;
    if (baseTree && (await repo.git.objectType(baseTree)) !== 'tree') return failure(422, 'base_tree is not a valid tree oid');
    const entries = Array.isArray(ctx.body.tree) ? (ctx.body.tree as Array<Record<string, unknown>>) : null;
    if (!entries) return validationFailed([{ resource: 'Tree', field: 'tree', code: 'missing_field' }]);
    const changes: TreeChange[] = [];
    for (const entry of entries) {
      const path = stringField(entry, 'path') ?? '';
      const mode = stringField(entry, 'mode') ?? '100644';
      if (!path || path.startsWith('/') || !BLOB_MODES.has(mode)) return failure(422, `tree.path or tree.mode is invalid for ${JSON.stringify(path)}`);
      if (typeof entry.content === 'string') {
        changes.push({ path, mode, sha: await repo.git.writeBlob(Buffer.from(entry.content, 'utf8')) });
      } else if (entry.sha === null) {
        changes.push({ path, mode, sha: null });
      } else if (typeof entry.sha === 'string' && (await repo.git.objectType(entry.sha)) === 'blob') {
        changes.push({ path, mode, sha: entry.sha });
      } else {
        return failure(422, `tree.sha ${String(entry.sha)} is not a valid blob`);
      }
    }
    const sha = await repo.git.writeTree(baseTree, changes);
    return json(201, await treeJson(repo, sha, ctx.apiUrl, false));
  }),

  route('GET', '/repos/:owner/:repo/git/trees/:sha', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const sha = await repo.git.resolveCommitish(ctx.params.sha!).then((c) => c ?? ctx.params.sha!);
    const type = await repo.git.objectType(sha);
    if (type !== 'tree' && type !== 'commit') return notFound();
    const tree = type === 'commit' ? (await repo.git.readCommit(sha))!.tree : sha;
    return json(200, await treeJson(repo, tree, ctx.apiUrl, ['1', 'true'].includes(ctx.query.get('recursive') ?? '')));
  }),

  route('POST', '/repos/:owner/:repo/git/commits', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const tree = stringField(ctx.body, 'tree') ?? '';
    const message = stringField(ctx.body, 'message');
    const parents = Array.isArray(ctx.body.parents) ? (ctx.body.parents as unknown[]).map(String) : [];
    if (message === undefined) return validationFailed([{ resource: 'Commit', field: 'message', code: 'missing_field' }]);
    if ((await repo.git.objectType(tree)) !== 'tree') return failure(422, 'Tree SHA does not exist');
    for (const parent of parents) {
      if ((await repo.git.objectType(parent)) !== 'commit') return failure(422, 'Parent SHA does not exist or is not a commit object');
    }
    const now = timestamp();
    const person = (value: unknown) => {
      const p = (value ?? {}) as Record<string, unknown>;
      return {
        name: stringField(p, 'name') ?? ctx.state.login,
        email: stringField(p, 'email') ?? `${ctx.state.login}@users.noreply.github.com`,
        date: stringField(p, 'date') ?? now,
      };
    };
    const author = person(ctx.body.author);
    const sha = await repo.git.commitTree({ tree, parents, message, author, committer: ctx.body.committer ? person(ctx.body.committer) : author });
    const commit = (await repo.git.readCommit(sha))!;
    return json(201, commitJson(repo, commit, ctx.apiUrl, ctx.webUrl), { location: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/git/commits/${sha}` });
  }),

  route('GET', '/repos/:owner/:repo/git/commits/:sha', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const commit = await repo.git.readCommit(ctx.params.sha!);
    return commit ? json(200, commitJson(repo, commit, ctx.apiUrl, ctx.webUrl)) : notFound();
  }),
];

async function treeJson(repo: FakeRepository, sha: string, apiUrl: string, recursive: boolean) {
  const base = `${apiUrl}/repos/${repo.owner}/${repo.name}`;
  const entries = await repo.git.listTree(sha, { recursive });
  return {
    sha,
    url: `${base}/git/trees/${sha}`,
    tree: entries.map((e) => ({ ...e, url: `${base}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}` })),
    truncated: false,
  };
}
