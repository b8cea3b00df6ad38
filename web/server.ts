import { createServer, type Server } from 'node:http';
import type { Language } from '../policies/organisation/schema';
import { escapeHtml } from '../policies/notices/render';
import type { WindowPlan, WindowStatus } from '../policies/windows/types';
import { atomFeed, icsFeed, publicMaintenance, statusText, type PublicMaintenance } from './feeds';
import { listen } from './listen';

export interface FeedSource {
  load(): Promise<{ plans: WindowPlan[]; runs: WindowStatus[] }>;
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

/**
 * The public, read-only feeds of `maint serve`: JSON, iCalendar and Atom of upcoming, ongoing
 * and past maintenance, for all services or one (`?service=webshop`), in nl or en (`?lang=nl`).
 * What Temporal answered is reused for `cacheMs` by every request (requests that arrive while
 * it is being asked wait for that one answer); once it is older and Temporal cannot be asked,
 * the answer is 503.
 */
export async function startFeedServer(source: FeedSource, options: { port: number; host?: string; publicUrl?: string; cacheMs?: number; answerWithinMs?: number }): Promise<FeedServer> {
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
  const answerWithinMs = options.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS;
  type Snapshot = { at: number; items: PublicMaintenance[]; organisation: string };
  let cached: Snapshot | undefined;
  let loading: Promise<Snapshot> | undefined;
  const items = async (): Promise<Snapshot> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached;
    loading ??= source
      .load()
      .then(({ plans, runs }) => (cached = { at: Date.now(), items: publicMaintenance(plans, runs, new Date()), organisation: plans[0]?.organisation.name ?? 'Maintenance' }))
      .finally(() => (loading = undefined));
    // The client retries an unreachable Temporal for about 20 s: a page waits at most this long (the ask goes on for the next request).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Temporal did not answer within ${answerWithinMs / 1000} s`)), answerWithinMs);
    });
    return Promise.race([loading, late]).finally(() => clearTimeout(timer));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const lang: Language = url.searchParams.get('lang') === 'nl' ? 'nl' : 'en';
      const route = url.pathname.match(/^(?:\/services\/([a-z0-9-]+))?\/maintenance\.(json|ics|atom)$/);
      const service = route?.[1] ?? url.searchParams.get('service') ?? undefined;
      const base = options.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;
      try {
        const { items: all, organisation } = await items();
        const selected = service ? all.filter((m) => m.services.some((s) => s.name === service)) : all;
        if (route?.[2] === 'json') {
          send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ organisation, generatedAt: new Date().toISOString(), ...(service ? { service } : {}), maintenance: selected }, null, 2));
        } else if (route?.[2] === 'ics') {
          send(res, 200, 'text/calendar; charset=utf-8', icsFeed(selected, { organisation, lang, url: base }));
        } else if (route?.[2] === 'atom') {
          send(res, 200, 'application/atom+xml; charset=utf-8', atomFeed(selected, { organisation, lang, url: `${base}/` }));
        } else if (url.pathname === '/' || url.pathname === '/index.html') {
          send(res, 200, 'text/html; charset=utf-8', statusPage(organisation, selected, lang));
        } else {
          send(res, 404, 'text/plain; charset=utf-8', 'not found: try /maintenance.json, /maintenance.ics or /maintenance.atom\n');
        }
      } catch (err) {
        // Not cached by calendars or proxies, and asked again soon: the next ask may well be answered.
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' }).end(`maintenance status is unavailable right now (${(err as Error).message.split('\n')[0]})\n`);
      }
    })();
  });
  return listen(server, options.port, options.host);
}

function send(res: import('node:http').ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'public, max-age=30' }).end(body);
}

function statusPage(organisation: string, items: PublicMaintenance[], lang: Language): string {
  const rows = items
    .map((m) => `<tr><td>${escapeHtml(statusText(m.status, lang))}</td><td>${escapeHtml(m.title[lang])}</td><td>${escapeHtml(m.services.map((s) => s.title[lang]).join(', '))}</td><td><time datetime="${m.start}">${m.start}</time></td><td><time datetime="${m.end}">${m.end}</time></td></tr>`)
    .join('\n');
  const heading = lang === 'nl' ? 'Onderhoud' : 'Maintenance';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(organisation)} — ${heading}</title></head><body>
<h1>${escapeHtml(organisation)} — ${heading}</h1>
<p><a href="maintenance.ics?lang=${lang}">iCal</a> · <a href="maintenance.atom?lang=${lang}">Atom</a> · <a href="maintenance.json">JSON</a></p>
<table><thead><tr><th>Status</th><th>${heading}</th><th>${lang === 'nl' ? 'Diensten' : 'Services'}</th><th>Start (UTC)</th><th>${lang === 'nl' ? 'Einde' : 'End'} (UTC)</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}
