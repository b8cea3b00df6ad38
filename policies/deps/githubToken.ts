/**
 * What a GitHub token may do, judged from the `X-OAuth-Scopes` header GitHub sends with every
 * answer to a classic personal access token (fine-grained tokens and App installation tokens get
 * none: their permissions are per repository). maint needs contents (read and write), pull requests
 * (read and write) and checks/commit statuses (read); administration scopes are never needed.
 */
export interface TokenScopes {
  /** A classic token: GitHub named its scopes. */
  classic: boolean;
  scopes: string[];
  /** Scopes beyond what maint needs that administer an organisation, repositories or keys. */
  admin: string[];
}

const ADMIN_SCOPE = /^(admin:[a-z_:]+|delete_repo|site_admin|delete:packages|write:org)$/;

/** The header's value (null when GitHub sent none). */
export function tokenScopes(header: string | null): TokenScopes {
  if (header === null) return { classic: false, scopes: [], admin: [] };
  const scopes = header.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return { classic: true, scopes, admin: scopes.filter((s) => ADMIN_SCOPE.test(s)) };
}

/** The doctor's verdict on a token: a warning (text) when it is a classic token with administration scopes. */
export function tokenScopeWarning(what: string, scopes: TokenScopes): string | undefined {
  if (!scopes.classic || scopes.admin.length === 0) return undefined;
  return `${what} is a classic token with administration scopes (${scopes.admin.join(', ')}): whoever reads it from the worker administers what it can reach; `
    + 'use a fine-grained token or a GitHub App with contents: write, pull requests: write, checks: read, commit statuses: read (and administration: read for required checks)';
}
