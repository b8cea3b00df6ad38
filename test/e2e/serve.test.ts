import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import type { PublicMaintenance } from '../../web/feeds';
import { runMaint, startMaint, type LongRunning } from '../helpers/cli';
import { freePort } from '../../harness/ports';
import { uniqueTaskQueue } from '../helpers/temporal';
import { until as waitUntil } from '../helpers/until';

const id = randomUUID().slice(0, 6);
const SHOP = `shop-${id}`;
const API = `api-${id}`;
const ORG = `Smith & Daughters ${id}`;
const CACHE_MS = 10_000;
const STALE_MS = 60_000;

/** A Temporal dev server of this file's own (the real binary, persisted to a file), so the test can stop it and start it again. */
function startTemporal(port: number, dbFilename: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: process.env.MAINT_TEST_TEMPORAL_CLI! }, ip: '127.0.0.1', port, ui: false, dbFilename, extraArgs: ['--log-level', 'error'] },
  });
}

/** ICU writes thin spaces around the dash of a time range: compared as plain spaces. */
const plain = (s: string) => s.replace(/[\u2009\u202f]/g, ' ');

const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000) => waitUntil(what, probe, timeoutMs, 250);

/**
 * The real `maint serve` process in front of a real Temporal server holding two applied windows:
 * the status page, the JSON/iCal/Atom feeds with their `?service=` and `/services/NAME/` filters,
 * the answer cache (`--cache`), the last answer while Temporal is down (`--stale`) and a 503 after
 * that, and recovery when it is back.
 */
