import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import { runProbe } from '../../activities/probes/kinds';
import { probeSchema, type ProbeDefinition } from '../../policies/probes/schema';
import { freePort } from '../../harness/ports';

const probe = (p: Record<string, unknown>): ProbeDefinition => probeSchema.parse(p);

/** A minimal DNS server on loopback (UDP): answers A queries for `shop.test` with 192.0.2.10, NXDOMAIN otherwise. */
async function startDnsServer(): Promise<{ port: number; close(): Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, from) => {
    // Header (12 bytes), then the question: labels up to a 0 byte, type and class (4 bytes).
    let end = 12;
    const labels: string[] = [];
    while (query[end] !== 0) {
      labels.push(query.subarray(end + 1, end + 1 + query[end]!).toString('ascii'));
      end += query[end]! + 1;
    }
    const question = query.subarray(12, end + 5);
    const type = query.readUInt16BE(end + 1);
    const known = labels.join('.') === 'shop.test' && type === 1;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(known ? 0x8180 : 0x8183, 2); // response, recursion available; rcode 0 or 3 (NXDOMAIN)
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(known ? 1 : 0, 6);
    const answer = known ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]) : Buffer.alloc(0);
    socket.send(Buffer.concat([header, question, answer]), from.port, from.address);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

describe('probe kinds (real HTTP, TCP and DNS on loopback)', () => {
  let http: Server;
  let httpPort: number;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  beforeAll(async () => {
    http = createServer((req, res) => {
      const delay = req.url === '/slow' ? 300 : 0;
      setTimeout(() => {
        res.writeHead(req.url === '/down' ? 503 : 200);
        res.end(req.url === '/down' ? 'maintenance' : 'ok shop');
      }, delay);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpPort = (http.address() as { port: number }).port;
    dns = await startDnsServer();
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
    await dns.close();
  });

  it('http: ok, degraded when slower than its threshold, failed on a wrong status or body, or no answer in time', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    expect(await runProbe('shop', probe({ name: 'home', kind: 'http', url: `${base}/`, bodyMatches: '^ok', latencyThreshold: '250ms' }))).toMatchObject({ service: 'shop', probe: 'home', ok: true });
    const slow = await runProbe('shop', probe({ name: 'home', kind: 'http', url: `${base}/slow`, latencyThreshold: '100ms' }));
    expect(slow).toMatchObject({ ok: true, degraded: true });
    expect(slow.latencyMs).toBeGreaterThanOrEqual(300);
    expect(await runProbe('shop', probe({ name: 'home', kind: 'http', url: `${base}/down` }))).toEqual(expect.objectContaining({ ok: false, error: `${base}/down → HTTP 503 maintenance (expected 200)` }));
    expect((await runProbe('shop', probe({ name: 'home', kind: 'http', url: `${base}/`, bodyMatches: '^version' }))).error).toContain('body does not match /^version/');
    const timedOut = await runProbe('shop', probe({ name: 'home', kind: 'http', url: `${base}/slow`, timeout: '100ms' }));
    expect(timedOut).toMatchObject({ ok: false, error: `${base}/slow: no answer within 100 ms` });
    expect(timedOut.degraded).toBeUndefined();
  });

  it('tcp: ok when a connection is accepted, failed when refused', async () => {
    expect(await runProbe('shop', probe({ name: 'port', kind: 'tcp', host: '127.0.0.1', port: httpPort }))).toMatchObject({ ok: true });
    const closed = await freePort();
    expect(await runProbe('shop', probe({ name: 'port', kind: 'tcp', host: '127.0.0.1', port: closed }))).toMatchObject({ ok: false, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('dns: resolves at the given server, checks the expected addresses, fails on NXDOMAIN', async () => {
    const server = `127.0.0.1:${dns.port}`;
    expect(await runProbe('shop', probe({ name: 'dns', kind: 'dns', host: 'shop.test', server, expect: ['192.0.2.10'] }))).toMatchObject({ ok: true });
    expect(await runProbe('shop', probe({ name: 'dns', kind: 'dns', host: 'shop.test', server, expect: ['192.0.2.99'] })))
      .toMatchObject({ ok: false, error: `shop.test A at ${server} → 192.0.2.10 (expected 192.0.2.99)` });
    expect(await runProbe('shop', probe({ name: 'dns', kind: 'dns', host: 'gone.test', server }))).toMatchObject({ ok: false, error: `gone.test A at ${server}: ENOTFOUND` });
  });
});
