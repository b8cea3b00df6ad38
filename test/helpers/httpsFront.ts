import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTPS front for a plain-HTTP service (verdaccio), as a private registry behind a
 * company's own CA looks: it presents `cert` and forwards every request as it came, with
 * `x-forwarded-proto: https` so the service writes https URLs (verdaccio's tarball links).
 */
export interface HttpsFront {
  /** `https://127.0.0.1:PORT/` */
  url: string;
  /** Requests forwarded to the service. */
  forwarded(): number;
  /** Why TLS handshakes failed on the server side ("tlsv1 alert unknown ca", …). */
  refusedHandshakes(): string[];
  close(): Promise<void>;
}

export async function startHttpsFront(options: { upstream: string; cert: Buffer; key: Buffer }): Promise<HttpsFront> {
  const upstream = new URL(options.upstream);
  let forwarded = 0;
  const refused: string[] = [];
  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    forwarded++;
    const out = httpRequest({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, 'x-forwarded-proto': 'https' },
    }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(err.message);
    });
    req.pipe(out);
  });
  server.on('tlsClientError', (err: Error) => refused.push(err.message));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/`,
    forwarded: () => forwarded,
    refusedHandshakes: () => [...refused],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
