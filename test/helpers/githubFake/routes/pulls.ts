import { failure, json, notFound, paginate, route, stringField, validationFailed, type Route, type RouteContext } from '../http';
import { labelJson, pullJson, timestamp, type FakePull, type FakeRepository } from '../state';
import { followBranch } from './gitData';
import { findRepo } from './repos';

function findPull(ctx: RouteContext): { repo: FakeRepository; pull: FakePull } | undefined {
  const repo = findRepo(ctx);
  const pull = repo?.pulls.find((p) => p.number === Number(ctx.params.number));
  return repo && pull ? { repo, pull } : undefined;
}

/** `owner:branch` or `branch` → the branch, when it names this repository's owner. */
function headBranch(repo: FakeRepository, head: string): string | null {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === repo.owner.toLowerCase() ? head.slice(colon + 1) : null;
}

function sortPulls(pulls: FakePull[], sort: string, direction: string | null): FakePull[] {
  const key = (p: FakePull) => (sort === 'updated' ? p.updatedAt : p.createdAt);
  // GitHub: desc by default for `created`, asc otherwise. Equal timestamps fall back to the number.
  const desc = (direction ?? (sort === 'created' ? 'desc' : 'asc')) === 'desc';
  const sign = desc ? -1 : 1;
  return [...pulls].sort((a, b) => sign * (key(a).localeCompare(key(b)) || a.number - b.number));
}

async function squashMessage(repo: FakeRepository, baseSha: string, headSha: string): Promise<string> {
  const subjects = await repo.git.git(['log', '--format=%s', `${baseSha}..${headSha}`]);
  return subjects.split('\n').filter(Boolean).reverse().map((s) => `* ${s}`).join('\n');
}

