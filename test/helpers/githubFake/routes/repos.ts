import { failure, json, notFound, route, type Route, type RouteContext } from '../http';
import { commitJson, repoJson, repoKey, type FakeRepository } from '../state';

export function findRepo(ctx: RouteContext): FakeRepository | undefined {
  return ctx.state.repos.get(repoKey(ctx.params.owner ?? '', ctx.params.repo ?? ''));
}

/** GET /repos/:owner/:repo, branches and file contents. */
export const repoRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo', async (ctx) => {
    const repo = findRepo(ctx);
    return repo ? json(200, repoJson(repo, ctx.apiUrl, ctx.webUrl)) : notFound();
  }),

  // Registered before the branch route, whose *branch would swallow "/protection/…".
  route('GET', '/repos/:owner/:repo/branches/*branch/protection/required_status_checks', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const required = repo.requiredChecks.get(ctx.params.branch!);
    if (!required) return failure(404, 'Branch not protected');
    const base = `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/branches/${ctx.params.branch}/protection/required_status_checks`;
    return json(200, { url: base, strict: false, contexts: required, contexts_url: `${base}/contexts`, checks: required.map((context) => ({ context, app_id: null })) });
  }),

  route('GET', '/repos/:owner/:repo/branches/*branch', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const branch = ctx.params.branch!;
    const sha = await repo.git.resolveRef(`refs/heads/${branch}`);
    if (!sha) return failure(404, 'Branch not found');
    const commit = (await repo.git.readCommit(sha))!;
    const base = `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}`;
    return json(200, {
      name: branch,
      commit: { sha, node_id: `C_${sha}`, url: `${base}/commits/${sha}`, commit: commitJson(repo, commit, ctx.apiUrl, ctx.webUrl) },
      _links: { self: `${base}/branches/${branch}`, html: `${ctx.webUrl}/${repo.owner}/${repo.name}/tree/${branch}` },
      protected: false,
    });
  }),

  route('GET', '/repos/:owner/:repo/contents/*path', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const path = ctx.params.path!.replace(/\/+$/, '');
    const at = await repo.git.resolveCommitish(ctx.query.get('ref') ?? repo.defaultBranch);
    if (!at) return failure(404, `No commit found for the ref ${ctx.query.get('ref') ?? repo.defaultBranch}`);
    const base = `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}`;
    const [entry] = await repo.git.listTree(at, { path });
    if (!entry || entry.path !== path) return notFound();
    const describe = (e: { path: string; sha: string; type: string; size?: number }) => ({
      name: e.path.split('/').pop(),
      path: e.path,
      sha: e.sha,
      size: e.size ?? 0,
      type: e.type === 'tree' ? 'dir' : 'file',
      url: `${base}/contents/${e.path}?ref=${ctx.query.get('ref') ?? repo.defaultBranch}`,
      git_url: `${base}/git/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
      html_url: `${ctx.webUrl}/${repo.owner}/${repo.name}/blob/${at}/${e.path}`,
      download_url: null,
    });
    if (entry.type === 'tree') {
      const children = await repo.git.listTree(`${at}:${path}`);
      return json(200, children.map((c) => describe({ ...c, path: `${path}/${c.path}` })));
    }
    const content = (await repo.git.readFile(at, path))!;
    // GitHub wraps the base64 at 60 characters.
    const encoded = content.toString('base64').replace(/.{60}/g, '$&\n');
    return json(200, { ...describe(entry), content: encoded, encoding: 'base64' });
  }),
];
