import { createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectedFailure } from './githubFake/failures';
import { BareRepository } from './githubFake/git';
import { appRoutes } from './githubFake/routes/app';
import { addCheckRun, addStatus, checkRoutes } from './githubFake/routes/checks';
import { commentRoutes } from './githubFake/routes/comments';
import { followBranch, gitDataRoutes } from './githubFake/routes/gitData';
import { pullRoutes } from './githubFake/routes/pulls';
import { repoRoutes } from './githubFake/routes/repos';
import { applyTags, tagRoutes, type TagSpec } from './githubFake/routes/tags';
import { createFakeServer, type RequestHook, type RequestLogEntry } from './githubFake/server';
import { repoKey, timestamp, type FakeCheckRun, type FakeCi, type FakeComment, type FakePull, type FakeRepository, type FakeState, type FakeStatus } from './githubFake/state';

export type { FakeCi, FakeComment, InjectedFailure, RequestHook, RequestLogEntry, TagSpec };

export interface GitHubFakeOptions {
  /** When set, every request must carry it (`token X`, `Bearer X`, or basic auth with it as password); others get 401. */
  token?: string;
  /** A GitHub App: JWTs signed with this key (RS256) get installation tokens for `installationId`. */
  app?: { appId: number | string; privateKey: string; installationId: number };
  /** The user owning the token (author of PRs and API commits). */
  login?: string;
  /** `token` is a classic PAT with these scopes (sent back as `X-OAuth-Scopes`); unset: a fine-grained token (no such header). */
  tokenScopes?: string[];
}

export interface FakePullRequestSnapshot extends FakePull {
  owner: string;
  repo: string;
}

/**
 * A stateful fake of the GitHub REST API on 127.0.0.1, for the real Octokit through `baseUrl`. Each repository is a
 * real bare git repository (SHAs are real; `git clone <fake.gitUrl(owner, repo)>` works through git http-backend).
 * REST is served at `url` (github.com layout) and at `url/api/v3` (GitHub Enterprise layout); GraphQL at
 * `url/graphql` and `url/api/graphql`.
 */
