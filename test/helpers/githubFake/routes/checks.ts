import { failure, json, notFound, paginate, route, stringField, validationFailed, type Route } from '../http';
import { repoJson, timestamp, type FakeCheckRun, type FakeRepository, type FakeState, type FakeStatus } from '../state';
import { findRepo } from './repos';

const STATUS_STATES = ['error', 'failure', 'pending', 'success'];

export function addStatus(state: FakeState, repo: FakeRepository, sha: string, input: { context?: string; state: FakeStatus['state']; description?: string; targetUrl?: string }): FakeStatus {
  const status: FakeStatus = {
    id: state.nextId(),
    context: input.context ?? 'default',
    state: input.state,
    description: input.description ?? null,
    targetUrl: input.targetUrl ?? null,
    createdAt: timestamp(),
  };
  repo.statuses.set(sha, [...(repo.statuses.get(sha) ?? []), status]);
  return status;
}

export function addCheckRun(state: FakeState, repo: FakeRepository, sha: string, input: { name: string; status?: FakeCheckRun['status']; conclusion?: FakeCheckRun['conclusion'] }): FakeCheckRun {
  const status = input.status ?? (input.conclusion ? 'completed' : 'queued');
  const run: FakeCheckRun = {
    id: state.nextId(),
    name: input.name,
    status,
    conclusion: status === 'completed' ? (input.conclusion ?? 'success') : null,
    startedAt: timestamp(),
    completedAt: status === 'completed' ? timestamp() : null,
  };
  repo.checkRuns.set(sha, [...(repo.checkRuns.get(sha) ?? []), run]);
  return run;
}

/** Each CI of the repository concludes on `sha` once, from the commit's files; the default branch's own commits are not built. */
async function runCi(state: FakeState, repo: FakeRepository, sha: string): Promise<void> {
  if (repo.ci.length === 0) return;
  const base = await repo.git.resolveRef(`refs/heads/${repo.defaultBranch}`);
  if (base !== null && (await repo.git.isAncestor(sha, base))) return;
  for (const ci of repo.ci) {
    if (ci.checked.has(sha)) continue;
    ci.checked.add(sha);
    const failed = await ci.fails(async (path) => (await repo.git.readFile(sha, path))?.toString('utf8') ?? null);
    addCheckRun(state, repo, sha, { name: ci.name, status: 'completed', conclusion: failed ? 'failure' : 'success' });
  }
}

/** The newest status per context, newest first (what GitHub's combined status shows). */
function latestStatuses(repo: FakeRepository, sha: string): FakeStatus[] {
  const byContext = new Map<string, FakeStatus>();
  for (const s of repo.statuses.get(sha) ?? []) byContext.set(s.context, s);
  return [...byContext.values()].reverse();
}

function statusJson(s: FakeStatus, apiUrl: string) {
  return { id: s.id, node_id: `SC_${s.id}`, url: `${apiUrl}/statuses/${s.id}`, state: s.state, context: s.context, description: s.description, target_url: s.targetUrl, avatar_url: null, created_at: s.createdAt, updated_at: s.createdAt };
}

