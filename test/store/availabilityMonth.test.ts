import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrganisation } from '../../control/organisation';
import { serviceProbePlans } from '../../control/probes';
import { serviceFigures } from '../../control/services';
import { openStore, type Store } from '../../store';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';
import { ENGINES, useEngine } from '../helpers/storeEngines';

/**
 * A month of probe history (November 2026, a result every 30 s for two services: 86,402 each),
 * back-filled into the store, gives the availability figures worked out by hand below — with the
 * maintenance window's time left out (gold) and counted (silver).
 *
 * The month is measured until NOW = 30 Nov 23:59:30 UTC: 43,199.5 minutes, all of them known.
 * Outage A, 10 Nov 02:00–03:00 (60 min), is outside any window. The window runs on the 2nd
 * Tuesday, 10 Nov 22:00 – 11 Nov 02:00 (240 min); outage B, 10 Nov 23:00–23:30 (30 min), is inside it.
 *   gold (99.9 %, maintenance left out): counted 43,199.5 − 240 = 42,959.5 min, down 60 min
 *     → availability 100 × (1 − 60 / 42,959.5) = 99.860333… %; budget 0.1 % × 42,959.5 = 42.9595 min,
 *       left 42.9595 − 60 = −17.0405 min.
 *   silver (99.9 %, maintenance counted): counted 43,199.5 min, down 90 min
 *     → availability 100 × (1 − 90 / 43,199.5) = 99.791664… %; budget 43.1995 min, left −46.8005 min.
 */
const NOW = Date.UTC(2026, 10, 30, 23, 59, 30);
const at = (day: number, h: number, m: number) => Date.UTC(2026, 10, day, h, m);
const OUTAGES = [[at(10, 2, 0), at(10, 3, 0)], [at(10, 23, 0), at(10, 23, 30)]] as const;

describe.each(ENGINES)('a month of probe results in the store on %s', (engine) => {
  let store: Store;
  afterAll(async () => {
    await store?.close();
  });
  const { fresh } = useEngine(engine);
  beforeAll(async () => {
    store = await openStore(await fresh());
  });

  it('gives the availability and error budget computed by hand, with and without maintenance counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-month-'));
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, `apiVersion: maint/v1
kind: Organisation
organisation: {name: Acme Month, contact: {email: support@acme.example}}
slaTiers:
  - {name: gold, availability: "99.9%", plannedMaintenanceCounts: false, timezone: UTC}
  - {name: silver, availability: "99.9%", plannedMaintenanceCounts: true, timezone: UTC}
services:
  - {name: shop, tier: gold, probes: [{name: home, kind: http, url: "https://shop.example/"}]}
  - {name: api, tier: silver, probes: [{name: home, kind: http, url: "https://api.example/"}]}
windows:
  - {name: monthly, timezone: UTC, recurrence: {kind: monthly, week: 2, day: tue, at: "22:00"}, duration: 4h, cutoff: 1h, services: [shop, api]}
`);
    const organisation = await loadOrganisation([file], new Date(at(1, 0, 0)));
    const plans = serviceProbePlans(organisation);
    expect(plans.map((p) => [p.service, p.intervalMs])).toEqual([['shop', 30_000], ['api', 30_000]]);

    for (const service of ['shop', 'api']) {
      const rows: RecordedProbeResult[] = [];
      for (let t = Date.UTC(2026, 9, 31, 23, 59, 0); t <= NOW; t += 30_000) {
        const ok = !OUTAGES.some(([from, to]) => t >= from && t < to);
        rows.push({ service, probe: 'home', at: t, ok, roundId: `${service}/${t}`, location: 'backfill', ...(ok ? { latencyMs: 40 } : { error: 'HTTP 503' }) });
      }
      expect(rows).toHaveLength(86_402);
      await insertProbeResults(store.db, rows);
    }

    const figures = await serviceFigures(store, organisation, plans, NOW);
    const shop = figures.get('shop')!;
    const api = figures.get('api')!;
    expect(shop).toMatchObject({ tier: 'gold', month: '2026-11', targetPercent: 99.9, nextWindow: { name: 'monthly', start: '2026-12-08T22:00:00.000Z' } });
    expect(shop.availabilityPercent).toBeCloseTo(99.860333, 5);
    expect(shop.budget.allowedMinutes).toBeCloseTo(42.9595, 4);
    expect(shop.budget.spentMinutes).toBeCloseTo(60, 6);
    expect(shop.budget.leftMinutes).toBeCloseTo(-17.0405, 4);
    expect(api).toMatchObject({ tier: 'silver', month: '2026-11' });
    expect(api.availabilityPercent).toBeCloseTo(99.791664, 5);
    expect(api.budget.allowedMinutes).toBeCloseTo(43.1995, 4);
    expect(api.budget.spentMinutes).toBeCloseTo(90, 6);
    expect(api.budget.leftMinutes).toBeCloseTo(-46.8005, 4);
  }, 180_000);
});