export interface GitHubFake {
  /** `http://127.0.0.1:PORT`: Octokit's `baseUrl`. */
  url: string;
  /** Every request in order, with its answer's status. */
  requests: RequestLogEntry[];
  /** A clone URL; with a token, carries it as basic-auth password. */
  gitUrl(owner: string, repo: string): string;
  createRepository(input: { owner: string; name: string; defaultBranch?: string; files: Record<string, string>; collaborators?: string[] }): Promise<{ headSha: string }>;
  /** A developer's push: one commit on `branch` (created from the default branch when missing). null deletes a file. */
  pushCommit(owner: string, repo: string, branch: string, files: Record<string, string | null>, message?: string): Promise<string>;
  branchHead(owner: string, repo: string, branch: string): Promise<string | null>;
  readFile(owner: string, repo: string, branch: string, path: string): Promise<string | null>;
  /** The commits of a branch, newest first: SHA and subject. */
  log(owner: string, repo: string, branch: string): Promise<Array<{ sha: string; subject: string; parents: string[] }>>;
  setStatus(owner: string, repo: string, sha: string, status: { context: string; state: FakeStatus['state']; description?: string }): void;
  addCheckRun(owner: string, repo: string, sha: string, run: { name: string; status?: FakeCheckRun['status']; conclusion?: FakeCheckRun['conclusion'] }): void;
  /** A CI on the repository: every pushed commit off the default branch gets check run `name`, concluded from its files. */
  addCi(owner: string, repo: string, ci: FakeCi): void;
  /** The conversation comments of a PR, oldest first. */
  comments(owner: string, repo: string, number: number): FakeComment[];
  /** Branch protection requiring these status checks on `branch` (an empty list: protected, nothing required). */
  protectBranch(owner: string, repo: string, branch: string, requiredChecks: string[]): void;
  /** Opens a PR as someone else would (a developer, another worker); the head branch must exist. */
  openPullRequest(owner: string, repo: string, input: { head: string; base?: string; title: string; body?: string }): Promise<number>;
  /** Closes a PR without merging, as a developer would in the web UI. */
  closePullRequest(owner: string, repo: string, number: number): void;
  listPullRequests(owner?: string, repo?: string): FakePullRequestSnapshot[];
  /** Adds failures; each answers `times` matching requests. */
  injectFailures(failures: Array<Omit<InjectedFailure, 'pathRegex'> & { pathRegex: RegExp | string }>): void;
  /** Runs `run` just before the next `times` matching API requests are handled (inside the fake's request order). */
  beforeRequest(hook: Omit<RequestHook, 'pathRegex' | 'times'> & { pathRegex: RegExp | string; times?: number }): void;
  /** Failures not yet used up (a test can assert they all fired). */
  pendingFailures(): InjectedFailure[];
  /** Replaces the tags of a repository (created, with a README, when it does not exist yet). */
  setTags(owner: string, repo: string, tags: TagSpec[]): Promise<void>;
  /** Publishes a release for `tag` (the repository is created, with a README, when it does not exist yet). */
  setRelease(owner: string, repo: string, release: { tag: string; name?: string; body: string }): Promise<void>;
  close(): Promise<void>;
}

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const root = mkdtempSync(join(tmpdir(), 'maint-github-fake-'));
  let nextId = 1000;
  const state: FakeState = {
    root,
    repos: new Map(),
    login: options.login ?? 'maintenance-bot',
    tokens: new Map(options.token ? [[options.token, 'pat' as const]] : []),
    ...(options.tokenScopes !== undefined ? { tokenScopes: options.tokenScopes } : {}),
    ...(options.app ? { app: { appId: String(options.app.appId), publicKey: createPublicKey(options.app.privateKey), installationId: options.app.installationId } } : {}),
    nextId: () => nextId++,
  };
  const requests: RequestLogEntry[] = [];
  const failures: InjectedFailure[] = [];
  const hooks: RequestHook[] = [];
  const routes = [...repoRoutes, ...gitDataRoutes, ...pullRoutes, ...commentRoutes, ...checkRoutes, ...tagRoutes, ...appRoutes];
  const server = createFakeServer(state, routes, requests, failures, hooks);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;

  const repoOf = (owner: string, name: string): FakeRepository => {
    const repo = state.repos.get(repoKey(owner, name));
    if (!repo) throw new Error(`GitHub fake: no repository ${owner}/${name}`);
    return repo;
  };
  const person = () => ({ name: 'A Developer', email: 'dev@example.test', date: timestamp() });

  async function createRepository(input: { owner: string; name: string; defaultBranch?: string; files: Record<string, string>; collaborators?: string[] }) {
    if (state.repos.has(repoKey(input.owner, input.name))) throw new Error(`GitHub fake: ${input.owner}/${input.name} exists`);
    const defaultBranch = input.defaultBranch ?? 'main';
    mkdirSync(join(root, input.owner), { recursive: true });
    const git = await BareRepository.init(join(root, input.owner, `${input.name}.git`), defaultBranch);
    const changes = await Promise.all(Object.entries(input.files).map(async ([path, content]) => ({ path, mode: '100644', sha: await git.writeBlob(Buffer.from(content)) })));
    const tree = await git.writeTree(null, changes);
    const headSha = await git.commitTree({ tree, parents: [], message: 'Initial commit\n', author: person(), committer: person() });
    await git.updateRef(`refs/heads/${defaultBranch}`, headSha);
    state.repos.set(repoKey(input.owner, input.name), {
      id: state.nextId(),
      owner: input.owner,
      name: input.name,
      defaultBranch,
      git,
      collaborators: new Set([input.owner, state.login, ...(input.collaborators ?? [])].map((c) => c.toLowerCase())),
      pulls: [],
      nextNumber: 1,
      statuses: new Map(),
      checkRuns: new Map(),
      ci: [],
      comments: new Map(),
      requiredChecks: new Map(),
      tagDates: new Map(),
      releases: new Map(),
    });
    return { headSha };
  }

  return {
    url,
    requests,
    gitUrl: (owner, repo) => (options.token ? `http://x-access-token:${options.token}@127.0.0.1:${port}/${owner}/${repo}.git` : `${url}/${owner}/${repo}.git`),
    createRepository,

    async pushCommit(owner, name, branch, files, message = 'Developer change') {
      const repo = repoOf(owner, name);
      const parent = (await repo.git.resolveRef(`refs/heads/${branch}`)) ?? (await repo.git.resolveRef(`refs/heads/${repo.defaultBranch}`))!;
      const base = (await repo.git.readCommit(parent))!.tree;
      const changes = await Promise.all(Object.entries(files).map(async ([path, content]) => ({ path, mode: '100644', sha: content === null ? null : await repo.git.writeBlob(Buffer.from(content)) })));
      const tree = await repo.git.writeTree(base, changes);
      const sha = await repo.git.commitTree({ tree, parents: [parent], message: `${message}\n`, author: person(), committer: person() });
      await repo.git.updateRef(`refs/heads/${branch}`, sha);
      await followBranch(repo, branch, sha);
      return sha;
    },

    branchHead: (owner, name, branch) => repoOf(owner, name).git.resolveRef(`refs/heads/${branch}`),

    async readFile(owner, name, branch, path) {
      const repo = repoOf(owner, name);
      const head = await repo.git.resolveRef(`refs/heads/${branch}`);
      if (!head) return null;
      return (await repo.git.readFile(head, path))?.toString('utf8') ?? null;
    },

    async log(owner, name, branch) {
      const out = await repoOf(owner, name).git.git(['log', '--format=%H%x09%P%x09%s', `refs/heads/${branch}`]);
      return out.split('\n').filter(Boolean).map((line) => {
        const [sha, parents, subject] = line.split('\t') as [string, string, string];
        return { sha, subject, parents: parents.split(' ').filter(Boolean) };
      });
    },

    setStatus: (owner, name, sha, status) => void addStatus(state, repoOf(owner, name), sha, status),
    addCheckRun: (owner, name, sha, run) => void addCheckRun(state, repoOf(owner, name), sha, run),
    addCi: (owner, name, ci) => void repoOf(owner, name).ci.push({ ...ci, checked: new Set() }),
    comments: (owner, name, number) => structuredClone(repoOf(owner, name).comments.get(number) ?? []),
    protectBranch: (owner, name, branch, requiredChecks) => void repoOf(owner, name).requiredChecks.set(branch, requiredChecks),

    async openPullRequest(owner, name, input) {
      const repo = repoOf(owner, name);
      const headSha = await repo.git.resolveRef(`refs/heads/${input.head}`);
      if (!headSha) throw new Error(`GitHub fake: no branch ${input.head} in ${owner}/${name}`);
      const now = timestamp();
      const number = repo.nextNumber++;
      repo.pulls.push({
        number, id: state.nextId(), title: input.title, body: input.body ?? '', state: 'open', merged: false, draft: false,
        headRef: input.head, headSha, baseRef: input.base ?? repo.defaultBranch, labels: [], requestedReviewers: [], user: 'a-developer',
        createdAt: now, updatedAt: now, closedAt: null, mergedAt: null, mergeCommitSha: null,
      });
      return number;
    },

    closePullRequest(owner, name, number) {
      const pull = repoOf(owner, name).pulls.find((p) => p.number === number);
      if (!pull) throw new Error(`GitHub fake: no pull request #${number} in ${owner}/${name}`);
      Object.assign(pull, { state: 'closed', closedAt: timestamp(), updatedAt: timestamp() });
    },

    listPullRequests(owner, name) {
      return [...state.repos.values()]
        .filter((r) => (!owner || r.owner === owner) && (!name || r.name === name))
        .flatMap((r) => r.pulls.map((p) => ({ ...structuredClone(p), owner: r.owner, repo: r.name })));
    },

    injectFailures(list) {
      for (const f of list) failures.push({ ...f, pathRegex: typeof f.pathRegex === 'string' ? new RegExp(f.pathRegex) : f.pathRegex });
    },
    beforeRequest(hook) {
      hooks.push({ ...hook, times: hook.times ?? 1, pathRegex: typeof hook.pathRegex === 'string' ? new RegExp(hook.pathRegex) : hook.pathRegex });
    },
    pendingFailures: () => failures.filter((f) => f.times > 0),

    async setRelease(owner, name, release) {
      if (!state.repos.has(repoKey(owner, name))) await createRepository({ owner, name, files: { 'README.md': `# ${owner}/${name}\n` } });
      repoOf(owner, name).releases.set(release.tag, { id: nextId++, tag: release.tag, name: release.name ?? release.tag, body: release.body, createdAt: timestamp() });
    },
    async setTags(owner, name, tags) {
      if (!state.repos.has(repoKey(owner, name))) await createRepository({ owner, name, files: { 'README.md': `# ${owner}/${name}\n` } });
      await applyTags(state, repoOf(owner, name), tags);
    },

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
