import { join } from 'node:path';
import type { RepositoryPlan } from '../../policies/deps/resolve';
import { createGitHub, type GitHubClient, type GitHubOptions } from '../github/octokit';
import { readSecret } from '../notices/secrets';
import { runRenovateLookup } from '../renovate/lookup';
import type { DependencyDeps } from './index';

/** GitHub credentials from the secrets the plan names (environment or file on the worker); never from the payload. */
export function githubAuthFor(plan: RepositoryPlan): GitHubOptions['auth'] {
  const auth = plan.github.auth;
  if (!auth) throw new Error(`${plan.repo}: dependencies.github.auth is not configured`);
  if (auth.kind === 'token') {
    const token = readSecret({ ...(auth.tokenEnv ? { env: auth.tokenEnv } : {}), ...(auth.tokenFile ? { file: auth.tokenFile } : {}), settings: { env: 'auth.tokenEnv', file: 'auth.tokenFile' } }, `${plan.repo}: GitHub token`);
    return { kind: 'token', token: token! };
  }
  const privateKey = readSecret({ ...(auth.privateKeyEnv ? { env: auth.privateKeyEnv } : {}), ...(auth.privateKeyFile ? { file: auth.privateKeyFile } : {}), settings: { env: 'auth.privateKeyEnv', file: 'auth.privateKeyFile' } }, `${plan.repo}: GitHub App private key`);
  return { kind: 'app', appId: auth.appId, installationId: auth.installationId, privateKey: privateKey! };
}

/**
 * The dependency adapters of a worker: GitHub per repository (clients cached by API URL and
 * credentials, so the throttling state is shared), the pinned Renovate CLI, and checkouts under
 * `<dataDir>/deps`.
 */
export function productionDependencyDeps(opts: { dataDir: string; throttle?: boolean; renovatePath?: string }): DependencyDeps {
  const clients = new Map<string, GitHubClient>();
  return {
    depsWorkDir: join(opts.dataDir, 'deps'),
    github: async (plan) => {
      const auth = githubAuthFor(plan);
      const key = JSON.stringify([plan.github.baseUrl, auth]);
      let client = clients.get(key);
      if (!client) {
        client = createGitHub({ baseUrl: plan.github.baseUrl, auth, ...(opts.throttle !== undefined ? { throttle: opts.throttle } : {}) });
        clients.set(key, client);
      }
      return client;
    },
    renovate: (request) => runRenovateLookup(request, opts.renovatePath !== undefined ? { renovatePath: opts.renovatePath } : {}),
  };
}
