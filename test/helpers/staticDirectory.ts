import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize, sep } from 'node:path';

/** A plain HTTP server of the files under `root` on 127.0.0.1 (404 for anything else): a Go module proxy's or a Maven repository's layout. */
export interface StaticDirectory {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  /** Request paths served so far, in order (`/example.test/alpha/@v/list`). */
  requests: string[];
  stop(): Promise<void>;
}

export async function serveDirectory(root: string, contentType: (path: string) => string = () => 'application/octet-stream'): Promise<StaticDirectory> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const file = normalize(join(root, path));
    const isFile = file.startsWith(root + sep) && (() => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    })();
    if (!isFile || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': contentType(file), 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
