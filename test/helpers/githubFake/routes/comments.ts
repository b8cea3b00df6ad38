import { json, notFound, paginate, route, stringField, validationFailed, type Route } from '../http';
import { timestamp, userJson, type FakeComment, type FakeRepository } from '../state';
import { findRepo } from './repos';

function commentJson(repo: FakeRepository, number: number, c: FakeComment, apiUrl: string, webUrl: string) {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: c.id, node_id: `IC_${c.id}`, url: `${apiUrl}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${webUrl}/${full}/pull/${number}#issuecomment-${c.id}`, issue_url: `${apiUrl}/repos/${full}/issues/${number}`,
    body: c.body, user: userJson(c.user, apiUrl, webUrl), created_at: c.createdAt, updated_at: c.createdAt, author_association: 'MEMBER',
  };
}

/** A PR's conversation through the issues API (PRs are issues on GitHub): list and create comments. */
export const commentRoutes: Route[] = [
  route('GET', '/repos/:owner/:repo/issues/:number/comments', async (ctx) => {
    const repo = findRepo(ctx);
    const number = Number(ctx.params.number);
    if (!repo || !repo.pulls.some((p) => p.number === number)) return notFound();
    const page = paginate(ctx, repo.comments.get(number) ?? []);
    return json(200, page.items.map((c) => commentJson(repo, number, c, ctx.apiUrl, ctx.webUrl)), page.headers);
  }),

  route('POST', '/repos/:owner/:repo/issues/:number/comments', async (ctx) => {
    const repo = findRepo(ctx);
    const number = Number(ctx.params.number);
    if (!repo || !repo.pulls.some((p) => p.number === number)) return notFound();
    const body = stringField(ctx.body, 'body');
    if (!body) return validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    const comment: FakeComment = { id: ctx.state.nextId(), body, user: ctx.state.login, createdAt: timestamp() };
    repo.comments.set(number, [...(repo.comments.get(number) ?? []), comment]);
    const answer = commentJson(repo, number, comment, ctx.apiUrl, ctx.webUrl);
    return json(201, answer, { location: answer.url });
  }),
];