/** Commit statuses (combined) and check runs. */
export const checkRoutes: Route[] = [
  route('POST', '/repos/:owner/:repo/statuses/:sha', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const state = stringField(ctx.body, 'state') ?? '';
    if (!STATUS_STATES.includes(state)) return validationFailed([{ resource: 'Status', field: 'state', code: 'custom', message: `state is not included in the list` }]);
    if ((await repo.git.objectType(ctx.params.sha!)) !== 'commit') return failure(422, `No commit found for SHA: ${ctx.params.sha}`);
    const status = addStatus(ctx.state, repo, ctx.params.sha!, {
      state: state as FakeStatus['state'],
      ...(stringField(ctx.body, 'context') ? { context: stringField(ctx.body, 'context')! } : {}),
      ...(stringField(ctx.body, 'description') ? { description: stringField(ctx.body, 'description')! } : {}),
      ...(stringField(ctx.body, 'target_url') ? { targetUrl: stringField(ctx.body, 'target_url')! } : {}),
    });
    return json(201, statusJson(status, ctx.apiUrl));
  }),

  route('GET', '/repos/:owner/:repo/commits/:ref/status', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const sha = await repo.git.resolveCommitish(ctx.params.ref!);
    if (!sha) return failure(422, `No commit found for SHA: ${ctx.params.ref}`);
    const all = latestStatuses(repo, sha);
    const combined = all.some((s) => s.state === 'error' || s.state === 'failure') ? 'failure' : all.length === 0 || all.some((s) => s.state === 'pending') ? 'pending' : 'success';
    const page = paginate(ctx, all);
    return json(200, {
      state: combined,
      statuses: page.items.map((s) => statusJson(s, ctx.apiUrl)),
      sha,
      total_count: all.length,
      repository: repoJson(repo, ctx.apiUrl, ctx.webUrl),
      commit_url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}`,
      url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}/status`,
    }, page.headers);
  }),

  route('GET', '/repos/:owner/:repo/commits/:ref/statuses', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const sha = await repo.git.resolveCommitish(ctx.params.ref!);
    if (!sha) return failure(422, `No commit found for SHA: ${ctx.params.ref}`);
    const page = paginate(ctx, [...(repo.statuses.get(sha) ?? [])].reverse());
    return json(200, page.items.map((s) => statusJson(s, ctx.apiUrl)), page.headers);
  }),

  route('GET', '/repos/:owner/:repo/commits/:ref/check-runs', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const sha = await repo.git.resolveCommitish(ctx.params.ref!);
    if (!sha) return failure(422, `No commit found for SHA: ${ctx.params.ref}`);
    await runCi(ctx.state, repo, sha);
    let runs = repo.checkRuns.get(sha) ?? [];
    if ((ctx.query.get('filter') ?? 'latest') === 'latest') {
      const byName = new Map<string, FakeCheckRun>();
      for (const run of runs) byName.set(run.name, run);
      runs = [...byName.values()];
    }
    const page = paginate(ctx, runs);
    return json(200, {
      total_count: runs.length,
      check_runs: page.items.map((r) => ({
        id: r.id,
        node_id: `CR_${r.id}`,
        head_sha: sha,
        name: r.name,
        status: r.status,
        conclusion: r.conclusion,
        started_at: r.startedAt,
        completed_at: r.completedAt,
        url: `${ctx.apiUrl}/repos/${repo.owner}/${repo.name}/check-runs/${r.id}`,
        html_url: `${ctx.webUrl}/${repo.owner}/${repo.name}/runs/${r.id}`,
        details_url: `${ctx.webUrl}/${repo.owner}/${repo.name}/runs/${r.id}`,
        output: { title: null, summary: null, text: null, annotations_count: 0 },
        app: { id: 1, slug: 'fake-ci', name: 'Fake CI' },
        pull_requests: [],
      })),
    }, page.headers);
  }),

  route('POST', '/repos/:owner/:repo/check-runs', async (ctx) => {
    const repo = findRepo(ctx);
    if (!repo) return notFound();
    const name = stringField(ctx.body, 'name');
    const headSha = stringField(ctx.body, 'head_sha') ?? '';
    if (!name) return validationFailed([{ resource: 'CheckRun', field: 'name', code: 'missing_field' }]);
    if ((await repo.git.objectType(headSha)) !== 'commit') return failure(422, 'No commit found for SHA: ' + headSha);
    const run = addCheckRun(ctx.state, repo, headSha, {
      name,
      ...(stringField(ctx.body, 'status') ? { status: stringField(ctx.body, 'status') as FakeCheckRun['status'] } : {}),
      ...(stringField(ctx.body, 'conclusion') ? { conclusion: stringField(ctx.body, 'conclusion') as FakeCheckRun['conclusion'] } : {}),
    });
    return json(201, { id: run.id, name: run.name, head_sha: headSha, status: run.status, conclusion: run.conclusion });
  }),
];
