import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { failureReply, type InjectedFailure } from './failures';
import { failure, notFound, type Reply, type Route, type RouteContext } from './http';
import { serveGitHttp } from './httpBackend';
import type { FakeState } from './state';

export interface RequestLogEntry {
  method: string;
  /** API path without query and without `/api/v3` (`/repos/acme/web/pulls`), or the git path for clones. */
  path: string;
  query: string;
  status: number;
  /** The answer was an injected failure (with `afterApply`, the change itself did land). */
  injected: boolean;
  /** What authenticated the request: a PAT, an installation token, an app JWT, or nothing. */
  auth: 'pat' | 'installation' | 'jwt' | 'none';
  /** When the request arrived (ms since the epoch): retry waits show as gaps. */
  at: number;
}

/** Something the test does (e.g. another actor opening the same PR) just before a matching request is handled. */
export interface RequestHook {
  method: string;
  pathRegex: RegExp;
  times: number;
  run: () => Promise<void> | void;
}

const GIT_PATH = /^\/[^/]+\/[^/]+\.git(\/.*)?$/;

function credential(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(/\s+/, 2) as [string, string?];
  if (/^(token|bearer)$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) return Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':');
  return null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  const isText = typeof reply.body === 'string';
  const payload = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(payload ? { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' } : {}),
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': `FAKE:${Date.now().toString(16)}`,
    ...reply.headers,
  });
  res.end(payload);
}

/**
 * The HTTP side of the fake: authentication, the request log, injected failures, routing. API requests are
 * handled one at a time (GitHub's writes are atomic per request; a chain keeps the fake's state consistent).
 */
export function createFakeServer(state: FakeState, routes: Route[], log: RequestLogEntry[], failures: InjectedFailure[], hooks: RequestHook[]): Server {
  let queue: Promise<unknown> = Promise.resolve();

  async function handleApi(method: string, raw: string, url: URL, path: string, apiUrl: string, headers: IncomingMessage['headers']): Promise<{ reply: Reply; injected: boolean }> {
    let body: Record<string, unknown> = {};
    if (raw.trim()) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return { reply: failure(400, 'Problems parsing JSON'), injected: false };
      }
    }
    const hook = hooks.find((h) => h.times > 0 && h.method.toUpperCase() === method && h.pathRegex.test(path));
    if (hook) {
      hook.times -= 1;
      await hook.run();
    }
    const injected = failures.find((f) => f.times > 0 && f.method.toUpperCase() === method && f.pathRegex.test(path));
    if (injected) injected.times -= 1;
    if (injected && !injected.afterApply) return { reply: failureReply(injected), injected: true };

    let reply: Reply = notFound();
    for (const r of routes) {
      const match = r.method === method ? r.pattern.exec(path) : null;
      if (!match) continue;
      const params = { ...match.groups };
      const ctx: RouteContext = { state, params, query: url.searchParams, body, apiUrl, webUrl: url.origin, pathWithQuery: path + url.search, headers };
      reply = await r.handler(ctx);
      break;
    }
    return injected ? { reply: failureReply(injected), injected: true } : { reply, injected: false };
  }

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const method = req.method ?? 'GET';
    const token = credential(req);
    const kind = token ? state.tokens.get(token) : undefined;
    const authRequired = state.tokens.size > 0 || state.app !== undefined;

    if (GIT_PATH.test(url.pathname)) {
      const entry: RequestLogEntry = { method, path: url.pathname, query: url.search, status: 0, injected: false, auth: kind ?? 'none', at: Date.now() };
      log.push(entry);
      res.once('finish', () => (entry.status = res.statusCode));
      if (authRequired && !kind) {
        send(res, { status: 401, headers: { 'www-authenticate': 'Basic realm="GitHub"' }, body: 'Authentication required' });
        return;
      }
      serveGitHttp(state.root, req, res, url.pathname, url.search.slice(1));
      return;
    }

    // GitHub Enterprise layout (/api/v3/..., /api/graphql) and github.com layout (/...) are both served.
    // Octokit sends `git/ref/heads%2Fmain`; GitHub reads it as `git/ref/heads/main`, and so does the fake.
    let pathname = url.pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      // not percent-encoded after all
    }
    const onEnterprise = pathname.startsWith('/api/v3/') || pathname === '/api/graphql';
    const path = pathname === '/api/graphql' ? '/graphql' : onEnterprise ? pathname.slice('/api/v3'.length) : pathname;
    const apiUrl = onEnterprise ? `${url.origin}/api/v3` : url.origin;
    const isAppTokenRequest = /^\/app\/installations\/[^/]+\/access_tokens$/.test(path);
    const auth: RequestLogEntry['auth'] = isAppTokenRequest ? 'jwt' : kind ?? 'none';
    const entry: RequestLogEntry = { method, path, query: url.search, status: 0, injected: false, auth, at: Date.now() };
    log.push(entry);

    const answer = ({ reply, injected }: { reply: Reply; injected: boolean }) => {
      entry.status = reply.status;
      entry.injected = injected;
      // GitHub names a classic token's scopes on every answer to it, whatever the status.
      send(res, kind === 'pat' && state.tokenScopes !== undefined ? { ...reply, headers: { ...reply.headers, 'x-oauth-scopes': state.tokenScopes.join(', ') } } : reply);
    };
    if (authRequired && !isAppTokenRequest && !kind) {
      req.resume();
      answer({ reply: failure(401, 'Bad credentials'), injected: false });
      return;
    }
    const run = readBody(req).then((raw) => {
      const handled = queue.then(() => handleApi(method, raw, url, path, apiUrl, req.headers));
      queue = handled.catch(() => undefined);
      return handled;
    });
    run.then(answer, (err: Error) => answer({ reply: { status: 500, body: { message: `GitHub fake: ${err.message}` } }, injected: false }));
  });
}
