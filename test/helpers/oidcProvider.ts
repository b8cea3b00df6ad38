// A real OpenID Connect provider for tests: panva's oidc-provider (the certified implementation) on
// 127.0.0.1, with its own login and consent pages (devInteractions: any password signs in the login
// given) and the accounts a test names, each with its e-mail and groups.
import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../harness/ports';

export interface TestOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

export async function startOidcProvider(options: {
  client: { clientId: string; clientSecret: string; redirectUri: string };
  accounts: Record<string, { email: string; groups: string[] }>;
}): Promise<TestOidcProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: options.client.clientId, client_secret: options.client.clientSecret,
      redirect_uris: [options.client.redirectUri], grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups'],
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    cookies: { keys: ['test-only-cookie-signing-key-0123456789'] },
    findAccount(_ctx, sub) {
      const account = options.accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: account.email, email_verified: true, groups: account.groups }) };
    },
  });
  const server: Server = provider.listen(port);
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  return {
    issuer,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
