/**
 * OpenID Connect sign-in for the console, with openid-client: the authorization code flow with
 * PKCE, state and nonce; the library validates the ID token (signature from the provider's JWKS,
 * issuer, audience, expiry, nonce). The role comes from a claim (policies/console/oidc.ts).
 */
import * as oidc from 'openid-client';
import type { Environment } from '../policies/common/environment';
import { EnvironmentError } from '../policies/common/environment';
import { claimValues, oidcDisplayName, parseOidcRoleMapping, roleFromClaims, type OidcRoleMapping } from '../policies/console/oidc';
import type { ConsoleIdentity } from './consoleAccess';
import { readEnvironmentFile } from './files';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** Undefined: a public client (PKCE alone). */
  clientSecret?: string;
  rolesClaim: string;
  mapping: OidcRoleMapping;
  scopes: string;
}

/** The settings MAINT_CONSOLE_OIDC_* give (the secret read from its file if so); undefined: not configured. */
export function oidcSettings(env: Environment): OidcSettings | undefined {
  if (env.MAINT_CONSOLE_OIDC_ISSUER === undefined) return undefined;
  const parsed = parseOidcRoleMapping(env.MAINT_CONSOLE_OIDC_ROLES ?? '');
  if ('error' in parsed) throw new EnvironmentError(`MAINT_CONSOLE_OIDC_ROLES: ${parsed.error}`);
  let clientSecret = env.MAINT_CONSOLE_OIDC_CLIENT_SECRET;
  if (clientSecret === undefined && env.MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE !== undefined) {
    clientSecret = readEnvironmentFile('MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE', env.MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE).toString('utf8').trim();
    if (clientSecret === '') throw new EnvironmentError(`MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE=${env.MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE}: the file is empty`);
  }
  return {
    issuer: env.MAINT_CONSOLE_OIDC_ISSUER, clientId: env.MAINT_CONSOLE_OIDC_CLIENT_ID!, ...(clientSecret !== undefined ? { clientSecret } : {}),
    rolesClaim: env.MAINT_CONSOLE_OIDC_ROLES_CLAIM, mapping: parsed.mapping, scopes: env.MAINT_CONSOLE_OIDC_SCOPES,
  };
}

/** A sign-in begun in a browser: what its callback must match. One use, ten minutes. */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  next: string;
  expiresAt: number;
}

const PENDING_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

export type OidcOutcome =
  | { identity: ConsoleIdentity; next: string }
  | { refused: string; status: 400 | 403 | 502 };

export class OidcSignIn {
  private discovered: Promise<oidc.Configuration> | undefined;
  private readonly pending = new Map<string, Pending>();

  constructor(readonly settings: OidcSettings) {}

  /** The provider's host, for the sign-in button. */
  get provider(): string {
    return new URL(this.settings.issuer).host;
  }

  /** Discovery, once; a failure is not kept (the provider may be back on the next try). */
  private configuration(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    const loopback = new URL(issuer).protocol === 'http:';
    this.discovered ??= oidc.discovery(new URL(issuer), clientId, clientSecret, clientSecret !== undefined ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
      // The environment accepts http:// only for a provider on this machine (127.0.0.1, localhost).
      ...(loopback ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 10,
    }).catch((err: unknown) => {
      this.discovered = undefined;
      throw err;
    });
    return this.discovered;
  }

  /** Starts a sign-in: the provider's authorization URL and the id of what the callback must match (kept in a cookie). */
  async begin(redirectUri: string, next: string, now = Date.now()): Promise<{ pendingId: string; url: string }> {
    const config = await this.configuration();
    for (const [id, p] of this.pending) if (p.expiresAt <= now || this.pending.size >= MAX_PENDING) this.pending.delete(id);
    const pending: Pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), redirectUri, next, expiresAt: now + PENDING_MS };
    const pendingId = oidc.randomState();
    this.pending.set(pendingId, pending);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: this.settings.scopes, response_type: 'code',
      state: pending.state, nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier), code_challenge_method: 'S256',
    });
    return { pendingId, url: url.href };
  }

  /** The provider sent the browser back: checks state, exchanges the code, validates the ID token and maps the role. */
  async finish(pendingId: string | undefined, search: string, now = Date.now()): Promise<OidcOutcome> {
    const pending = pendingId !== undefined ? this.pending.get(pendingId) : undefined;
    if (pendingId !== undefined) this.pending.delete(pendingId);
    if (!pending || pending.expiresAt <= now) return { refused: 'This sign-in was not started in this browser, or it is older than 10 minutes. Start it again.', status: 400 };
    const params = new URLSearchParams(search);
    if (params.has('error')) return { refused: `The identity provider refused the sign-in: ${params.get('error')}${params.has('error_description') ? ` (${params.get('error_description')})` : ''}.`, status: 403 };
    let config: oidc.Configuration;
    try {
      config = await this.configuration();
    } catch (err) {
      return { refused: `The identity provider ${this.provider} does not answer: ${(err as Error).message}`, status: 502 };
    }
    const callback = new URL(pending.redirectUri);
    callback.search = search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true,
      });
      claims = { ...tokens.claims()! };
      // Many providers send profile and group claims from the UserInfo endpoint only, not in the ID token.
      if (claimValues(claims, this.settings.rolesClaim).length === 0 && config.serverMetadata().userinfo_endpoint !== undefined) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub as string);
        claims = { ...info, ...claims };
      }
    } catch (err) {
      // openid-client says "invalid response encountered" and keeps what was wrong (state, nonce, signature…) in the cause.
      const cause = (err as Error).cause;
      return { refused: `Sign-in refused: ${(err as Error).message.replace(/\.$/, '')}${cause instanceof Error ? ` (${cause.message})` : ''}.`, status: 403 };
    }
    const name = oidcDisplayName(claims);
    const role = roleFromClaims(claims, this.settings.rolesClaim, this.settings.mapping);
    if (role === undefined) {
      const values = claimValues(claims, this.settings.rolesClaim);
      return {
        refused: `${name} signed in at ${this.provider}, but no role in this console is given to ${values.length ? `any of ${this.settings.rolesClaim} ${values.join(', ')}` : `someone without a ${this.settings.rolesClaim} claim`}. Ask an administrator to add you to a group that has one.`,
        status: 403,
      };
    }
    return { identity: { name, role, via: 'oidc', subject: `${claims.sub as string}@${this.provider}` }, next: pending.next };
  }
}
