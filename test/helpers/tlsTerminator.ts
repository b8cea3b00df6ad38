import {
  connect as http2Connect, constants, createSecureServer,
  type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * A real TLS terminator in front of the dev server, as a Temporal frontend with TLS behaves:
 * it presents `cert` for its server name, and with `requireClientCert` it refuses the TLS
 * handshake unless the client shows a certificate issued by `ca` (Temporal's
 * `requireClientAuth`). With `apiKey`, every call must carry `authorization: Bearer <apiKey>`
 * or is answered UNAUTHENTICATED, as Temporal Cloud answers a wrong key.
 *
 * It terminates HTTP/2 (that is what lets it read the `authorization` header) and forwards each
 * gRPC stream, headers, body and trailers, to the plain-text dev server.
 */
export interface TlsTerminatorOptions {
  /** host:port of the dev server (plain HTTP/2). */
  upstream: string;
  cert: Buffer;
  key: Buffer;
  /** The CA that client certificates must chain to. */
  ca: Buffer;
  requireClientCert: boolean;
  apiKey?: string;
}

export interface TlsTerminator {
  /** 127.0.0.1:port, for TEMPORAL_ADDRESS. */
  address: string;
  /** gRPC calls forwarded to the dev server. */
  forwarded(): number;
  /** Calls answered UNAUTHENTICATED because their API key was missing or wrong. */
  refusedKeys(): number;
  /** Why TLS handshakes were refused (OpenSSL's words: "peer did not return a certificate", …). */
  refusedHandshakes(): string[];
  close(): Promise<void>;
}

const HOP_HEADERS = new Set([':scheme', ':authority', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

function forwardable(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_HEADERS.has(name)));
}

export async function startTlsTerminator(options: TlsTerminatorOptions): Promise<TlsTerminator> {
  let forwarded = 0;
  let refusedKeys = 0;
  const refusedHandshakes: string[] = [];
  const sessions = new Set<ServerHttp2Session>();
  let upstream: ClientHttp2Session | undefined;
  const upstreamSession = (): ClientHttp2Session => {
    if (!upstream || upstream.closed || upstream.destroyed) {
      const session = http2Connect(`http://${options.upstream}`);
      session.on('error', () => session.destroy());
      upstream = session;
    }
    return upstream;
  };

  const server = createSecureServer({
    cert: options.cert, key: options.key, ca: options.ca,
    requestCert: options.requireClientCert, rejectUnauthorized: options.requireClientCert,
    allowHTTP1: false,
  });
  server.on('tlsClientError', (err: Error) => refusedHandshakes.push(err.message));
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.on('error', () => session.destroy());
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => stream.destroy());
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      refusedKeys++;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(16), 'grpc-message': 'Request unauthorized' }, { endStream: true });
      return;
    }
    forwarded++;
    const call = upstreamSession().request(forwardable(headers));
    call.on('error', () => undefined); // a reset upstream stream is passed on below
    let trailers: OutgoingHttpHeaders = {};
    call.on('response', (responseHeaders, flags) => {
      if (stream.destroyed) return;
      if (flags & constants.NGHTTP2_FLAG_END_STREAM) {
        stream.respond(forwardable(responseHeaders), { endStream: true }); // a trailers-only answer (a gRPC error)
        return;
      }
      stream.respond(forwardable(responseHeaders), { waitForTrailers: true });
      call.pipe(stream);
    });
    call.on('trailers', (t) => (trailers = forwardable(t)));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(call);
    // A cancelled call (a worker stopping its long polls) is cancelled upstream too, and back.
    stream.once('close', () => {
      if (!call.closed) call.close(constants.NGHTTP2_CANCEL);
    });
    call.once('close', () => {
      if (!stream.closed && call.rstCode !== constants.NGHTTP2_NO_ERROR) stream.close(call.rstCode ?? constants.NGHTTP2_CANCEL);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    forwarded: () => forwarded,
    refusedKeys: () => refusedKeys,
    refusedHandshakes: () => [...refusedHandshakes],
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      upstream?.destroy();
      await closed;
    },
  };
}
