/**
 * The operations console (`maint console`): Hono on Node's HTTP server, bound to 127.0.0.1 unless
 * told. Pages for people (signed in with a password: an opaque session id in an HttpOnly,
 * SameSite=Strict cookie, Secure behind an https public URL) and JSON under /api/ for the pages
 * and for scripts (a bearer token). Every state-changing request of a session carries its CSRF
 * token and comes from the console's own origin; roles decide what each identity may do.
 */
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { TemporalUnreachableError } from '../../control/connection';
import type { ConsoleAccess, ConsoleIdentity } from '../../control/consoleAccess';
import { controlWindowAs, occurrenceView, windowCalendar } from '../../control/calendar';
import type { OidcSignIn } from '../../control/consoleOidc';
import { dependencyOverview, auditTrail, controlRolloutAs, hostLines, nowOverview, rolloutCardOf, serviceLines, type ConsoleContext } from '../../control/console';
import { InvalidInputError, OperationFailedError } from '../../control/errors';
import { allows, PERMISSIONS, type ConsolePermission } from '../../policies/console/roles';
import { SignInLimiter, waitText } from '../../policies/console/signInLimit';
import type { RolloutControlAction } from '../../policies/console/rolloutControls';
import { AUDIT_ACTIONS } from '../../store/audit';
import { listen, type Listening } from '../listen';
import { CONSOLE_CSS, CONSOLE_JS } from './assets';
import { auditPage, calendarPage, dependenciesPage, confirmPage, errorPage, occurrenceHref, occurrencePage, windowConfirmPage, hostsPage, loginPage, oidcContinuePage, nowLive, nowPage, rolloutPage, rolloutSection, servicesPage, type Viewer } from './pages';
import { csrfMatches, SessionBook, type ConsoleSession } from './session';

export interface ConsoleOptions {
  context: ConsoleContext;
  access: ConsoleAccess;
  /** The URL people use (links, the origin forms must come from, Secure cookies when https; OpenID Connect's redirect URI). */
  publicUrl?: string;
  /** OpenID Connect sign-in (MAINT_CONSOLE_OIDC_*), beside the local users. */
  oidc?: OidcSignIn;
  /** The rate limit of password sign-in (default: policies/console/signInLimit.ts SIGN_IN_LIMITS). */
  signInLimiter?: SignInLimiter;
}

type Env = { Variables: { identity: ConsoleIdentity; session: ConsoleSession | undefined } };

const rolloutIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,120}$/, 'expected a rollout id');
const actionSchema = z.enum(['pause', 'resume', 'approve', 'abort']);
const windowNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,120}$/, 'expected a window name');
const windowActionSchema = z.enum(['cancel', 'extend', 'override']);
const calendarQuerySchema = z.strictObject({ view: z.enum(['month', 'week']).optional(), date: z.string().max(20).optional(), tz: z.string().max(64).optional() });
const windowControlBodySchema = z.strictObject({ reason: z.string().min(1).max(500), minutes: z.number().int().min(1).max(1440).optional() });
const controlBodySchema = z.strictObject({ reason: z.string().max(500).optional() });
const isoDate = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected a date such as 2026-12-01 or 2026-12-01T08:00:00Z');
const auditQuerySchema = z.strictObject({
  actor: z.string().max(100).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  subject: z.string().max(200).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

/** Query strings: empty fields (an untouched form input) count as absent. */
const presentQuery = (c: Context) => Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));

function validationMessage(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/** A JSON body ({} when empty); anything else is a 400. */
async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'body: expected JSON such as {"reason": "…"}');
  }
}

class HttpProblem extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 503, message: string) {
    super(message);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpProblem(400, `${what}: ${validationMessage(result.error)}`);
  return result.data;
}

function problemOf(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof InvalidInputError) return new HttpProblem(/^no (rollout|window|occurrence|page)\b/.test(err.message) ? 404 : 400, err.message);
  if (err instanceof OperationFailedError) return new HttpProblem(409, err.message);
  if (err instanceof TemporalUnreachableError) return new HttpProblem(503, err.message.split('\n')[0]!);
  return new HttpProblem(503, `not available right now: ${(err as Error).message.split('\n')[0]}`);
}

