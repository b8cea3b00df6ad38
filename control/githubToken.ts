import { readFileSync } from 'node:fs';
import type { RepositoryPlan } from '../policies/deps/resolve';
import { tokenScopes, tokenScopeWarning } from '../policies/deps/githubToken';
import { redact } from '../policies/common/redact';

/** What `maint doctor` found about the GitHub credentials one or more repositories use. */
export interface GitHubTokenFinding {
  /** The repositories using these credentials. */
  repositories: string[];
  ok: boolean;
  /** Starts with "warning:" for a token that works but may do far more than maint needs. */
  detail: string;
}

/**
 * For each distinct GitHub connection of the repositories (API URL and credentials): reads the
 * token the plan names (variable or file, as the worker would), asks GitHub about the first
 * repository with it and judges the scopes GitHub reports for a classic token. The token's value
 * never appears in a finding.
 */
export async function checkGitHubTokens(plans: RepositoryPlan[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 5_000): Promise<GitHubTokenFinding[]> {
  const groups = new Map<string, RepositoryPlan[]>();
  for (const plan of plans) {
    const key = JSON.stringify([plan.github.baseUrl, plan.github.auth ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), plan]);
  }
  const findings: GitHubTokenFinding[] = [];
  for (const group of groups.values()) {
    const [first] = group as [RepositoryPlan];
    const repositories = group.map((p) => p.repo);
    const auth = first.github.auth;
    if (auth === undefined) continue;
    if (auth.kind === 'app') {
      findings.push({ repositories, ok: true, detail: `GitHub App ${auth.appId} (installation ${auth.installationId}): its installation tokens carry only the app's permissions` });
      continue;
    }
    const where = auth.tokenEnv !== undefined ? `auth.tokenEnv ${auth.tokenEnv}` : `auth.tokenFile ${auth.tokenFile}`;
    let token: string | undefined;
    try {
      token = auth.tokenEnv !== undefined ? env[auth.tokenEnv] : readFileSync(auth.tokenFile!, 'utf8').trim();
    } catch (err) {
      findings.push({ repositories, ok: false, detail: `${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      continue;
    }
    if (token === undefined || token === '') {
      findings.push({ repositories, ok: false, detail: `${where}: not set here (the worker needs it; run doctor where the worker runs)` });
      continue;
    }
    const url = `${first.github.baseUrl.replace(/\/+$/, '')}/repos/${first.repo}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'maintenance-orchestrator' }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      findings.push({ repositories, ok: false, detail: redact(`${where}: GitHub ${first.github.baseUrl} did not answer (${e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : e.cause?.code ?? e.message})`) });
      continue;
    }
    const scopes = tokenScopes(response.headers.get('x-oauth-scopes'));
    if (response.status === 401) {
      findings.push({ repositories, ok: false, detail: `${where}: GitHub refuses the token (401 Bad credentials)` });
      continue;
    }
    if (!response.ok) {
      findings.push({ repositories, ok: false, detail: `${where}: GET /repos/${first.repo} answered HTTP ${response.status} (the token cannot read the repository?)` });
      continue;
    }
    const warning = tokenScopeWarning(where, scopes);
    findings.push({
      repositories, ok: true,
      detail: warning !== undefined
        ? `warning: ${warning}`
        : scopes.classic
          ? `${where}: a classic token (scopes ${scopes.scopes.join(', ') || 'none'}); a fine-grained token or a GitHub App limits it to the repositories maint updates`
          : `${where}: a fine-grained token (no OAuth scopes; permissions per repository)`,
    });
  }
  return findings;
}
