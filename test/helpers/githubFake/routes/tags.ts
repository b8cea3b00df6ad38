/*
 * Tags, for Renovate's `github-tags` datasource (the `github-actions` manager looks up
 * `uses: owner/repo@vX` through it). Renovate 44.121.2 asks:
 *   - POST <api>/graphql with `repository(owner, name) { isRepoPrivate: isPrivate  payload: refs(first: $count,
 *     after: $cursor, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}, refPrefix: "refs/tags/") {…} }` for the
 *     tags, and the same with `payload: releases(…)` for release dates/prerelease flags (answered empty here);
 *   - GET <api>/repos/:owner/:repo/commits?per_page=1 for the newest commit (digest without a tag).
 * A registryUrl `http://127.0.0.1:PORT/` makes Renovate use REST at `http://127.0.0.1:PORT/api/v3/` and GraphQL at
 * `http://127.0.0.1:PORT/api/graphql` (its GHE layout); the fake serves both (and the github.com layout at `/`).
 *
 * Working Renovate config (RENOVATE_CONFIG_FILE=/abs/config.json; checked with Renovate 44.121.2:
 * `renovate --platform=local --dry-run=lookup --onboarding=false --report-type=file --report-path=/abs/report.json`
 * in a git checkout whose .github/workflows/ci.yml uses actions/checkout@v4 and @v4.0.0, after
 * `fake.setTags('actions', 'checkout', [{ name: 'v4.0.0', date }, { name: 'v4.2.2', date }, { name: 'v5.0.0', date }])`:
 * the report listed v4 → v5.0.0 (major) and v4.0.0 → v4.2.2 (minor) and v5.0.0 (major), with releaseTimestamps):
 *
 *   {
 *     "enabledManagers": ["github-actions"],
 *     "internalHostAccess": "allow",
 *     "githubTokenWarn": false,
 *     "fetchChangeLogs": "off",
 *     "cacheDir": "<fresh temp dir>",
 *     "baseDir": "<fresh temp dir>",
 *     "packageRules": [{ "matchDatasources": ["github-tags"], "registryUrls": ["http://127.0.0.1:PORT/"] }],
 *     "hostRules": [{ "matchHost": "127.0.0.1", "token": "<the fake's token>" }]
 *   }
 *
 * - `githubTokenWarn: false` is required: without a token for https://api.github.com Renovate skips every
 *   github-tags dep with skipReason "github-token-required" before any lookup (lib/util/check-token.ts).
 * - `internalHostAccess` exists in 44.121.2 (default "warn"); "allow" silences the loopback warnings.
 * - The hostRules token reaches the fake as `Authorization: token …`; matchHost must be the IP (not localhost).
 * - `registryUrls: ["http://127.0.0.1:PORT/api/v3/"]` works too (same endpoints), but the report's sourceUrl is odd.
 * - The tags are public (isRepoPrivate: false), so Renovate caches them in cacheDir for 30 minutes: use a fresh
 *   cacheDir per test, or a changed tag list is not seen.
 */
import { json, notFound, paginate, route, stringField, type Route, type RouteContext } from '../http';
import { commitJson, repoKey, timestamp, type FakeRelease, type FakeRepository, type FakeState } from '../state';
import { findRepo } from './repos';

export interface TagSpec {
  name: string;
  /** The tagged commit; by default a new empty-change commit "Release <name>" on the default branch. */
  sha?: string;
  /** Release date (ISO); defaults to the tagged commit's date. */
  date?: string;
}

/** Replaces the repository's tags with `tags` (lightweight tags, real refs in the bare repo). */
export async function applyTags(state: FakeState, repo: FakeRepository, tags: TagSpec[]): Promise<void> {
  for (const { ref } of await repo.git.listRefs('refs/tags/')) await repo.git.deleteRef(ref);
  repo.tagDates.clear();
  for (const tag of tags) {
    let sha = tag.sha;
    if (!sha) {
      const branch = `refs/heads/${repo.defaultBranch}`;
      const parent = (await repo.git.resolveRef(branch))!;
      const tree = (await repo.git.readCommit(parent))!.tree;
      const person = { name: state.login, email: `${state.login}@users.noreply.github.com`, date: tag.date ?? timestamp() };
      sha = await repo.git.commitTree({ tree, parents: [parent], message: `Release ${tag.name}\n`, author: person, committer: person });
      await repo.git.updateRef(branch, sha);
    }
    await repo.git.updateRef(`refs/tags/${tag.name}`, sha);
    if (tag.date) repo.tagDates.set(tag.name, tag.date);
  }
}

