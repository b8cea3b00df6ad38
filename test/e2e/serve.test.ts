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

/** A Temporal dev server of this file's own (the real binary, persisted to a file), so the test can stop it and start it again. */
function startTemporal(port: number, dbFilename: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: process.env.MAINT_TEST_TEMPORAL_CLI! }, ip: '127.0.0.1', port, ui: false, dbFilename, extraArgs: ['--log-level', 'error'] },
  });
}

const until = <T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000) => waitUntil(what, probe, timeoutMs, 250);

/**
 * The real `maint serve` process in front of a real Temporal server holding two applied windows:
 * the status page, the JSON/iCal/Atom feeds with their `?service=` and `/services/NAME/` filters,
 * the answer cache (`--cache`), 503 while Temporal is down, and recovery when it is back.
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
    serve = startMaint(['serve', '--port', String(port), '--public-url', 'https://status.smith.example', '--cache', `${CACHE_MS / 1000}s`], env);
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
    const html = await page.text();
    expect(html).toContain(`<title>Smith &amp; Daughters ${id} — Maintenance</title>`);
    expect(html).toContain('<a href="maintenance.ics?lang=en">iCal</a> · <a href="maintenance.atom?lang=en">Atom</a> · <a href="maintenance.json">JSON</a>');
    const rows = html.match(/<tr><td>.*<\/td><\/tr>/g) ?? [];
    expect(rows).toEqual([
      `<tr><td>Scheduled</td><td>Web shop &amp; tills</td><td>Web shop &amp; tills</td><td><time datetime="${shopStart.toUTC().toISO()}">${shopStart.toUTC().toISO()}</time></td><td><time datetime="${shopStart.plus({ hours: 2 }).toUTC().toISO()}">${shopStart.plus({ hours: 2 }).toUTC().toISO()}</time></td></tr>`,
      `<tr><td>Scheduled</td><td>API</td><td>API</td><td><time datetime="${apiStart.toUTC().toISO()}">${apiStart.toUTC().toISO()}</time></td><td><time datetime="${apiStart.plus({ hours: 2 }).toUTC().toISO()}">${apiStart.plus({ hours: 2 }).toUTC().toISO()}</time></td></tr>`,
    ]);
    const nl = await (await get(`/?lang=nl&service=${SHOP}`)).text();
    expect(nl).toContain('<html lang="nl">');
    expect(nl).toContain(`<h1>Smith &amp; Daughters ${id} — Onderhoud</h1>`);
    expect(nl.match(/<tr><td>.*<\/td><\/tr>/g)).toEqual([expect.stringMatching(/^<tr><td>Gepland<\/td><td>Webwinkel &amp; kassa<\/td>/)]);

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
    expect(await missing.text()).toBe('not found: try /maintenance.json, /maintenance.ics or /maintenance.atom\n');
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
    // `updated` of an upcoming occurrence is when the answer was made: wait for a fresh one.
    const snapshot = async () => (await json('/maintenance.json')).maintenance;
    const fresh = await until('a fresh answer', async () => {
      const m = await snapshot();
      return Date.now() - Date.parse(m[0]!.updated) < 1_000 ? m : undefined;
    });
    await temporal!.client.schedule.getHandle(`window-${API}`).delete();
    // Within the cache time the same answer, the deleted window still in it.
    const cached = await snapshot();
    expect(cached).toEqual(fresh);
    // After it, Temporal is asked again; requests that arrive together get one answer.
    await new Promise((r) => setTimeout(r, Date.parse(fresh[0]!.updated) + CACHE_MS + 200 - Date.now()));
    const together = await Promise.all(Array.from({ length: 8 }, () => snapshot()));
    expect(together[0]!.map((m) => m.window)).toEqual([SHOP]);
    expect(new Set(together.map((m) => m[0]!.updated)).size).toBe(1);
    expect(together.every((m) => JSON.stringify(m) === JSON.stringify(together[0]))).toBe(true);
    expect(Date.parse(together[0]![0]!.updated)).toBeGreaterThan(Date.parse(fresh[0]!.updated));
  });

  it('answers 503 while Temporal is unreachable, and recovers when it is back, without a restart', async () => {
    await temporal!.teardown();
    temporal = undefined;
    const down = await until('a 503', async () => {
      const r = await get(`/maintenance.ics?service=${SHOP}`);
      return r.status === 503 ? r : undefined;
    }, 120_000);
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