/** Pull requests: list/get/create/update/merge, labels (through the issues API) and review requests. */
export const pullRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/pulls', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const state = ctx.query.get('state') ?? 'open';
    const head = ctx.query.get('head');
    const base = ctx.query.get('base');
    const matching = repo.pulls.filter((p) => {
      if (state !== 'all' && p.state !== state) return false;
      if (base && p.baseRef !== base) return false;
      if (head) {
        const [owner, branch] = head.includes(':') ? head.split(/:(.*)/s) : [head, undefined];
        if (owner!.toLowerCase() !== repo.owner.toLowerCase() || (branch !== undefined && p.headRef !== branch)) return false;
      }
      return true;
    });
    const page = paginate(ctx, sortPulls(matching, ctx.query.get('sort') ?? 'created', ctx.query.get('direction')));
    return json(200, await Promise.all(page.items.map((p) => pullJson(repo, p, ctx.apiUrl, ctx.webUrl))), page.headers);
  }),

  route('GET', '/repos/:owner/:repo/pulls/:number', async (ctx) => {
    const found = findPull(ctx);
    return found ? json(200, await pullJson(found.repo, found.pull, ctx.apiUrl, ctx.webUrl)) : notFound();
  }),

  route('POST', '/repos/:owner/:repo/pulls', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const title = stringField(ctx.body, 'title');
    const head = headBranch(repo, stringField(ctx.body, 'head') ?? '');
    const base = stringField(ctx.body, 'base') ?? '';
    if (!title) return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const headSha = head ? await repo.git.resolveRef(`refs/heads/${head}`) : null;
    if (!head || !headSha) return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const baseSha = await repo.git.resolveRef(`refs/heads/${base}`);
    if (!baseSha) return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    if (repo.pulls.some((p) => p.state === 'open' && p.headRef === head && p.baseRef === base)) {
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${repo.owner}:${head}.` }]);
    }
    if (await repo.git.isAncestor(headSha, baseSha)) {
      return validationFailed([{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` }]);
    }
    const now = timestamp();
    const pull: FakePull = {
      number: repo.nextNumber++,
      id: ctx.state.nextId(),
      title,
      body: stringField(ctx.body, 'body') ?? '',
      state: 'open',
      merged: false,
      draft: ctx.body.draft === true,
      headRef: head,
      headSha,
      baseRef: base,
      labels: [],
      requestedReviewers: [],
      user: ctx.state.login,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
    };
    repo.pulls.push(pull);
    const body = await pullJson(repo, pull, ctx.apiUrl, ctx.webUrl);
    return json(201, body, { location: body.url });
  }),

  route('PATCH', '/repos/:owner/:repo/pulls/:number', async (ctx) => {
    const found = findPull(ctx);
    if (!found) return notFound();
    const { repo, pull } = found;
    const state = stringField(ctx.body, 'state');
    if (state && state !== 'open' && state !== 'closed') return validationFailed([{ resource: 'PullRequest', field: 'state', code: 'invalid' }]);
    if (state === 'open' && pull.state === 'closed') {
      const headSha = await repo.git.resolveRef(`refs/heads/${pull.headRef}`);
      if (pull.merged || !headSha) return failure(422, 'state cannot be changed. The pull request cannot be reopened.');
      Object.assign(pull, { state: 'open', closedAt: null, headSha });
    } else if (state === 'closed' && pull.state === 'open') {
      Object.assign(pull, { state: 'closed', closedAt: timestamp() });
    }
    const title = stringField(ctx.body, 'title');
    const body = stringField(ctx.body, 'body');
    const base = stringField(ctx.body, 'base');
    if (base && !(await repo.git.resolveRef(`refs/heads/${base}`))) return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    Object.assign(pull, { ...(title !== undefined ? { title } : {}), ...(body !== undefined ? { body } : {}), ...(base ? { baseRef: base } : {}), updatedAt: timestamp() });
    return json(200, await pullJson(repo, pull, ctx.apiUrl, ctx.webUrl));
  }),

  route('GET', '/repos/:owner/:repo/pulls/:number/merge', async (ctx) => {
    const found = findPull(ctx);
    return found?.pull.merged ? { status: 204 } : notFound();
  }),

  route('PUT', '/repos/:owner/:repo/pulls/:number/merge', async (ctx) => {
    const found = findPull(ctx);
    if (!found) return notFound();
    const { repo, pull } = found;
    if (pull.state !== 'open') return failure(405, 'Pull Request is not mergeable');
    const expected = stringField(ctx.body, 'sha');
    if (expected && expected !== pull.headSha) return failure(409, 'Head branch was modified. Review and try the merge again.');
    const baseSha = await repo.git.resolveRef(`refs/heads/${pull.baseRef}`);
    // The fake's conflict rule: mergeable only when the PR's head already contains the base's head.
    if (!baseSha || !(await repo.git.isAncestor(baseSha, pull.headSha))) return failure(405, 'Pull Request is not mergeable');
    const method = stringField(ctx.body, 'merge_method') ?? 'merge';
    if (!['merge', 'squash', 'rebase'].includes(method)) return validationFailed([{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }]);
    const head = (await repo.git.readCommit(pull.headSha))!;
    const now = timestamp();
    const person = { name: ctx.state.login, email: `${ctx.state.login}@users.noreply.github.com`, date: now };
    const title = stringField(ctx.body, 'commit_title') ?? (method === 'merge' ? `Merge pull request #${pull.number} from ${repo.owner}/${pull.headRef}` : `${pull.title} (#${pull.number})`);
    const message = stringField(ctx.body, 'commit_message') ?? (method === 'merge' ? pull.title : await squashMessage(repo, baseSha, pull.headSha));
    // squash and rebase both land the head's tree as one new commit on the base (rebase is simplified).
    const sha = await repo.git.commitTree({
      tree: head.tree,
      parents: method === 'merge' ? [baseSha, pull.headSha] : [baseSha],
      message: message ? `${title}\n\n${message}\n` : `${title}\n`,
      author: method === 'merge' ? person : head.author,
      committer: person,
    });
    await repo.git.updateRef(`refs/heads/${pull.baseRef}`, sha);
    Object.assign(pull, { state: 'closed', merged: true, mergedAt: now, closedAt: now, updatedAt: now, mergeCommitSha: sha });
    await followBranch(repo, pull.baseRef, sha);
    return json(200, { sha, merged: true, message: 'Pull Request successfully merged' });
  }),

  route('POST', '/repos/:owner/:repo/issues/:number/labels', async (ctx) => {
    const found = findPull(ctx);
    if (!found) return notFound();
    const raw = Array.isArray(ctx.body) ? (ctx.body as unknown[]) : Array.isArray(ctx.body.labels) ? (ctx.body.labels as unknown[]) : null;
    if (!raw) return validationFailed([{ resource: 'Label', field: 'labels', code: 'missing_field' }]);
    const names = raw.map((l) => (typeof l === 'string' ? l : String((l as { name?: unknown }).name ?? '')));
    for (const name of names) if (name && !found.pull.labels.includes(name)) found.pull.labels.push(name);
    return json(200, found.pull.labels.map((name) => labelJson(name, ctx.apiUrl, found.repo)));
  }),

  route('GET', '/repos/:owner/:repo/issues/:number/labels', async (ctx) => {
    const found = findPull(ctx);
    return found ? json(200, found.pull.labels.map((name) => labelJson(name, ctx.apiUrl, found.repo))) : notFound();
  }),

  route('POST', '/repos/:owner/:repo/pulls/:number/requested_reviewers', async (ctx) => {
    const found = findPull(ctx);
    if (!found) return notFound();
    const { repo, pull } = found;
    const reviewers = Array.isArray(ctx.body.reviewers) ? (ctx.body.reviewers as unknown[]).map(String) : [];
    if (reviewers.includes(pull.user)) return failure(422, 'Review cannot be requested from pull request author.');
    if (reviewers.some((r) => !repo.collaborators.has(r.toLowerCase()))) {
      return failure(422, `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.owner}/${repo.name} repository.`);
    }
    for (const r of reviewers) if (!pull.requestedReviewers.includes(r)) pull.requestedReviewers.push(r);
    return json(201, await pullJson(repo, pull, ctx.apiUrl, ctx.webUrl));
  }),
];
