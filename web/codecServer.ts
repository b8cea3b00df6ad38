import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { isEncrypted } from '../control/codec';
import { listen } from './listen';

/**
 * Temporal's remote codec protocol, for the Web UI and `temporal --codec-endpoint`: POST /decode
 * (and /encode, when allowed) with `{"payloads": [...]}` in proto JSON (bytes in base64), the
 * same shape back. The Web UI calls it from the browser, so it answers CORS for the UI's origins
 * only. Payloads in clear are returned as they are (see decodeForDisplay). Every POST needs `Authorization: Bearer <token>` when a token is set (compared in constant
 * time); preflights carry none and get none of the data.
 *
 * /encode is off unless `allowEncode`: whoever may encode can write payloads the worker accepts,
 * so an encoding codec server's token is as powerful as the key itself.
 */
export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  host?: string;
  /** Undefined: no authentication (only `maint dev`, on loopback, for its own Web UI). */
  token?: string;
  /** Origins whose pages may call it (the Web UI's), e.g. http://127.0.0.1:8233 or https://cloud.temporal.io. */
  origins: string[];
  allowEncode?: boolean;
}

export interface CodecServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Larger requests are refused (413): a Temporal payload is at most 2 MB, the UI sends a few at once. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const expected = options.token !== undefined ? digest(`Bearer ${options.token}`) : undefined;
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { message: `codec server error: ${(err as Error).message}` });
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin !== undefined && options.origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const operation = path === '/decode' ? 'decode' : path === '/encode' ? 'encode' : undefined;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, x-namespace',
        'access-control-max-age': '600',
      }).end();
      return;
    }
    if (!operation) return json(res, 404, { message: 'not found: POST /decode or /encode' });
    if (req.method !== 'POST') return json(res, 405, { message: 'use POST' }, { allow: 'POST, OPTIONS' });
    if (expected && !authorized(req.headers.authorization, expected)) {
      return json(res, 401, { message: 'missing or wrong bearer token (MAINT_CODEC_TOKEN)' }, { 'www-authenticate': 'Bearer' });
    }
    if (operation === 'encode' && !options.allowEncode) {
      return json(res, 403, { message: 'this codec server only decodes (start it with --allow-encode to let the Web UI encode)' });
    }
    const body = await readBody(req);
    if (body === undefined) return json(res, 413, { message: `request larger than ${MAX_BODY_BYTES} bytes` });
    let payloads: Payload[];
    try {
      const parsed = JSON.parse(body) as { payloads?: unknown };
      if (!Array.isArray(parsed.payloads)) throw new Error('expected {"payloads": [...]}');
      payloads = parsed.payloads.map((p) => temporal.api.common.v1.Payload.fromObject(p as Record<string, unknown>));
    } catch (err) {
      return json(res, 400, { message: `bad request: ${(err as Error).message}` });
    }
    let out: Payload[];
    try {
      out = operation === 'encode' ? await options.codec.encode(payloads) : await decodeForDisplay(options.codec, payloads);
    } catch (err) {
      return json(res, 400, { message: (err as Error).message });
    }
    json(res, 200, { payloads: out.map((p) => temporal.api.common.v1.Payload.toObject(temporal.api.common.v1.Payload.fromObject(p), { bytes: String })) });
  };
  return listen(server, options.port, options.host);
}

/**
 * Decodes what is encrypted and shows what is not as it is: a payload written in clear (by a
 * client without the key; the worker refuses it) is displayed, not an error that hides the rest
 * of the history. One under an unknown key or altered is still an error, naming the key id.
 */
async function decodeForDisplay(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  return Promise.all(payloads.map(async (p) => (isEncrypted(p) ? (await codec.decode([p]))[0]! : p)));
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function authorized(header: string | undefined, expected: Buffer): boolean {
  return header !== undefined && timingSafeEqual(digest(header), expected);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume(); // drained, so the 413 reaches the client
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}
