import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMaint } from '../helpers/cli';
import { startGitHubFake, type GitHubFake } from '../helpers/githubFake';

const CLASSIC = 'ghp_classicAdminToken0123456789abcdefghij';
const FINE = 'github_pat_11FINEGRAINED0123456789_abcdefghijklmnop';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/**
 * `maint doctor -f maint.yaml` reads the GitHub token the file's dependencies name and asks the
 * GitHub fake about the repository with it (the real HTTP request): a classic token whose
 * X-OAuth-Scopes include administration scopes is a warning, a fine-grained one is fine, a token
 * GitHub refuses fails; the token's value is never printed.
 */
describe('maint doctor judges the GitHub token of the dependencies section', () => {
  const fakes: GitHubFake[] = [];
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'maint-doctor-github-'));
  });
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.close()));
  });

  async function doctor(token: string, fake: GitHubFake, env: NodeJS.ProcessEnv = {}): Promise<{ checks: Check[]; output: string; code: number | null }> {
    await fake.createRepository({ owner: 'acme', name: 'web', files: { 'package.json': '{}\n' } }).catch(() => undefined);
    const file = join(dir, `maint-${fakes.indexOf(fake)}.yaml`);
    writeFileSync(file, `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme, contact: {email: ops@acme.example}}
dependencies:
  github: {baseUrl: "${fake.url}", auth: {kind: token, tokenEnv: ACME_GITHUB_TOKEN}}
  repositories: [{repo: acme/web}, {repo: acme/api}]
`);
    const result = await runMaint(['doctor', '--json', '-f', file], { TEMPORAL_ADDRESS: process.env.MAINT_TEST_TEMPORAL_ADDRESS, ACME_GITHUB_TOKEN: token, ...env });
    const checks = JSON.parse(result.stdout) as Check[];
    return { checks: checks.filter((c) => c.name === 'github-token'), output: result.stdout + result.stderr, code: result.code };
  }

  it('warns about a classic token with administration scopes, naming them and what to use instead', async () => {
    const fake = await startGitHubFake({ token: CLASSIC, tokenScopes: ['repo', 'admin:org', 'delete_repo', 'workflow'] });
    fakes.push(fake);
    const { checks, output } = await doctor(CLASSIC, fake);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ ok: true, detail: expect.stringMatching(/^acme\/web, acme\/api: warning: auth\.tokenEnv ACME_GITHUB_TOKEN is a classic token with administration scopes \(admin:org, delete_repo\)/) });
    expect(checks[0]!.detail).toMatch(/fine-grained token or a GitHub App with contents: write, pull requests: write, checks: read/);
    expect(checks[0]!.hint).toMatch(/GitHub credentials/);
    expect(output).not.toContain(CLASSIC);
  });

  it('takes a classic token with only repo scope (a note, no warning) and a fine-grained token (no scopes header) as they are', async () => {
    const classic = await startGitHubFake({ token: CLASSIC, tokenScopes: ['repo'] });
    const fine = await startGitHubFake({ token: FINE });
    fakes.push(classic, fine);
    const a = await doctor(CLASSIC, classic);
    expect(a.checks).toEqual([{ name: 'github-token', ok: true, detail: expect.stringMatching(/: auth\.tokenEnv ACME_GITHUB_TOKEN: a classic token \(scopes repo\)/) }]);
    const b = await doctor(FINE, fine);
    expect(b.checks).toEqual([{ name: 'github-token', ok: true, detail: 'acme/web, acme/api: auth.tokenEnv ACME_GITHUB_TOKEN: a fine-grained token (no OAuth scopes; permissions per repository)' }]);
    expect(a.output + b.output).not.toMatch(new RegExp(`${CLASSIC}|${FINE}`));
  });

  it('fails the check (exit 1) for a token GitHub refuses or one that is not set', async () => {
    const fake = await startGitHubFake({ token: FINE });
    fakes.push(fake);
    const refused = await doctor('ghp_notTheRightToken0123456789abcdefghij', fake);
    expect(refused.code).toBe(1);
    expect(refused.checks).toEqual([expect.objectContaining({ ok: false, detail: 'acme/web, acme/api: auth.tokenEnv ACME_GITHUB_TOKEN: GitHub refuses the token (401 Bad credentials)' })]);
    expect(refused.output).not.toContain('ghp_notTheRightToken');
    const unset = await doctor('', fake);
    expect(unset.checks).toEqual([expect.objectContaining({ ok: false, detail: expect.stringMatching(/ACME_GITHUB_TOKEN: not set here/) })]);
  });
});
