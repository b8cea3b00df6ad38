import { firstSeenKey } from '../../policies/compliance/baseline';
import type { HostScan, PendingUpdate } from '../../policies/compliance/types';
import { openStore, type Store } from '../../store';
import { firstSeenTimes, hostScanHistory, latestHostScans, recordHostScan } from '../../store/compliance';
import { ENGINES, useEngine } from '../helpers/storeEngines';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

const update = (pkg: string, candidate: string, classification: PendingUpdate['classification'] = 'security'): PendingUpdate =>
  ({ package: pkg, installed: '1.0', candidate, source: 'stable-security', classification, severity: 'unspecified', cves: [], held: false });
const ok = (host: string, at: number, updates: PendingUpdate[], rebootRequired = false): HostScan => ({ host, at, ok: true, manager: 'apt', updates, rebootRequired });

describe.each(ENGINES)('compliance scans in the store on %s', (engine) => {
  let store: Store;
  // Before useEngine's: the store closes before its PostgreSQL stops.
  afterAll(async () => {
    await store?.close();
  });
  const { fresh } = useEngine(engine);
  beforeEach(async () => {
    await store?.close();
    store = await openStore(await fresh());
  });

  it('keeps the first time each version was seen, however often it is seen again; a newer version starts its own clock', async () => {
    await recordHostScan(store, 'scan-1', ok('web-1', T0, [update('openssl', '3.0.15')]));
    await recordHostScan(store, 'scan-2', ok('web-1', T0 + 5 * DAY, [update('openssl', '3.0.15'), update('tzdata', '2024b', 'other')]));
    await recordHostScan(store, 'scan-3', ok('web-1', T0 + 9 * DAY, [update('openssl', '3.0.16')]));
    const seen = (await firstSeenTimes(store, ['web-1', 'web-2'])).get('web-1')!;
    expect(Object.fromEntries(seen)).toEqual({
      [firstSeenKey('openssl', '3.0.15')]: T0, [firstSeenKey('tzdata', '2024b')]: T0 + 5 * DAY, [firstSeenKey('openssl', '3.0.16')]: T0 + 9 * DAY,
    });
    expect((await firstSeenTimes(store, ['web-2'])).size).toBe(0);
  });

  it('latest scan per host (failures included, with why), history newest first, a retried scan written once', async () => {
    await recordHostScan(store, 'a', ok('web-1', T0, [update('openssl', '3.0.15')], true));
    await recordHostScan(store, 'a', ok('web-1', T0, [update('openssl', '3.0.15')], true));
    await recordHostScan(store, 'b', ok('web-1', T0 + DAY, []));
    await recordHostScan(store, 'a', ok('web-2', T0, [update('openssl', '3.0.15'), update('tzdata', '2024b', 'other')]));
    await recordHostScan(store, 'b', { host: 'web-2', at: T0 + DAY, ok: false, error: 'web-2: connection refused' });
    const latest = await latestHostScans(store, ['web-1', 'web-2', 'web-3']);
    expect([...latest.keys()].sort()).toEqual(['web-1', 'web-2']);
    expect(latest.get('web-1')).toEqual(ok('web-1', T0 + DAY, []));
    expect(latest.get('web-2')).toEqual({ host: 'web-2', at: T0 + DAY, ok: false, error: 'web-2: connection refused' });
    expect(await hostScanHistory(store, 'web-1')).toEqual([
      { at: T0 + DAY, ok: true, pending: 0, securityPending: 0, rebootRequired: false },
      { at: T0, ok: true, pending: 1, securityPending: 1, rebootRequired: true },
    ]);
    expect(await hostScanHistory(store, 'web-2')).toEqual([
      { at: T0 + DAY, ok: false, pending: 0, securityPending: 0, rebootRequired: false },
      { at: T0, ok: true, pending: 2, securityPending: 1, rebootRequired: false },
    ]);
    // The pending updates come back as they were scanned.
    expect((await latestHostScans(store, ['web-1'])).get('web-1')).toMatchObject({ ok: true, updates: [] });
  });

  it('history is bounded: the oldest scans of a host go, other hosts keep theirs', async () => {
    for (let i = 0; i < 6; i++) await recordHostScan(store, `s${i}`, ok('web-1', T0 + i * DAY, [update('openssl', `3.0.${i}`)]), 4);
    await recordHostScan(store, 's0', ok('web-2', T0, []), 4);
    expect((await hostScanHistory(store, 'web-1')).map((h) => h.at)).toEqual([5, 4, 3, 2].map((i) => T0 + i * DAY));
    expect((await hostScanHistory(store, 'web-2')).map((h) => h.at)).toEqual([T0]);
    expect((await latestHostScans(store, ['web-1'])).get('web-1')).toMatchObject({ at: T0 + 5 * DAY, updates: [update('openssl', '3.0.5')] });
  });

  it('reads 1,200 hosts in chunks', async () => {
    const hosts = Array.from({ length: 1200 }, (_, i) => `h-${i}`);
    for (const h of hosts.slice(0, 3)) await recordHostScan(store, 'x', ok(h, T0, [update('openssl', '1')]));
    await recordHostScan(store, 'x', ok('h-1199', T0, []));
    expect([...(await latestHostScans(store, hosts)).keys()].sort()).toEqual(['h-0', 'h-1', 'h-1199', 'h-2']);
  });
});
