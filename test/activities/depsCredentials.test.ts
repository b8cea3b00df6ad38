import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { githubAuthFor } from '../../activities/deps/production';
import type { RepositoryPlan } from '../../policies/deps/resolve';

const plan = (auth: RepositoryPlan['github']['auth']): RepositoryPlan => ({
  repo: 'acme/web', owner: 'acme', name: 'web', baseBranch: 'main', managers: ['npm'],
  checkout: { kind: 'github', cloneUrl: 'https://ghe.example.com/acme/web.git' },
  github: { baseUrl: 'https://ghe.example.com/api/v3', ...(auth ? { auth } : {}) },
  registries: { docker: [] },
  policy: { updateTypes: ['patch'], ignore: [], groups: [], maxOpenPRs: 1, prsPerHour: 1, labels: [], reviewers: [] },
});

describe('GitHub credentials come from the secret the organisation file names', () => {
  it('reads a token from the worker environment or a file, and an app key from a file', () => {
    process.env.MAINT_TEST_GH_TOKEN = 'ghp_from_env';
    expect(githubAuthFor(plan({ kind: 'token', tokenEnv: 'MAINT_TEST_GH_TOKEN' }))).toEqual({ kind: 'token', token: 'ghp_from_env' });
    const dir = mkdtempSync(join(tmpdir(), 'maint-secret-'));
    writeFileSync(join(dir, 'token'), 'ghp_from_file\n');
    expect(githubAuthFor(plan({ kind: 'token', tokenFile: join(dir, 'token') }))).toEqual({ kind: 'token', token: 'ghp_from_file' });
    writeFileSync(join(dir, 'app.pem'), '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n');
    expect(githubAuthFor(plan({ kind: 'app', appId: 7, installationId: 42, privateKeyFile: join(dir, 'app.pem') }))).toEqual({
      kind: 'app', appId: 7, installationId: 42, privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    });
  });

  it('says which secret is missing, without a value', () => {
    delete process.env.MAINT_TEST_GH_MISSING;
    expect(() => githubAuthFor(plan({ kind: 'token', tokenEnv: 'MAINT_TEST_GH_MISSING' }))).toThrow('acme/web: GitHub token: environment variable MAINT_TEST_GH_MISSING is not set on the worker');
    expect(() => githubAuthFor(plan({ kind: 'token', tokenFile: '/nonexistent/token' }))).toThrow('acme/web: GitHub token: cannot read /nonexistent/token (ENOENT)');
    expect(() => githubAuthFor(plan(undefined))).toThrow('acme/web: dependencies.github.auth is not configured');
  });
});
