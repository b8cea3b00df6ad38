import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Language } from '../policies/organisation/schema';
import { isKnownTimezone } from '../policies/windows/schema';
import type { OrganisationInfo, WindowPlan, WindowStatus } from '../policies/windows/types';
import type { PublicServiceStatus } from '../control/statusPage';
import { atomFeed, icsFeed, publicMaintenance, type PublicMaintenance } from './feeds';
import { listen } from './listen';
import { renderStatusPage } from './statusPage';

/** What the feeds and the page are made of; control/statusPage.ts publicStatusSource() reads it from Temporal and the store. */
export interface FeedSource {
  load(): Promise<{
    plans: WindowPlan[];
    runs: WindowStatus[];
    services?: PublicServiceStatus[];
    servicesUnavailable?: string;
    organisation?: OrganisationInfo;
    /** The organisation's zone: times on the page when the reader's is not known. */
    timezone?: string;
  }>;
}

export interface FeedServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Default for `cacheMs`: feeds are polled by many calendars, Temporal is asked once per this long. */
export const DEFAULT_CACHE_MS = 3_000;
/** Default for `answerWithinMs`: longer than this and the page is a 503, not a hanging request. */
export const DEFAULT_ANSWER_WITHIN_MS = 5_000;
/** Default for `staleMs`: an answer this old is still served while Temporal is slow or away (stale-while-revalidate). */
export const DEFAULT_STALE_MS = 10 * 60_000;
/** Default for `slowMs`: with a recent answer at hand, a refresh is waited for this long before that answer is served. */
export const DEFAULT_SLOW_MS = 1_000;

interface Snapshot {
  at: number;
  items: PublicMaintenance[];
  organisation: OrganisationInfo;
  timezone: string;
  services: PublicServiceStatus[];
  servicesUnavailable?: string;
}

/**
 * The public, read-only feeds of `maint serve`: JSON, iCalendar and Atom of upcoming, ongoing
 * and past maintenance, and the status page, for all services or one (`?service=webshop`), in nl
 * or en (`?lang=nl`), the page in a timezone (`?tz=Europe/Amsterdam`). What the source answered is
 * reused for `cacheMs` by every request (requests that arrive while it is being asked wait for that
 * one answer). Once it is older, the source is asked again; if that takes longer than `slowMs` (or
 * fails) an answer younger than `staleMs` is served meanwhile; without one, a request waits up to
 * `answerWithinMs` and then gets a 503.
 */
export async function startFeedServer(source: FeedSource, options: { port: number; host?: string; publicUrl?: string; cacheMs?: number; answerWithinMs?: number; staleMs?: number; slowMs?: number }): Promise<FeedServer> {
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const answerWithinMs = options.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS;
  const staleMs = Math.max(cacheMs, options.staleMs ?? DEFAULT_STALE_MS);
  const slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
  let cached: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  const refresh = (): Promise<Snapshot> => {
    loading ??= source
      .load()
      .then((data) => {
        const now = new Date();
        const organisation = data.organisation ?? data.plans[0]?.organisation ?? { name: 'Maintenance', contact: { email: '' } };
        return (cached = {
          at: now.getTime(), items: publicMaintenance(data.plans, data.runs, now), organisation, timezone: data.timezone ?? data.plans[0]?.timing.timezone ?? 'UTC',
          services: data.services ?? [], ...(data.servicesUnavailable !== undefined ? { servicesUnavailable: data.servicesUnavailable } : {}),
        });
      })
      .finally(() => (loading = undefined));
    return loading;
  };
  const snapshot = async (): Promise<Snapshot> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached;
    const pending = refresh();
    const recent = cached && Date.now() - cached.at < staleMs ? cached : undefined;
    // The client retries an unreachable Temporal for about 20 s: a page waits at most this long (the ask goes on for the next request).
    const waitMs = recent ? slowMs : answerWithinMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${waitMs / 1000} s`)), waitMs);
    });
    try {
      return await Promise.race([pending, late]);
    } catch (err) {
      if (recent) return recent;
      throw err;
    } finally {
      clearTimeout(timer);
      pending.catch(() => undefined); // a failed refresh is told to the requests that waited for it, not left unhandled
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const lang = languageOf(url, req);
      const route = url.pathname.match(/^(?:\/services\/([a-z0-9-]+))?\/maintenance\.(json|ics|atom)$/);
      const page = url.pathname.match(/^(?:\/services\/([a-z0-9-]+))?\/(?:index\.html)?$/);
      const service = route?.[1] ?? page?.[1] ?? url.searchParams.get('service') ?? undefined;
      const base = options.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;
      if (!route && !page) {
        send(res, 404, 'text/plain; charset=utf-8', 'not found: try /, /maintenance.json, /maintenance.ics or /maintenance.atom\n');
        return;
      }
      try {
        const snap = await snapshot();
        const { items: all, organisation } = snap;
        const selected = service ? all.filter((m) => m.services.some((s) => s.name === service)) : all;
        if (route?.[2] === 'json') {
          send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ organisation: organisation.name, generatedAt: new Date(snap.at).toISOString(), ...(service ? { service } : {}), maintenance: selected }, null, 2));
        } else if (route?.[2] === 'ics') {
          send(res, 200, 'text/calendar; charset=utf-8', icsFeed(selected, { organisation: organisation.name, lang, url: base }));
        } else if (route?.[2] === 'atom') {
          send(res, 200, 'application/atom+xml; charset=utf-8', atomFeed(selected, { organisation: organisation.name, lang, url: `${base}/` }));
        } else {
          const tz = url.searchParams.get('tz');
          const chosen = tz !== null && isKnownTimezone(tz);
          send(res, 200, 'text/html; charset=utf-8', renderStatusPage({
            organisation, maintenance: selected, services: snap.services, asOf: snap.at, now: Date.now(), lang,
            timezone: chosen ? tz : snap.timezone, timezoneChosen: chosen,
            ...(service ? { service } : {}), ...(snap.servicesUnavailable !== undefined ? { servicesUnavailable: snap.servicesUnavailable } : {}),
          }), { vary: 'accept-language' });
        }
      } catch (err) {
        // Not cached by calendars or proxies, and asked again soon: the next ask may well be answered.
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' }).end(`maintenance status is unavailable right now (${(err as Error).message.split('\n')[0]})\n`);
      }
    })();
  });
  return listen(server, options.port, options.host);
}

/** `?lang=nl|en`; else the first of nl/en the browser asks for (Accept-Language); else en. */
function languageOf(url: URL, req: IncomingMessage): Language {
  const asked = url.searchParams.get('lang');
  if (asked === 'nl' || asked === 'en') return asked;
  for (const part of (req.headers['accept-language'] ?? '').split(',')) {
    const primary = part.trim().split(';')[0]!.split('-')[0]!.toLowerCase();
    if (primary === 'nl' || primary === 'en') return primary;
  }
  return 'en';
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'public, max-age=30', ...headers }).end(body);
}
