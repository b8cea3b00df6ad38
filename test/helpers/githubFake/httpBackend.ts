import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GIT_ENV } from './git';

/**
 * Serves `/<owner>/<repo>.git/*` (clone and fetch over smart HTTP) by running `git http-backend` as a
 * CGI program over the fake's bare repositories. Read-only: git refuses anonymous pushes.
 */
export function serveGitHttp(root: string, req: IncomingMessage, res: ServerResponse, pathname: string, query: string): void {
  const child = spawn('git', ['http-backend'], {
    env: {
      ...process.env,
      ...GIT_ENV,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(pathname),
      QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      // The client gzips large fetch negotiations and asks for protocol v2 through this header.
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.once('error', (err) => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`git http-backend failed to start: ${err.message}`);
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);

  // CGI output: header lines, a blank line, then the body. "Status: 404 Not Found" sets the status.
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, len: 4 } : lf >= 0 ? { at: lf, len: 2 } : null;
    if (!end) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of text.slice(0, end.at).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.write(head.subarray(end.at + end.len));
  });
  child.once('close', (code) => {
    if (!headersDone) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited with ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
}
