import { randomBytes, verify } from 'node:crypto';
import { failure, json, notFound, route, type Route, type RouteContext } from '../http';
import { timestamp } from '../state';

function base64url(part: string): Buffer {
  return Buffer.from(part, 'base64url');
}

/** Why the `Authorization: Bearer <JWT>` is not a valid app JWT for the configured app, or null when it is. */
function rejectJwt(ctx: RouteContext): string | null {
  const app = ctx.state.app!;
  const header = String(ctx.headers.authorization ?? '');
  const jwt = /^bearer\s+(.+)$/i.exec(header)?.[1];
  const parts = jwt?.split('.');
  if (!parts || parts.length !== 3) return 'A JSON web token could not be decoded';
  const [h, p, s] = parts as [string, string, string];
  let head: { alg?: string };
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  try {
    head = JSON.parse(base64url(h).toString('utf8')) as { alg?: string };
    claims = JSON.parse(base64url(p).toString('utf8')) as typeof claims;
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (head.alg !== 'RS256') return `'alg' must be RS256, got ${String(head.alg)}`;
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), app.publicKey, base64url(s))) return 'A JSON web token could not be decoded';
  if (String(claims.iss) !== app.appId) return "'Issuer' claim ('iss') must be an Integer (the App's id)";
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now) return "'Expiration time' claim ('exp') is too far in the past";
  if (claims.exp - now > 600 + 60) return "'Expiration time' claim ('exp') is too far in the future";
  if (typeof claims.iat !== 'number' || claims.iat > now + 60) return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
  return null;
}

/** GitHub App installation tokens: POST /app/installations/:id/access_tokens, authenticated by an RS256 JWT. */
export const appRoutes: Route[] = [
  route('POST', '/app/installations/:id/access_tokens', async (ctx) => {
    const app = ctx.state.app;
    if (!app) return notFound();
    const problem = rejectJwt(ctx);
    if (problem) return failure(401, problem);
    if (Number(ctx.params.id) !== app.installationId) return notFound();
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    ctx.state.tokens.set(token, 'installation');
    return json(201, {
      token,
      expires_at: timestamp(new Date(Date.now() + 3600_000)),
      permissions: { contents: 'write', pull_requests: 'write', issues: 'write', statuses: 'read', checks: 'read', metadata: 'read' },
      repository_selection: 'all',
    });
  }),
];