async function tagNodes(repo: FakeRepository) {
  const nodes = [];
  for (const { ref, sha } of await repo.git.listRefs('refs/tags/')) {
    const name = ref.slice('refs/tags/'.length);
    const date = repo.tagDates.get(name) ?? (await repo.git.readCommit(sha))!.committer.date;
    nodes.push({ version: name, target: { type: 'Commit', oid: sha, releaseTimestamp: date } });
  }
  return nodes.sort((a, b) => b.target.releaseTimestamp.localeCompare(a.target.releaseTimestamp));
}

/** The subset of GitHub GraphQL that Renovate's tag and release lookups use (matched by shape, not parsed). */
async function answerGraphql(ctx: RouteContext) {
  const query = stringField(ctx.body, 'query') ?? '';
  const variables = (ctx.body.variables ?? {}) as Record<string, unknown>;
  const owner = String(variables.owner ?? '');
  const name = String(variables.name ?? '');
  const repo = ctx.state.repos.get(repoKey(owner, name));
  if (!repo) {
    return json(200, { data: { repository: null }, errors: [{ type: 'NOT_FOUND', path: ['repository'], locations: [{ line: 3, column: 7 }], message: `Could not resolve to a Repository with the name '${owner}/${name}'.` }] });
  }
  let items: unknown[];
  if (/refs\s*\(/.test(query) && query.includes('refs/tags/')) items = await tagNodes(repo);
  else if (/releases\s*\(/.test(query)) items = [];
  else return json(200, { errors: [{ message: 'The GitHub fake does not answer this GraphQL query.' }] });
  const count = Number(variables.count ?? 100) || 100;
  const offset = typeof variables.cursor === 'string' ? Number(Buffer.from(variables.cursor, 'base64').toString()) || 0 : 0;
  const page = items.slice(offset, offset + count);
  const hasNextPage = offset + count < items.length;
  return json(200, {
    data: {
      repository: {
        isRepoPrivate: false,
        payload: { pageInfo: { hasNextPage, endCursor: hasNextPage ? Buffer.from(String(offset + count)).toString('base64') : null }, nodes: page },
      },
    },
  });
}

function releaseJson(ctx: RouteContext, repo: FakeRepository, r: FakeRelease) {
  return {
    id: r.id, tag_name: r.tag, name: r.name, body: r.body, draft: false, prerelease: false, created_at: r.createdAt, published_at: r.createdAt,
    html_url: `${ctx.webUrl}/${repo.owner}/${repo.name}/releases/tag/${encodeURIComponent(r.tag)}`,
    url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/releases/${r.id}`,
  };
}

export const tagRoutes: Route[] = [
  route('POST', '/graphql', answerGraphql),

  route('GET', '/repos/:owner/:repo/tags', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const nodes = await tagNodes(repo);
    const page = paginate(ctx, nodes);
    const base = `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}`;
    return json(200, page.items.map((n) => ({
      name: n.version,
      commit: { sha: n.target.oid, url: `${base}/commits/${n.target.oid}` },
      zipball_url: `${base}/zipball/refs/tags/${n.version}`,
      tarball_url: `${base}/tarball/refs/tags/${n.version}`,
      node_id: `REF_tags_${n.version}`,
    })), page.headers);
  }),

  route('GET', '/repos/:owner/:repo/releases', async (ctx) => {
    const repo = findRepo(ctx);
    return repo ? json(200, paginate(ctx, [...repo.releases.values()].reverse().map((r) => releaseJson(ctx, repo, r))).items) : notFound();
  }),

  route('GET', '/repos/:owner/:repo/releases/tags/:tag', async (ctx) => {
    const repo = findRepo(ctx);
    const release = repo?.releases.get(decodeURIComponent(ctx.params.tag ?? ''));
    return repo && release ? json(200, releaseJson(ctx, repo, release)) : notFound();
  }),

  route('GET', '/repos/:owner/:repo/commits', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const start = await repo.git.resolveCommitish(ctx.query.get('sha') ?? repo.defaultBranch);
    if (!start) return notFound();
    const shas = (await repo.git.git(['rev-list', '--max-count=1000', start])).split('\n').filter(Boolean);
    const page = paginate(ctx, shas);
    const commits = [];
    for (const sha of page.items) {
      const commit = (await repo.git.readCommit(sha))!;
      const git = commitJson(repo, commit, ctx.apiUrl, ctx.webUrl);
      commits.push({ sha, node_id: git.node_id, commit: git, url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}`, html_url: git.html_url, parents: git.parents });
    }
    return json(200, commits, page.headers);
  }),
];