describe('maint serve', () => {
  let temporal: TestWorkflowEnvironment | undefined;
  let temporalPort: number;
  let dbFilename: string;
  let serve: LongRunning;
  let base: string;
  const shopStart = DateTime.now().setZone('Europe/Amsterdam').plus({ days: 3 }).set({ hour: 22, minute: 0, second: 0, millisecond: 0 });
  const apiStart = shopStart.plus({ days: 1 });

  let dir: string;
  let env: NodeJS.ProcessEnv;
  const window = (name: string, service: string, at: DateTime) => `
  - name: ${name}
    timezone: Europe/Amsterdam
    recurrence: {kind: once, at: "${at.toFormat("yyyy-LL-dd'T'HH:mm")}"}
    duration: 2h
    services: [${service}]
    impact: {nl: "De kassa's kunnen even traag zijn.", en: "The tills may be slow for a moment."}
    notices: {leadTimes: [1h]}
    preflight: false
`;
  const get = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const json = async (path: string) => (await (await get(path)).json()) as { organisation: string; service?: string; maintenance: PublicMaintenance[] };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maint-serve-'));
    temporalPort = await freePort();
    dbFilename = join(dir, 'temporal.db');
    temporal = await startTemporal(temporalPort, dbFilename);
    const org = join(dir, 'maint.yaml');
    writeFileSync(org, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: "${ORG}", contact: {email: support@smith.example}}
services:
  - {name: ${SHOP}, title: {nl: "Webwinkel & kassa", en: "Web shop & tills"}}
  - {name: ${API}, title: API}
windows:
${window(SHOP, SHOP, shopStart)}${window(API, API, apiStart)}`);
    env = { TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, MAINT_TASK_QUEUE: uniqueTaskQueue('serve') };
    const applied = await runMaint(['apply', '-f', org], env);
    if (applied.code !== 0) throw new Error(`maint apply failed: ${applied.stderr}`);
    const port = await freePort();
    serve = startMaint(['serve', '--port', String(port), '--public-url', 'https://status.smith.example', '--cache', `${CACHE_MS / 1000}s`, '--stale', `${STALE_MS / 1000}s`], env);
    await serve.waitFor(new RegExp(`maintenance feeds of ${ORG} on http://127\\.0\\.0\\.1:\\d+/`));
    base = `http://127.0.0.1:${port}`;
    // Schedules show up in Temporal's list a moment after they are created.
    await until('both windows in the feed', async () => ((await json('/maintenance.json')).maintenance.length === 2 ? true : undefined));
  });
  afterAll(async () => {
    await serve?.stop('SIGTERM');
    await temporal?.teardown();
  });

  it('serves the status page and the feeds, for all services or one, in English or Dutch, with cache headers', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('public, max-age=30');
    const html = plain(await page.text());
    expect(html).toContain('<html lang="en" data-locale="en-GB" data-tz="Europe/Amsterdam">');
    expect(html).toContain(`<title>Smith &amp; Daughters ${id} — Status and maintenance</title>`);
    expect(html).toContain('<a href="maintenance.ics?lang=en">Calendar (iCal)</a>');
    expect(html).toContain('<a href="maintenance.atom?lang=en">Feed (Atom)</a>');
    expect(html).toContain('<a href="mailto:support@smith.example?subject=Please%20send%20me%20maintenance%20notices">E-mail notices</a>');
    // Human times in the windows' zone (the browser's script may move them to the reader's), the instant in datetime.
    const zone = (at: DateTime) => at.setLocale('en-GB').toFormat('ZZZZ');
    const day = (at: DateTime, locale: string) => `${at.setLocale(locale).toFormat('cccc d LLLL')}${at.year === DateTime.now().setZone('Europe/Amsterdam').year ? '' : ` ${at.year}`}`;
    expect(html).toContain(`<time datetime="${shopStart.toUTC().toISO()}" data-when="range" data-end="${shopStart.plus({ hours: 2 }).toUTC().toISO()}">${day(shopStart, 'en-GB')} at 22:00 ${zone(shopStart)} – ${day(shopStart.plus({ hours: 2 }), 'en-GB')} at 00:00 ${zone(shopStart)}</time>`);
    expect(html).toContain(`<time datetime="${apiStart.toUTC().toISO()}" data-when="range"`);
    expect(html).toContain('<dt>What changes for you</dt><dd>The tills may be slow for a moment.</dd>');
    // No probes in this file: said so, not guessed.
    expect(html.match(/<span aria-hidden="true">–<\/span> Not monitored/g)).toHaveLength(2);
    expect(html.match(/<article class="card m-scheduled"/g)).toHaveLength(2);
    const nl = plain(await (await get(`/?lang=nl&service=${SHOP}`)).text());
    expect(nl).toContain('<html lang="nl"');
    expect(nl).toContain('<h1>Status en onderhoud</h1>');
    expect(nl.match(/<article class="card m-scheduled"[\s\S]*?<\/article>/g)).toEqual([expect.stringContaining('<h3>Webwinkel &amp; kassa</h3><span class="badge s-scheduled"><span aria-hidden="true">◷</span> Gepland</span>')]);
    expect(nl).toContain(`${day(shopStart, 'nl')} om 22:00 ${zone(shopStart)}`);
    // ?tz= moves the times on the server, and the page says so.
    const ny = plain(await (await get('/?tz=America/New_York')).text());
    const inNewYork = shopStart.setZone('America/New_York');
    expect(ny).toContain(`${day(inNewYork, 'en-GB')}, ${inNewYork.toFormat('HH:mm')}–${inNewYork.plus({ hours: 2 }).toFormat('HH:mm')} GMT${inNewYork.offset / 60}`);
    expect(ny).toContain('Times in America/New_York.');

    const all = await json('/maintenance.json');
    expect(all.organisation).toBe(ORG);
    expect(all.maintenance.map((m) => [m.window, m.status, m.start])).toEqual([[SHOP, 'scheduled', shopStart.toUTC().toISO()], [API, 'scheduled', apiStart.toUTC().toISO()]]);
    for (const path of [`/maintenance.json?service=${API}`, `/services/${API}/maintenance.json`]) {
      const one = await json(path);
      expect(one.service).toBe(API);
      expect(one.maintenance.map((m) => m.window)).toEqual([API]);
    }
    expect((await json('/maintenance.json?service=nothing-here')).maintenance).toEqual([]);

    const ics = await get(`/maintenance.ics?service=${SHOP}&lang=nl`);
    expect(ics.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const cal = await ics.text();
    expect(cal.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(cal).toContain('SUMMARY:Gepland: Webwinkel & kassa');
    expect(cal).toContain(`DTSTART:${shopStart.toUTC().toFormat("yyyyLLdd'T'HHmmss'Z'")}`);
    expect(cal).toContain('STATUS:TENTATIVE');
    expect(cal).toContain("DESCRIPTION:De kassa's kunnen even traag zijn.");
    const both = await (await get('/maintenance.ics')).text();
    expect(both.match(/SUMMARY:.*/g)).toEqual(['SUMMARY:Scheduled: Web shop & tills', 'SUMMARY:Scheduled: API']);

    const atom = await get(`/services/${API}/maintenance.atom`);
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = await atom.text();
    expect(feed.match(/<entry>/g)).toHaveLength(1);
    expect(feed).toContain('<title type="html"><![CDATA[Scheduled: API]]></title>');
    expect(feed).toContain('<link rel="alternate" href="https://status.smith.example/"/>');
    const atomNl = await (await get(`/maintenance.atom?service=${SHOP}&lang=nl`)).text();
    expect(atomNl.match(/<title type="html"><!\[CDATA\[(.*)\]\]><\/title>/g)).toEqual(['<title type="html"><![CDATA[Gepland: Webwinkel & kassa]]></title>']);

    const missing = await get('/status.html');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('not found: try /, /maintenance.json, /maintenance.ics or /maintenance.atom\n');
    const post = await get('/maintenance.json', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('shows one organisation: another one applied to the same namespace never appears, and without --organisation serve will not guess', async () => {
    const OTHER = `Other Org ${id}`;
    const file = join(dir, 'other.yaml');
    writeFileSync(file, `
apiVersion: maint/v1
kind: Organisation
organisation: {name: "${OTHER}", contact: {email: support@other.example}}
services:
  - {name: other-${id}, title: Other}
windows:
${window(`other-${id}`, `other-${id}`, shopStart)}`);
    const applied = await runMaint(['apply', '-f', file], env);
    expect(applied.code).toBe(0);
    try {
      const ambiguous = await runMaint(['serve', '--port', String(await freePort())], env);
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toContain(`this namespace holds the windows of 2 organisations (${OTHER}, ${ORG}): pass --organisation NAME`);

      const port = await freePort();
      const other = startMaint(['serve', '--port', String(port), '--organisation', OTHER], env);
      try {
        await other.waitFor(new RegExp(`maintenance feeds of ${OTHER} on `));
        const theirs = await until('the other window in its feed', async () => {
          const answer = (await (await fetch(`http://127.0.0.1:${port}/maintenance.json`)).json()) as { organisation: string; maintenance: PublicMaintenance[] };
          return answer.maintenance.length > 0 ? answer : undefined;
        });
        expect(theirs.organisation).toBe(OTHER);
        expect(theirs.maintenance.map((m) => m.window)).toEqual([`other-${id}`]);
      } finally {
        await other.stop('SIGTERM');
      }
      // The page of this file's organisation (started when it was the only one) never shows it.
      await new Promise((r) => setTimeout(r, CACHE_MS + 500));
      const ours = await json('/maintenance.json');
      expect(ours.organisation).toBe(ORG);
      expect(ours.maintenance.map((m) => m.window)).not.toContain(`other-${id}`);
    } finally {
      await temporal!.client.schedule.getHandle(`window-other-${id}`).delete().catch(() => undefined);
    }
  });

  it('answers from what Temporal said for --cache: a change shows after that, and requests meanwhile share one answer', async () => {
    type Answer = { generatedAt: string; maintenance: PublicMaintenance[] };
    const answer = async () => (await (await get('/maintenance.json')).json()) as Answer;
    // generatedAt is when the answer was read from Temporal: wait for a fresh one.
    const fresh = await until('a fresh answer', async () => {
      const a = await answer();
      return Date.now() - Date.parse(a.generatedAt) < 1_000 ? a : undefined;
    });
    await temporal!.client.schedule.getHandle(`window-${API}`).delete();
    // Within the cache time the same answer, the deleted window still in it.
    const cached = await answer();
    expect(cached).toEqual(fresh);
    // After it, Temporal is asked again and the deletion shows, not before.
    const changed = await until('the deletion in the feed', async () => {
      const a = await answer();
      return a.maintenance.every((m) => m.window !== API) ? a : undefined;
    });
    expect(changed.maintenance.map((m) => m.window)).toEqual([SHOP]);
    expect(Date.parse(changed.generatedAt) - Date.parse(fresh.generatedAt)).toBeGreaterThanOrEqual(CACHE_MS);
    // Requests that arrive together get one answer.
    const together = await Promise.all(Array.from({ length: 8 }, () => answer()));
    expect(new Set(together.map((a) => a.generatedAt)).size).toBe(1);
    expect(together.every((a) => JSON.stringify(a) === JSON.stringify(together[0]))).toBe(true);
  });

  it('serves the last answer for --stale while Temporal is unreachable, then 503, and recovers when it is back, without a restart', async () => {
    // A fresh answer, then Temporal goes away: for --stale the last answer is still served (stale-while-revalidate).
    const last = await until('a fresh answer', async () => {
      const a = (await (await get('/maintenance.json')).json()) as { generatedAt: string; maintenance: PublicMaintenance[] };
      return Date.now() - Date.parse(a.generatedAt) < 1_000 ? a : undefined;
    });
    await temporal!.teardown();
    temporal = undefined;
    await new Promise((r) => setTimeout(r, CACHE_MS));
    const stale = await get('/maintenance.json');
    expect(stale.status).toBe(200);
    expect(((await stale.json()) as { generatedAt: string }).generatedAt).toBe(last.generatedAt);
    expect(plain(await (await get('/')).text())).toContain('Web shop &amp; tills');
    // Older than --stale: no answer rather than an old one.
    const down = await until('a 503', async () => {
      const r = await get(`/maintenance.ics?service=${SHOP}`);
      return r.status === 503 ? r : undefined;
    }, 180_000);
    expect(Date.now() - Date.parse(last.generatedAt)).toBeGreaterThanOrEqual(STALE_MS);
    expect(down.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // Calendars and proxies must not keep the outage for the feeds' 30 s: they are told to ask again soon.
    expect(down.headers.get('cache-control')).toBe('no-store');
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.text()).toMatch(/^maintenance status is unavailable right now \(.+\)\n$/);
    expect((await get('/')).status).toBe(503);
    expect(serve.child.exitCode).toBeNull();

    temporal = await startTemporal(temporalPort, dbFilename);
    const back = await until('the feed to answer again', async () => {
      const r = await get('/maintenance.json');
      return r.status === 200 ? ((await r.json()) as { maintenance: PublicMaintenance[] }).maintenance : undefined;
    }, 120_000);
    expect(back.map((m) => m.window)).toEqual([SHOP]);
  });
});