export function consoleApp(options: ConsoleOptions): Hono<Env> {
  const { context: ctx, access } = options;
  const sessions = new SessionBook(ctx.store);
  const limiter = options.signInLimiter ?? new SignInLimiter();
  const secure = options.publicUrl?.startsWith('https://') ?? false;
  const cookieName = secure ? '__Host-maint-session' : 'maint-session';
  const publicOrigin = options.publicUrl !== undefined ? new URL(options.publicUrl).origin : undefined;
  const app = new Hono<Env>();
  const isApi = (c: Context) => c.req.path.startsWith('/api/');
  const viewerOf = (c: Context<Env>): Viewer => ({ identity: c.get('identity'), csrf: c.get('session')?.csrf ?? '' });

  /** The request comes from the console's own pages: its Origin (or, without one, its Referer) is ours. */
  const sameOrigin = (c: Context) => {
    const origin = c.req.header('origin') ?? (c.req.header('referer') ? new URL(c.req.header('referer')!).origin : undefined);
    return origin !== undefined && (origin === new URL(c.req.url).origin || origin === publicOrigin);
  };

  app.onError((err, c) => {
    const problem = problemOf(err);
    if (isApi(c)) return c.json({ error: problem.message }, problem.status);
    const identity = c.get('identity') as ConsoleIdentity | undefined;
    return c.html(errorPage(identity ? viewerOf(c) : undefined, problem.status, problem.message), problem.status);
  });

  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', "default-src 'none'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/assets/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=300' }));
  app.get('/assets/console.js', (c) => c.body(CONSOLE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' }));

  // A path of ours: not `//host` nor `/\host` (browsers read a backslash as a slash: another site).
  const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : '/');
  const sso = options.oidc !== undefined ? { provider: options.oidc.provider } : undefined;
  const login = (o: { error?: string; next: string }) => loginPage({ ...o, ...(sso ? { sso } : {}) });
  app.get('/login', (c) => c.html(login({ next: safeNext(c.req.query('next')) })));

  // OpenID Connect: the provider's page signs them in and sends the browser back to the callback. What the
  // callback must match (state, nonce, PKCE verifier) stays on the server; the browser holds its id in a
  // cookie that is SameSite=Lax, since the way back is a navigation from the provider's site.
  const oidcCookie = secure ? '__Host-maint-oidc' : 'maint-oidc';
  app.get('/login/oidc', async (c) => {
    if (!options.oidc) return c.html(errorPage(undefined, 404, 'OpenID Connect sign-in is not configured (MAINT_CONSOLE_OIDC_ISSUER)'), 404);
    const redirectUri = `${publicOrigin ?? new URL(c.req.url).origin}/login/oidc/callback`;
    let begun: { pendingId: string; url: string };
    try {
      begun = await options.oidc.begin(redirectUri, safeNext(c.req.query('next')));
    } catch (err) {
      return c.html(login({ error: `The identity provider ${options.oidc.provider} does not answer: ${(err as Error).message}. Try again, or sign in with a local user.`, next: safeNext(c.req.query('next')) }), 502);
    }
    setCookie(c, oidcCookie, begun.pendingId, { httpOnly: true, sameSite: 'Lax', secure, path: '/', maxAge: 600 });
    return c.redirect(begun.url, 303);
  });
  app.get('/login/oidc/callback', async (c) => {
    if (!options.oidc) return c.html(errorPage(undefined, 404, 'OpenID Connect sign-in is not configured (MAINT_CONSOLE_OIDC_ISSUER)'), 404);
    const outcome = await options.oidc.finish(getCookie(c, oidcCookie), new URL(c.req.url).search);
    deleteCookie(c, oidcCookie, { path: '/', secure });
    if ('refused' in outcome) return c.html(login({ error: outcome.refused, next: '/' }), outcome.status);
    const session = await sessions.open(outcome.identity);
    setCookie(c, cookieName, session.id, { httpOnly: true, sameSite: 'Strict', secure, path: '/' });
    // Not a redirect: a SameSite=Strict cookie is not sent on a redirect chain another site began; a page of ours moves on.
    return c.html(oidcContinuePage(outcome.next));
  });
  app.post('/login', async (c) => {
    // No session yet, so no token to carry: a sign-in from another site's page is refused by its origin.
    if (!sameOrigin(c)) return c.html(login({ error: 'Sign-in refused: the form did not come from this console.', next: '/' }), 403);
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const name = typeof form.name === 'string' ? form.name.slice(0, 200) : '';
    // The peer's address: behind a proxy every client shares the proxy's, so the per-address limit is the proxy's.
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const now = Date.now();
    const wait = limiter.check(name, address, now);
    if (wait) {
      const until = new Date(now + wait.retryAfterMs).toISOString().slice(11, 19);
      const who = wait.reason === 'account' ? `for ${name}` : `from your address (${address})`;
      return c.html(login({ error: `Too many failed sign-ins ${who}: try again in ${waitText(wait.retryAfterMs)} (after ${until} UTC). Each further failure doubles the wait.`, next }), 429, { 'retry-after': String(Math.ceil(wait.retryAfterMs / 1000)) });
    }
    const identity = typeof form.password === 'string' && name !== '' ? await access.signIn(name, form.password) : undefined;
    if (!identity) {
      limiter.failed(name, address, now);
      return c.html(login({ error: 'Wrong user name or password.', next }), 401);
    }
    limiter.succeeded(name);
    const session = await sessions.open(identity);
    setCookie(c, cookieName, session.id, { httpOnly: true, sameSite: 'Strict', secure, path: '/' });
    return c.redirect(next, 303);
  });

  // Who is asking: a script's bearer token, else the browser's session. Nobody: 401 (API) or the sign-in page.
  app.use('*', async (c, next) => {
    const auth = c.req.header('authorization');
    if (auth !== undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
      const identity = token !== undefined ? access.bearer(token) : undefined;
      if (!identity) return c.json({ error: 'unknown bearer token' }, 401, { 'www-authenticate': 'Bearer' });
      c.set('identity', identity);
      c.set('session', undefined);
      return next();
    }
    const session = await sessions.find(getCookie(c, cookieName));
    if (!session) {
      if (isApi(c) || c.req.path.startsWith('/live/')) return c.json({ error: 'sign in first (a session cookie), or send Authorization: Bearer <token>' }, 401);
      return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    }
    c.set('identity', session.identity);
    c.set('session', session);
    return next();
  });

  // CSRF: a browser's state-changing request carries the session's token (form field or header) and comes from our origin.
  app.use('*', async (c, next) => {
    const session = c.get('session');
    if (session && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      let token = c.req.header('x-csrf-token');
      if (token === undefined && (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
        const field = (await c.req.parseBody())._csrf;
        token = typeof field === 'string' ? field : undefined;
      }
      if (!csrfMatches(session, token) || !sameOrigin(c)) throw new HttpProblem(403, 'refused: this request carries no valid CSRF token of your session or does not come from the console itself (reload the page and try again)');
    }
    return next();
  });

  const needs = (c: Context<Env>, permission: ConsolePermission) => {
    const identity = c.get('identity');
    if (!allows(identity.role, permission)) throw new HttpProblem(403, `${identity.name} (${identity.role}) may not do this: it needs the role ${PERMISSIONS[permission]}`);
  };
  const need = (permission: ConsolePermission): MiddlewareHandler<Env> => async (c, next) => {
    needs(c, permission);
    return next();
  };

  app.post('/logout', async (c) => {
    const session = c.get('session');
    if (session) await sessions.close(session.id);
    deleteCookie(c, cookieName, { path: '/', secure });
    return c.redirect('/login', 303);
  });

  // Pages.
  app.get('/', need('read'), async (c) => c.html(nowPage(await nowOverview(ctx), viewerOf(c))));
  app.get('/live/now', need('read'), async (c) => c.html(nowLive(await nowOverview(ctx), viewerOf(c))));
  app.get('/rollouts/:id', need('read'), async (c) => {
    const card = await rolloutCardOf(ctx, parse(rolloutIdSchema, c.req.param('id'), 'rollout id'));
    const done = c.req.query('done');
    return c.html(rolloutPage(card, viewerOf(c), done !== undefined ? `${done.slice(0, 200)}` : undefined));
  });
  app.get('/live/rollouts/:id', need('read'), async (c) => c.html(rolloutSection(await rolloutCardOf(ctx, parse(rolloutIdSchema, c.req.param('id'), 'rollout id')), viewerOf(c), 'h1')));
  app.get('/rollouts/:id/confirm/:action', need('control-rollout'), async (c) => {
    const action = parse(actionSchema, c.req.param('action'), 'action');
    const card = await rolloutCardOf(ctx, parse(rolloutIdSchema, c.req.param('id'), 'rollout id'));
    const control = card.controls.find((k) => k.action === action);
    if (!control) throw new HttpProblem(409, `rollout ${card.rolloutId} is ${card.status}: it does not accept ${action} now`);
    return c.html(confirmPage(card, control, viewerOf(c)));
  });
  app.post('/rollouts/:id/:action', need('control-rollout'), async (c) => {
    const rolloutId = parse(rolloutIdSchema, c.req.param('id'), 'rollout id');
    const action: RolloutControlAction = parse(actionSchema, c.req.param('action'), 'action');
    const form = await c.req.parseBody();
    const reason = typeof form.reason === 'string' ? form.reason.slice(0, 500) : undefined;
    const { approvedWave } = await controlRolloutAs(ctx, rolloutId, action, c.get('identity'), reason);
    const done = action === 'approve' ? `Approved: the rollout goes on after wave ${approvedWave}.` : action === 'abort' ? 'Aborting: the batch in flight is being rolled back.' : action === 'pause' ? 'Paused.' : 'Resumed.';
    return c.redirect(`/rollouts/${rolloutId}?done=${encodeURIComponent(done)}`, 303);
  });
  app.get('/audit', need('read'), async (c) => {
    const filter = parse(auditQuerySchema, presentQuery(c), 'audit filter');
    return c.html(auditPage(await auditTrail(ctx, filter), filter, viewerOf(c)));
  });
  app.get('/calendar', need('read'), async (c) => c.html(calendarPage(await windowCalendar(ctx, parse(calendarQuerySchema, presentQuery(c), 'calendar query')), viewerOf(c))));
  const occurrenceOf = (c: Context) => [parse(windowNameSchema, c.req.param('window'), 'window'), c.req.param('start') ?? ''] as const;
  app.get('/windows/:window/occurrences/:start', need('read'), async (c) => {
    const done = c.req.query('done');
    return c.html(occurrencePage(await occurrenceView(ctx, ...occurrenceOf(c)), viewerOf(c), done !== undefined ? done.slice(0, 200) : undefined));
  });
  app.get('/windows/:window/occurrences/:start/confirm/:action', need('control-window'), async (c) => {
    const action = parse(windowActionSchema, c.req.param('action'), 'action');
    const view = await occurrenceView(ctx, ...occurrenceOf(c));
    const control = view.controls.find((k) => k.action === action);
    if (!control) throw new HttpProblem(409, `window ${view.window} (${view.occurrence.localStart}) does not accept ${action} now${view.run ? ` (its run is ${view.run.status.phase})` : ''}`);
    needs(c, control.permission);
    return c.html(windowConfirmPage(view, control, viewerOf(c)));
  });
  app.post('/windows/:window/occurrences/:start/:action', need('control-window'), async (c) => {
    const [window, start] = occurrenceOf(c);
    const action = parse(windowActionSchema, c.req.param('action'), 'action');
    if (action === 'override') needs(c, 'override');
    const form = await c.req.parseBody();
    const reason = typeof form.reason === 'string' ? form.reason.slice(0, 500) : undefined;
    const minutes = typeof form.minutes === 'string' ? Number(form.minutes) : undefined;
    const status = await controlWindowAs(ctx, window, start, action, c.get('identity'), { ...(reason !== undefined ? { reason } : {}), ...(minutes !== undefined ? { extendMinutes: minutes } : {}) });
    const done = action === 'cancel' ? 'Cancelled: customers who were told get a "cancelled" notice.' : action === 'extend' ? `Extended: the window now ends ${status.end}.` : 'Error budget overridden: the routine tasks run.';
    return c.redirect(`${occurrenceHref(window, start)}?done=${encodeURIComponent(done)}`, 303);
  });
  app.get('/dependencies', need('read'), async (c) => c.html(dependenciesPage(await dependencyOverview(ctx), viewerOf(c))));
  app.get('/hosts', need('read'), async (c) => c.html(hostsPage(await hostLines(ctx), viewerOf(c))));
  app.get('/services', need('read'), async (c) => c.html(servicesPage(await serviceLines(ctx), viewerOf(c))));

  // JSON API (README "Console API"): the same data and controls, for the pages' scripts and for scripts with a token.
  app.get('/api/whoami', (c) => c.json({ name: c.get('identity').name, role: c.get('identity').role, via: c.get('identity').via }));
  app.get('/api/now', need('read'), async (c) => c.json(await nowOverview(ctx)));
  app.get('/api/rollouts/:id', need('read'), async (c) => c.json(await rolloutCardOf(ctx, parse(rolloutIdSchema, c.req.param('id'), 'rollout id'))));
  app.post('/api/rollouts/:id/:action', need('control-rollout'), async (c) => {
    const rolloutId = parse(rolloutIdSchema, c.req.param('id'), 'rollout id');
    const action = parse(actionSchema, c.req.param('action'), 'action');
    const { reason } = parse(controlBodySchema, await jsonBody(c), 'body');
    return c.json({ rolloutId, action, ...(await controlRolloutAs(ctx, rolloutId, action, c.get('identity'), reason)) });
  });
  app.get('/api/audit', need('read'), async (c) => c.json({ events: await auditTrail(ctx, parse(auditQuerySchema, presentQuery(c), 'query')) }));
  app.get('/api/calendar', need('read'), async (c) => c.json(await windowCalendar(ctx, parse(calendarQuerySchema, presentQuery(c), 'query'))));
  app.get('/api/windows/:window/occurrences/:start', need('read'), async (c) => c.json(await occurrenceView(ctx, ...occurrenceOf(c))));
  app.post('/api/windows/:window/occurrences/:start/:action', need('control-window'), async (c) => {
    const [window, start] = occurrenceOf(c);
    const action = parse(windowActionSchema, c.req.param('action'), 'action');
    if (action === 'override') needs(c, 'override');
    const { reason, minutes } = parse(windowControlBodySchema, await jsonBody(c), 'body');
    return c.json(await controlWindowAs(ctx, window, start, action, c.get('identity'), { reason, ...(minutes !== undefined ? { extendMinutes: minutes } : {}) }));
  });
  app.get('/api/dependencies', need('read'), async (c) => c.json(await dependencyOverview(ctx)));
  app.get('/api/hosts', need('read'), async (c) => c.json(await hostLines(ctx)));
  app.get('/api/services', need('read'), async (c) => c.json({ services: await serviceLines(ctx) }));
  app.notFound((c) => (isApi(c) ? c.json({ error: `no endpoint ${c.req.method} ${c.req.path}` }, 404) : c.html(errorPage(c.get('identity') ? viewerOf(c) : undefined, 404, `no page ${c.req.path}`), 404)));
  return app;
}

/** Serves the console on host:port (127.0.0.1 and a free port unless told). */
export async function startConsole(options: ConsoleOptions & { host?: string; port?: number }): Promise<Listening> {
  const app = consoleApp(options);
  const handle = getRequestListener(app.fetch);
  return listen(createServer((req, res) => void handle(req, res)), options.port, options.host);
}
