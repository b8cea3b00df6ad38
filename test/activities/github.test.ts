import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { createGitHub, GitHubError, type GitHubClient } from '../../activities/github/octokit';
import { pullRequestSection } from '../../policies/deps/prBody';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';

const run = promisify(execFile);
const TOKEN = 'ghp_test_token_for_the_fake';
const APP = { appId: 424242, installationId: 77 };
const { privateKey: APP_KEY } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('GitHub adapter (real Octokit against the stateful GitHub fake)', () => {
  let fake: GitHubFake;
  let github: GitHubClient;
  const warnings: string[] = [];
  const scratch: string[] = [];
  let repoCount = 0;

  beforeAll(async () => {
    fake = await startGitHubFake({ token: TOKEN, app: { ...APP, privateKey: APP_KEY } });
    github = createGitHub({ baseUrl: fake.url, auth: { kind: 'token', token: TOKEN }, throttle: false, warn: (m) => warnings.push(m) });
  });
  afterAll(async () => {
    await fake?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh repository per test: acme/web-N with a package.json, a README and a file to delete. */
  async function newRepo(collaborators: string[] = []) {
    const ref = { owner: 'acme', repo: `web-${++repoCount}` };
    await fake.createRepository({
      owner: ref.owner,
      name: ref.repo,
      collaborators,
      files: { 'package.json': '{ "dependencies": { "lodash": "4.17.20" } }\n', 'README.md': '# web\n', 'docs/old.txt': 'obsolete\n' },
    });
    return ref;
  }
  const apiCalls = (method: string, path: RegExp) => fake.requests.filter((r) => r.method === method && path.test(r.path));
  /** Milliseconds between consecutive attempts of the same call: how long the client waited before retrying. */
  const waits = (method: string, path: RegExp) => apiCalls(method, path).slice(1).map((r, i) => r.at - apiCalls(method, path)[i]!.at);
  const bump = [
    { path: 'package.json', content: '{ "dependencies": { "lodash": "4.17.21" } }\n' },
    { path: 'docs/UPGRADE.md', content: 'lodash 4.17.21\n' },
    { path: 'docs/old.txt', content: null },
  ];

  it('writes several files as one commit on top of the base branch (added, changed, deleted) and leaves the base alone', async () => {
    const ref = await newRepo();
    const baseHead = await github.branchHead(ref, 'main');
    const result = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash to 4.17.21', files: bump });

    expect(result.changed).toBe(true);
    expect(await github.branchHead(ref, 'deps/lodash')).toBe(result.commitSha);
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'package.json')).toContain('"lodash": "4.17.21"');
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'docs/UPGRADE.md')).toBe('lodash 4.17.21\n');
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'docs/old.txt')).toBeNull();
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'README.md')).toBe('# web\n');
    const log = await fake.log(ref.owner, ref.repo, 'deps/lodash');
    expect(log.map((c) => c.subject)).toEqual(['Update lodash to 4.17.21', 'Initial commit']);
    expect(log[0]!.parents).toEqual([baseHead]);
    expect(await fake.readFile(ref.owner, ref.repo, 'main', 'package.json')).toContain('"lodash": "4.17.20"');
    expect(await github.branchHead(ref, 'no-such-branch')).toBeNull();
  });

  it('writes nothing when the branch already holds the same files on the same base, and rebases when the base moved', async () => {
    const ref = await newRepo();
    const first = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const commitsBefore = apiCalls('POST', /\/git\/commits$/).length;

    const again = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    expect(again).toEqual({ commitSha: first.commitSha, changed: false });
    expect(apiCalls('POST', /\/git\/commits$/)).toHaveLength(commitsBefore);
    expect((await fake.log(ref.owner, ref.repo, 'deps/lodash')).length).toBe(2);

    // A developer merges something else into main: the next run must sit on the new main.
    const moved = await fake.pushCommit(ref.owner, ref.repo, 'main', { 'src/app.js': 'console.log("hi")\n' }, 'Add app');
    const rebased = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    expect(rebased.changed).toBe(true);
    const log = await fake.log(ref.owner, ref.repo, 'deps/lodash');
    expect(log.map((c) => c.subject)).toEqual(['Update lodash', 'Add app', 'Initial commit']);
    expect(log[0]!.parents).toEqual([moved]);
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'src/app.js')).toBe('console.log("hi")\n');
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'package.json')).toContain('4.17.21');
  });

  it('never pushes over a commit a person pushed to the PR branch; its own older commits (without the trailer) it still moves', async () => {
    const ref = await newRepo();
    const ours = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash to 4.17.21', files: bump });
    expect((await fake.log(ref.owner, ref.repo, 'deps/lodash'))[0]!.subject).toBe('Update lodash to 4.17.21');
    const human = await fake.pushCommit(ref.owner, ref.repo, 'deps/lodash', { 'package-lock.json': '{}\n' }, 'Fix the lock file by hand');
    const again = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash to 4.17.21', files: bump });
    expect(again).toEqual({ commitSha: human, changed: false, foreign: expect.stringMatching(new RegExp(`^the branch's head ${human.slice(0, 7)} \\("Fix the lock file by hand" by .+\\) is not ours: someone pushed to it$`)) });
    expect(await github.branchHead(ref, 'deps/lodash')).toBe(human);
    expect((await fake.log(ref.owner, ref.repo, 'deps/lodash')).map((c) => c.sha)).toEqual([human, ours.commitSha, expect.any(String)]);

    // A branch whose head is a one-line "Update …" commit on the base (what maint wrote before the trailer) is ours.
    await fake.pushCommit(ref.owner, ref.repo, 'deps/legacy', { 'package.json': '{}\n' }, 'Update lodash to 4.17.19');
    const moved = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/legacy', message: 'Update lodash to 4.17.21', files: bump });
    expect(moved.changed).toBe(true);
    expect(moved.foreign).toBeUndefined();
  });

  it('updates the one open PR of a branch in place instead of opening a second one; labels and reviewers are added', async () => {
    const ref = await newRepo(['alice']);
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const input = { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash to 4.17.21', body: 'One update.', labels: ['dependencies'], reviewers: ['alice'] };

    const opened = await github.upsertPullRequest(ref, input);
    expect(opened).toMatchObject({ created: true, url: `${fake.url}/${ref.owner}/${ref.repo}/pull/${opened.number}` });
    const again = await github.upsertPullRequest(ref, { ...input, title: 'Update lodash to 4.17.21 (security)', body: 'One update, now with notes.', labels: ['dependencies', 'security'] });
    expect(again).toEqual({ number: opened.number, url: opened.url, created: false });

    const pulls = fake.listPullRequests(ref.owner, ref.repo);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ state: 'open', headRef: 'deps/lodash', baseRef: 'main', title: 'Update lodash to 4.17.21 (security)', body: pullRequestSection('One update, now with notes.', 'Update lodash to 4.17.21 (security)'), labels: ['dependencies', 'security'], requestedReviewers: ['alice'] });
  });

  it('keeps a person\'s edits to the PR: text above and below our marked section, and a title they changed', async () => {
    const ref = await newRepo();
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const input = { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash to 4.17.21', body: 'One update.', labels: [], reviewers: [] };
    const opened = await github.upsertPullRequest(ref, input);
    // A person edits the PR in GitHub (the real API call the web UI makes): a note above and below our section, and a new title.
    const person = new Octokit({ baseUrl: fake.url, auth: TOKEN });
    const [before] = fake.listPullRequests(ref.owner, ref.repo);
    await person.rest.pulls.update({ owner: ref.owner, repo: ref.repo, pull_number: opened.number, title: 'lodash: needs QA sign-off first', body: `QA: Jan checks the checkout page.\n\n${before!.body}\n\nSigned off by: (pending)` });

    await github.upsertPullRequest(ref, { ...input, body: 'One update, now with notes.' });
    const [after] = fake.listPullRequests(ref.owner, ref.repo);
    expect(after!.title).toBe('lodash: needs QA sign-off first');
    expect(after!.body).toBe(`QA: Jan checks the checkout page.\n\n${pullRequestSection('One update, now with notes.', 'Update lodash to 4.17.21')}\n\nSigned off by: (pending)`);
    expect(after!.body).not.toContain('One update.\n');

    // Unchanged on our side: no write at all.
    const patches = () => apiCalls('PATCH', new RegExp(`/repos/acme/${ref.repo}/pulls/${opened.number}$`)).length;
    const writes = patches();
    await github.upsertPullRequest(ref, { ...input, body: 'One update, now with notes.' });
    expect(patches()).toBe(writes);

    // A person's own PR on the branch (no section of ours): their text stays, ours follows it.
    const ref2 = await newRepo();
    await github.commitFiles(ref2, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    await fake.openPullRequest(ref2.owner, ref2.repo, { head: 'deps/lodash', title: 'theirs', body: 'Opened by hand.' });
    await github.upsertPullRequest(ref2, input);
    expect(fake.listPullRequests(ref2.owner, ref2.repo)[0]).toMatchObject({ title: 'Update lodash to 4.17.21', body: `Opened by hand.\n\n${pullRequestSection('One update.', 'Update lodash to 4.17.21')}` });
  });

  it('reports a reviewer GitHub refuses as a warning and still opens the PR', async () => {
    const ref = await newRepo(['alice']);
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const opened = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: '', labels: [], reviewers: ['mallory'] });
    expect(opened.created).toBe(true);
    expect(opened.warnings).toEqual([expect.stringMatching(/mallory.*not a collaborator of the acme\/web-\d+ repository/)]);
    expect(fake.listPullRequests(ref.owner, ref.repo)).toHaveLength(1);
  });

  it('meets a PR and a branch that someone else created a moment earlier (422 "already exists") and takes them over', async () => {
    const ref = await newRepo();
    // Between our "does it exist?" and our create, another worker pushes the branch…
    fake.beforeRequest({ method: 'POST', pathRegex: /\/git\/refs$/, run: async () => void (await fake.pushCommit(ref.owner, ref.repo, 'deps/lodash', { 'other.txt': 'x\n' }, 'Their commit')) });
    const commit = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    expect(commit.changed).toBe(true);
    expect(await github.branchHead(ref, 'deps/lodash')).toBe(commit.commitSha);
    expect(await fake.readFile(ref.owner, ref.repo, 'deps/lodash', 'other.txt')).toBeNull();

    // …and opens the PR.
    fake.beforeRequest({ method: 'POST', pathRegex: /\/pulls$/, run: async () => void (await fake.openPullRequest(ref.owner, ref.repo, { head: 'deps/lodash', title: 'theirs' })) });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: 'ours', labels: [], reviewers: [] });
    expect(pr.created).toBe(false);
    expect(apiCalls('POST', new RegExp(`/repos/acme/${ref.repo}/pulls$`)).map((r) => r.status)).toEqual([422]);
    const pulls = fake.listPullRequests(ref.owner, ref.repo);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ number: pr.number, title: 'Update lodash', body: pullRequestSection('ours', 'Update lodash') });
  });

  it('does not duplicate anything when a POST landed but its answer was a 502 (the retry meets its own result)', async () => {
    const ref = await newRepo();
    const path = `/repos/acme/${ref.repo}`;
    fake.injectFailures([
      { method: 'POST', pathRegex: `^${path}/git/commits$`, status: 502, times: 1, afterApply: true },
      { method: 'POST', pathRegex: `^${path}/git/refs$`, status: 502, times: 1, afterApply: true },
      { method: 'POST', pathRegex: `^${path}/pulls$`, status: 502, times: 1, afterApply: true },
    ]);
    const commit = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: 'b', labels: ['dependencies'], reviewers: [] });

    expect(fake.pendingFailures()).toEqual([]);
    expect(apiCalls('POST', new RegExp(`^${path}/git/refs$`)).map((r) => r.status)).toEqual([502, 422]);
    // Each 502 is retried once, not at once (plugin-retry waits about a second), also after earlier errors of the same
    // client (plugin-retry leak). No upper bound: on a loaded machine the retry may come later, and that is no bug.
    for (const call of ['git/commits', 'git/refs', 'pulls']) {
      const [wait, ...more] = waits('POST', new RegExp(`^${path}/${call}$`));
      expect(more).toEqual([]);
      expect(wait).toBeGreaterThanOrEqual(900);
    }
    expect(apiCalls('POST', new RegExp(`^${path}/pulls$`)).map((r) => r.status)).toEqual([502, 422]);
    expect(await github.branchHead(ref, 'deps/lodash')).toBe(commit.commitSha);
    expect((await fake.log(ref.owner, ref.repo, 'deps/lodash')).map((c) => c.subject)).toEqual(['Update lodash', 'Initial commit']);
    const pulls = fake.listPullRequests(ref.owner, ref.repo);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ number: pr.number, labels: ['dependencies'], state: 'open' });
  });

  it('waits out secondary rate limits (403 and 429 with retry-after) and a primary limit, then succeeds once', async () => {
    const ref = await newRepo();
    const path = `/repos/acme/${ref.repo}`;
    const warned = warnings.length;
    fake.injectFailures([
      { method: 'POST', pathRegex: `^${path}/git/trees$`, status: 403, times: 1, retryAfterSeconds: 1 },
      { method: 'POST', pathRegex: `^${path}/pulls$`, status: 429, times: 1, retryAfterSeconds: 1 },
      { method: 'GET', pathRegex: `^${path}/pulls$`, status: 403, times: 1, rateLimitReset: Math.floor(Date.now() / 1000) },
    ]);
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: '', labels: [], reviewers: [] });

    expect(pr.created).toBe(true);
    expect(fake.pendingFailures()).toEqual([]);
    expect(apiCalls('POST', new RegExp(`^${path}/git/trees$`)).map((r) => r.status)).toEqual([403, 201]);
    expect(apiCalls('POST', new RegExp(`^${path}/pulls$`)).map((r) => r.status)).toEqual([429, 201]);
    expect(apiCalls('GET', new RegExp(`^${path}/pulls$`)).map((r) => r.status)).toEqual([403, 200]);
    // retry-after: 1 is honoured (not retried at once, not after the 60 s fallback).
    expect(waits('POST', new RegExp(`^${path}/git/trees$`))[0]).toBeGreaterThanOrEqual(950);
    expect(waits('POST', new RegExp(`^${path}/pulls$`))[0]).toBeGreaterThanOrEqual(950);
    expect(fake.listPullRequests(ref.owner, ref.repo)).toHaveLength(1);
    expect(warnings.slice(warned).join('\n')).toMatch(/secondary rate limit.*retrying in 1s/);
    expect(warnings.join('\n')).not.toContain(TOKEN);
  });

  it('with production pacing on, still retries a secondary rate limit', async () => {
    const ref = await newRepo();
    await fake.pushCommit(ref.owner, ref.repo, 'stale', { 'x.txt': 'x\n' });
    const paced = createGitHub({ baseUrl: fake.url, auth: { kind: 'token', token: TOKEN }, warn: () => undefined });
    const deletes = () => apiCalls('DELETE', new RegExp(`^/repos/acme/${ref.repo}/git/refs/heads/stale$`)).map((r) => [r.status, r.injected]);
    fake.injectFailures([{ method: 'DELETE', pathRegex: `^/repos/acme/${ref.repo}/git/refs/heads/stale$`, status: 403, times: 1, retryAfterSeconds: 1 }]);
    await paced.deleteBranch(ref, 'stale');
    // The fake served the 403, and the branch went with the retry.
    expect(fake.pendingFailures()).toEqual([]);
    expect(deletes()).toEqual([[403, true], [204, false]]);
    expect(await fake.branchHead(ref.owner, ref.repo, 'stale')).toBeNull();
    await paced.deleteBranch(ref, 'stale'); // already gone (GitHub's 422): fine, and not retried
    expect(deletes()).toEqual([[403, true], [204, false], [422, false]]);
  });

  it('judges checks: none, pending, failure and success from commit statuses and check runs (paged)', async () => {
    const ref = await newRepo();
    const sha = (await github.branchHead(ref, 'main'))!;
    const verdict = () => github.checks(ref, sha);

    expect(await verdict()).toEqual({ state: 'none', details: [] });
    fake.setStatus(ref.owner, ref.repo, sha, { context: 'ci/test', state: 'pending' });
    expect((await verdict()).state).toBe('pending');
    fake.setStatus(ref.owner, ref.repo, sha, { context: 'ci/test', state: 'success' });
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'build', status: 'in_progress' });
    expect(await verdict()).toEqual({ state: 'pending', details: ['ci/test: success', 'build: in_progress'] });
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'build', conclusion: 'success' });
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'docs', conclusion: 'skipped' });
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'optional', conclusion: 'neutral' });
    expect(await verdict()).toEqual({ state: 'success', details: ['ci/test: success', 'build: success', 'docs: skipped', 'optional: neutral'] });

    // More than one page of each (GitHub pages at 100): all are read.
    for (let i = 0; i < 120; i++) fake.setStatus(ref.owner, ref.repo, sha, { context: `ci/shard-${i}`, state: 'success' });
    for (let i = 0; i < 105; i++) fake.addCheckRun(ref.owner, ref.repo, sha, { name: `e2e-${i}`, conclusion: 'success' });
    const many = await verdict();
    expect(many.state).toBe('success');
    expect(many.details).toHaveLength(121 + 108);

    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'lint', conclusion: 'failure' });
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'slow', status: 'queued' });
    const failed = await verdict();
    expect(failed.state).toBe('failure');
    expect(failed.details).toEqual(expect.arrayContaining(['lint: failure', 'slow: queued']));
    // The failing ones by name (a split PR's body and comment name them).
    fake.setStatus(ref.owner, ref.repo, sha, { context: 'ci/shard-3', state: 'error' });
    expect((await verdict()).failing).toEqual(['ci/shard-3', 'lint']);
  });

  it('closes a PR once with a marker added to its body, and comments on it (issues API)', async () => {
    const ref = await newRepo();
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/close-me', message: 'Update lodash to 4.17.21', files: bump });
    const { number } = await github.upsertPullRequest(ref, { branch: 'deps/close-me', baseBranch: 'main', title: 'Update lodash', body: 'ours', labels: [], reviewers: [] });
    const comment = await github.commentOnPullRequest(ref, number, 'Split into #8 and #9');
    expect(comment.url).toMatch(new RegExp(`/acme/${ref.repo}/pull/${number}#issuecomment-${comment.id}$`));
    expect(await github.pullRequestComments(ref, number)).toEqual([{ id: comment.id, body: 'Split into #8 and #9' }]);

    await github.closePullRequest(ref, { number, appendToBody: '<!-- marker -->' });
    const closed = fake.listPullRequests(ref.owner, ref.repo).find((p) => p.number === number)!;
    expect([closed.state, closed.merged]).toEqual(['closed', false]);
    expect(closed.body).toBe(`${pullRequestSection('ours', 'Update lodash')}\n\n<!-- marker -->`);
    // Again (a retried activity): nothing is written.
    const writes = fake.requests.length;
    await github.closePullRequest(ref, { number, appendToBody: '<!-- marker -->' });
    expect(fake.requests.slice(writes).map((r) => r.method)).toEqual(['GET']);
    await expect(github.commentOnPullRequest(ref, 9999, 'x')).rejects.toThrow(/comment on #9999: 404/);
  });

  it("keeps the verdict pending while a check the base branch's protection requires has not reported", async () => {
    const ref = await newRepo();
    const sha = (await github.branchHead(ref, 'main'))!;
    fake.setStatus(ref.owner, ref.repo, sha, { context: 'ci/test', state: 'success' });
    // Unprotected: what reported is all there is.
    expect(await github.checks(ref, sha, 'main')).toEqual({ state: 'success', details: ['ci/test: success'] });
    fake.protectBranch(ref.owner, ref.repo, 'main', ['ci/test', 'security/scan']);
    expect(await github.checks(ref, sha, 'main')).toEqual({ state: 'pending', details: ['ci/test: success', "security/scan: not reported yet (required by main's branch protection)"] });
    // Nothing reported at all, but required checks: pending, not "none".
    const other = await fake.pushCommit(ref.owner, ref.repo, 'main', { 'x.txt': 'x\n' }, 'Another commit');
    expect((await github.checks(ref, other, 'main')).state).toBe('pending');
    fake.addCheckRun(ref.owner, ref.repo, sha, { name: 'security/scan', conclusion: 'success' });
    expect(await github.checks(ref, sha, 'main')).toEqual({ state: 'success', details: ['ci/test: success', 'security/scan: success'] });
  });

  it('squash-merges a green PR: the base branch holds the change (also in a git clone over HTTP) and the PR shows as merged', async () => {
    const ref = await newRepo();
    const commit = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash to 4.17.21', body: '', labels: [], reviewers: [] });
    fake.setStatus(ref.owner, ref.repo, commit.commitSha, { context: 'ci/test', state: 'success' });
    expect((await github.checks(ref, commit.commitSha)).state).toBe('success');

    expect(await github.mergePullRequest(ref, { number: pr.number, sha: commit.commitSha, title: 'Update lodash to 4.17.21' })).toEqual({ merged: true });
    expect(await fake.readFile(ref.owner, ref.repo, 'main', 'package.json')).toContain('"lodash": "4.17.21"');
    expect(await fake.readFile(ref.owner, ref.repo, 'main', 'docs/old.txt')).toBeNull();
    expect((await fake.log(ref.owner, ref.repo, 'main')).map((c) => c.subject)).toEqual([`Update lodash to 4.17.21 (#${pr.number})`, 'Initial commit']);
    const [listed] = await github.listManagedPullRequests(ref, 'deps/');
    expect(listed).toMatchObject({ number: pr.number, state: 'merged', branch: 'deps/lodash', baseBranch: 'main', headSha: commit.commitSha });
    expect(listed!.mergedAt).toBeDefined();

    const clone = mkdtempSync(join(tmpdir(), 'maint-gh-clone-'));
    scratch.push(clone);
    await run('git', ['clone', '--quiet', fake.gitUrl(ref.owner, ref.repo), join(clone, 'web')], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    expect(readFileSync(join(clone, 'web', 'package.json'), 'utf8')).toContain('"lodash": "4.17.21"');
    expect(readFileSync(join(clone, 'web', 'docs', 'UPGRADE.md'), 'utf8')).toBe('lodash 4.17.21\n');

    await github.deleteBranch(ref, 'deps/lodash');
    expect(await github.branchHead(ref, 'deps/lodash')).toBeNull();
  });

  it('counts a merge whose answer was lost (502 after it landed) as merged, and merges only once', async () => {
    const ref = await newRepo();
    const commit = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: '', labels: [], reviewers: [] });
    fake.injectFailures([{ method: 'PUT', pathRegex: `^/repos/acme/${ref.repo}/pulls/${pr.number}/merge$`, status: 502, times: 1, afterApply: true }]);

    expect(await github.mergePullRequest(ref, { number: pr.number, sha: commit.commitSha, title: 'Update lodash' })).toEqual({ merged: true });
    expect(apiCalls('PUT', /\/merge$/).filter((r) => r.path.includes(ref.repo)).map((r) => r.status)).toEqual([502, 405]);
    expect((await fake.log(ref.owner, ref.repo, 'main')).map((c) => c.subject)).toEqual([`Update lodash (#${pr.number})`, 'Initial commit']);
  });

  it('refuses to merge when the head moved since the checks were read, or the base moved under the PR; nothing changes on main', async () => {
    const ref = await newRepo();
    const commit = await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: '', labels: [], reviewers: [] });
    const mainBefore = await github.branchHead(ref, 'main');

    await fake.pushCommit(ref.owner, ref.repo, 'deps/lodash', { 'extra.txt': 'pushed by a developer\n' });
    expect(await github.mergePullRequest(ref, { number: pr.number, sha: commit.commitSha, title: 'Update lodash' })).toEqual({ merged: false, reason: 'Head branch was modified. Review and try the merge again.' });

    const head = (await github.branchHead(ref, 'deps/lodash'))!;
    await fake.pushCommit(ref.owner, ref.repo, 'main', { 'package.json': '{}\n' }, 'Conflicting change');
    const mainMoved = await github.branchHead(ref, 'main');
    expect(await github.mergePullRequest(ref, { number: pr.number, sha: head, title: 'Update lodash' })).toEqual({ merged: false, reason: 'Pull Request is not mergeable' });

    expect(mainMoved).not.toBe(mainBefore);
    expect(await github.branchHead(ref, 'main')).toBe(mainMoved);
    expect(fake.listPullRequests(ref.owner, ref.repo)[0]).toMatchObject({ state: 'open', merged: false });
  });

  it('lists the managed PRs of every state, newest first, across pages, and skips other branches', async () => {
    const ref = await newRepo();
    await fake.pushCommit(ref.owner, ref.repo, 'deps/old', { 'a.txt': 'a\n' });
    await fake.pushCommit(ref.owner, ref.repo, 'feature/login', { 'b.txt': 'b\n' });
    // 105 earlier attempts at deps/old, each closed by a developer: more than one page of 100.
    for (let i = 0; i < 105; i++) fake.closePullRequest(ref.owner, ref.repo, await fake.openPullRequest(ref.owner, ref.repo, { head: 'deps/old', title: `old ${i}` }));
    await fake.openPullRequest(ref.owner, ref.repo, { head: 'feature/login', title: 'Login page' });
    await github.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const open = await github.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: 'the body', labels: [], reviewers: [] });

    const listed = await github.listManagedPullRequests(ref, 'deps/');
    expect(listed).toHaveLength(106);
    expect(listed[0]).toMatchObject({ number: open.number, state: 'open', title: 'Update lodash', body: pullRequestSection('the body', 'Update lodash'), branch: 'deps/lodash' });
    expect(listed.slice(1).every((p) => p.state === 'closed' && p.branch === 'deps/old' && p.closedAt !== undefined && p.mergedAt === undefined)).toBe(true);
    expect(listed.map((p) => p.number)).toEqual([...listed.map((p) => p.number)].sort((a, b) => b - a));
    expect(apiCalls('GET', new RegExp(`^/repos/acme/${ref.repo}/pulls$`)).filter((r) => r.query.includes('state=all'))).toHaveLength(2);
  });

  it('authenticates as a GitHub App: a JWT signed with the app key buys an installation token, which then works for the API and git', async () => {
    const ref = await newRepo();
    const asApp = createGitHub({ baseUrl: fake.url, auth: { kind: 'app', appId: APP.appId, privateKey: APP_KEY, installationId: APP.installationId }, throttle: false });
    const seen = fake.requests.length;
    expect(await asApp.branchHead(ref, 'main')).toBe(await fake.branchHead(ref.owner, ref.repo, 'main'));

    const later = fake.requests.slice(seen);
    expect(later[0]).toMatchObject({ method: 'POST', path: `/app/installations/${APP.installationId}/access_tokens`, status: 201, auth: 'jwt' });
    expect(later[1]).toMatchObject({ method: 'GET', path: `/repos/acme/${ref.repo}/git/ref/heads/main`, status: 200, auth: 'installation' });
    const token = await asApp.token();
    expect(token).toMatch(/^ghs_/);
    const clone = mkdtempSync(join(tmpdir(), 'maint-gh-clone-'));
    scratch.push(clone);
    const url = `${fake.url.replace('http://', `http://x-access-token:${token}@`)}/acme/${ref.repo}.git`;
    await run('git', ['clone', '--quiet', url, join(clone, 'web')], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    expect(readFileSync(join(clone, 'web', 'README.md'), 'utf8')).toBe('# web\n');

    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const impostor = createGitHub({ baseUrl: fake.url, auth: { kind: 'app', appId: APP.appId, privateKey: otherKey, installationId: APP.installationId }, throttle: false });
    await expect(impostor.branchHead(ref, 'main')).rejects.toThrow(/401 A JSON web token could not be decoded/);
  });

  it('names the repository, the operation and GitHub\'s answer when the repository does not exist or the token is wrong', async () => {
    const missing = { owner: 'acme', repo: 'no-such-repo' };
    const failure = github.commitFiles(missing, { baseBranch: 'main', branch: 'deps/x', message: 'm', files: bump });
    await expect(failure).rejects.toThrow(GitHubError);
    await expect(failure).rejects.toThrow('GitHub acme/no-such-repo: read repository: 404 Not Found');
    await expect(failure).rejects.toMatchObject({ status: 404, permanent: true });
    await expect(github.listManagedPullRequests(missing, 'deps/')).rejects.toThrow(/acme\/no-such-repo: list pull requests deps\/\*: 404 Not Found/);

    const ref = await newRepo();
    const wrongToken = createGitHub({ baseUrl: fake.url, auth: { kind: 'token', token: 'ghp_wrong' }, throttle: false });
    await expect(wrongToken.branchHead(ref, 'main')).rejects.toMatchObject({ message: expect.stringMatching(/read branch main: 401 Bad credentials/), permanent: true });
  });

  it('serves the GitHub Enterprise layout too (baseUrl …/api/v3)', async () => {
    const ref = await newRepo();
    const ghe = createGitHub({ baseUrl: `${fake.url}/api/v3`, auth: { kind: 'token', token: TOKEN }, throttle: false });
    const commit = await ghe.commitFiles(ref, { baseBranch: 'main', branch: 'deps/lodash', message: 'Update lodash', files: bump });
    const pr = await ghe.upsertPullRequest(ref, { branch: 'deps/lodash', baseBranch: 'main', title: 'Update lodash', body: '', labels: [], reviewers: [] });
    expect(await fake.branchHead(ref.owner, ref.repo, 'deps/lodash')).toBe(commit.commitSha);
    expect(pr.created).toBe(true);
  });
});
