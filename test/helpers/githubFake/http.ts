import type { FakeState } from './state';

/** What a route answers; the server turns it into an HTTP response (or swaps it for an injected failure). */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless it is a string. */
  body?: unknown;
}

export interface RouteContext {
  state: FakeState;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON request body ({} when empty). */
  body: Record<string, unknown>;
  /** The API root the client used, without trailing slash: `http://127.0.0.1:PORT` or `.../api/v3`. */
  apiUrl: string;
  /** The web root (html_url, clone_url): `http://127.0.0.1:PORT`. */
  webUrl: string;
  /** The path the client asked for, below the API root, with the query. */
  pathWithQuery: string;
  headers: Record<string, string | string[] | undefined>;
}

export type RouteHandler = (ctx: RouteContext) => Promise<Reply>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: RouteHandler;
}

/**
 * `/repos/:owner/:repo/git/ref/*ref` → a RegExp with named groups; `*name` swallows slashes
 * (branch names such as `deps/lodash-4.x` contain them).
 */
export function route(method: string, template: string, handler: RouteHandler): Route {
  const source = template
    .split('/')
    .map((part) => (part.startsWith(':') ? `(?<${part.slice(1)}>[^/]+)` : part.startsWith('*') ? `(?<${part.slice(1)}>.+)` : part.replace(/[.]/g, '\\.')))
    .join('/');
  return { method, pattern: new RegExp(`^${source}$`), handler };
}

const DOCS = 'https://docs.github.com/rest';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export function notFound(): Reply {
  return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
}

/** GitHub's 422 with an `errors` list, e.g. for pulls.create. */
export function validationFailed(errors: Array<Record<string, unknown>>): Reply {
  return json(422, { message: 'Validation Failed', errors, documentation_url: DOCS, status: '422' });
}

/** GitHub's 4xx with only a message, e.g. 422 "Reference already exists", 405 "Pull Request is not mergeable". */
export function failure(status: number, message: string): Reply {
  return json(status, { message, documentation_url: DOCS, status: String(status) });
}

/** A slice of `items` as GitHub pages lists (`per_page` ≤ 100, default 30), with its Link header. */
export function paginate<T>(ctx: RouteContext, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(ctx.query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(ctx.query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const pageUrl = (n: number) => {
    const url = new URL(ctx.apiUrl + ctx.pathWithQuery);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
  if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
  return { items: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(', ') } : {} };
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}
