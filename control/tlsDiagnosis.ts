/**
 * How the worker, the CLI and `maint doctor` say what their connection to Temporal is (TLS, which
 * CA, which client certificate, an API key) and, when connecting fails, why — in words that name
 * the TEMPORAL_* variable and file to fix.
 *
 * The Temporal client (grpc-js) reports every TLS failure as "Failed to connect before the
 * deadline", so after a failure we repeat the TLS handshake ourselves with the same settings and
 * read the reason from it. Nothing secret is sent: the probe stops after the HTTP/2 preface.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type ConnectionOptions, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Environment } from '../policies/common/environment';
import type { TemporalTarget } from './connection';

export interface ConnectFailure {
  reason: string;
  hint?: string;
}

/** "over TLS (server name temporal.test, CA /etc/maint/ca.pem, client certificate /etc/maint/worker.pem)", or "" without TLS. */
export function describeTransport(target: TemporalTarget, env: Environment): string {
  if (target.tls === undefined) return '';
  const parts = [
    ...(env.TEMPORAL_TLS_SERVER_NAME !== undefined ? [`server name ${env.TEMPORAL_TLS_SERVER_NAME}`] : []),
    env.TEMPORAL_TLS_CA_PATH !== undefined ? `CA ${env.TEMPORAL_TLS_CA_PATH}` : 'system CAs',
    ...(env.TEMPORAL_TLS_CERT_PATH !== undefined ? [`client certificate ${env.TEMPORAL_TLS_CERT_PATH}`] : []),
    ...(target.apiKey !== undefined ? [`API key from ${apiKeySource(env)}`] : []),
  ];
  return `over TLS (${parts.join(', ')})`;
}

/** Why connecting to `target` failed: the TLS problem if there is one, else the server's answer. */
export async function explainConnectFailure(err: unknown, target: TemporalTarget, env: Environment): Promise<ConnectFailure> {
  if (target.tls !== undefined) {
    const tlsProblem = await diagnoseTls(target, env);
    if (tlsProblem) return tlsProblem;
  }
  const message = messageWithCauses(err);
  if (target.apiKey !== undefined && /UNAUTHENTICATED|valid authentication credentials|PERMISSION_DENIED/i.test(message)) {
    return { reason: `the server refused the API key from ${apiKeySource(env)}: ${message}`, hint: `check the key, and that it is for namespace "${target.namespace}"` };
  }
  return { reason: message };
}

function apiKeySource(env: Environment): string {
  return env.TEMPORAL_API_KEY_FILE !== undefined ? `TEMPORAL_API_KEY_FILE=${env.TEMPORAL_API_KEY_FILE}` : 'TEMPORAL_API_KEY';
}

function messageWithCauses(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e !== undefined && messages.length < 4; e = e instanceof Error ? e.cause : undefined) {
    const text = e instanceof Error ? e.message : String(e);
    if (text && !messages.some((m) => m.includes(text))) messages.push(text);
  }
  return messages.join(': ');
}

const CLIENT_CA_HINT = "the client certificate must be issued by a CA the server trusts for clients (Temporal's clientCAs)";

/** Node's names for "the server's certificate does not chain to a CA we trust". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE', 'CERT_REJECTED',
]);

type ProbeResult =
  | { kind: 'accepted' }
  | { kind: 'server-certificate'; cert: PeerCertificate; error: string }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'closed' }
  | { kind: 'network'; message: string };

async function diagnoseTls(target: TemporalTarget, env: Environment): Promise<ConnectFailure | undefined> {
  const result = await probe(target);
  const caFile = env.TEMPORAL_TLS_CA_PATH;
  const certFile = env.TEMPORAL_TLS_CERT_PATH;
  const trustedBy = caFile !== undefined ? `TEMPORAL_TLS_CA_PATH=${caFile}` : "the system's CA store (TEMPORAL_TLS_CA_PATH is unset)";
  switch (result.kind) {
    case 'accepted':
    case 'network':
      return undefined; // TLS is not the problem (or we could not get as far as TLS)
    case 'server-certificate': {
      const presented = `the server certificate (${subjectOf(result.cert)}, issued by ${issuerOf(result.cert)})`;
      if (UNTRUSTED.has(result.error)) {
        return { reason: `TLS: ${presented} is not trusted by ${trustedBy} (${result.error})`, hint: 'set TEMPORAL_TLS_CA_PATH to the CA (PEM) that issued the server certificate' };
      }
      if (result.error === 'CERT_HAS_EXPIRED' || result.error === 'CERT_NOT_YET_VALID') {
        return { reason: `TLS: ${presented} is valid only from ${result.cert.valid_from} to ${result.cert.valid_to} (${result.error})`, hint: 'the server needs a current certificate' };
      }
      if (result.error === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        const checked = env.TEMPORAL_TLS_SERVER_NAME !== undefined ? `TEMPORAL_TLS_SERVER_NAME=${env.TEMPORAL_TLS_SERVER_NAME}` : `the host of TEMPORAL_ADDRESS=${target.address}`;
        return {
          reason: `TLS: ${presented} is not valid for ${checked}; it names ${result.cert.subjectaltname ?? 'no subject alternative names'}`,
          hint: 'set TEMPORAL_TLS_SERVER_NAME to a name the server certificate carries',
        };
      }
      return { reason: `TLS: ${presented} was rejected (${result.error})` };
    }
    case 'refused': {
      if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL/.test(result.code)) {
        return { reason: `TLS: ${target.address} does not answer TLS; it looks like a plain-text server`, hint: 'unset TEMPORAL_TLS_* and TEMPORAL_API_KEY*, or point TEMPORAL_ADDRESS at the TLS endpoint' };
      }
      if (certFile === undefined && /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(result.code)) {
        return {
          reason: `TLS: the server refused the handshake: it requires a client certificate, and none is configured (${result.message})`,
          hint: 'set TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH to a client certificate and key the server trusts',
        };
      }
      if (certFile !== undefined) {
        return {
          reason: `TLS: the server refused the client certificate TEMPORAL_TLS_CERT_PATH=${certFile} (${clientCertificateSummary(target)}): ${result.message}`,
          hint: CLIENT_CA_HINT,
        };
      }
      return { reason: `TLS: the handshake with ${target.address} failed: ${result.message}` };
    }
    case 'closed':
      return certFile === undefined
        ? {
            reason: 'TLS: the server closed the connection right after the handshake; servers that require a client certificate do this when none is sent',
            hint: 'set TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH if the server requires mTLS',
          }
        : {
            reason: `TLS: the server closed the connection right after the handshake; it may not trust the client certificate TEMPORAL_TLS_CERT_PATH=${certFile} (${clientCertificateSummary(target)})`,
            hint: CLIENT_CA_HINT,
          };
  }
}

function subjectOf(cert: PeerCertificate): string {
  return cert.subject?.CN !== undefined ? `CN=${String(cert.subject.CN)}` : 'no CN';
}

function issuerOf(cert: PeerCertificate): string {
  return cert.issuer?.CN !== undefined ? `"${String(cert.issuer.CN)}"` : 'an unnamed issuer';
}

function clientCertificateSummary(target: TemporalTarget): string {
  const crt = target.tls !== true ? target.tls?.clientCertPair?.crt : undefined;
  if (!crt) return 'unreadable';
  try {
    const x509 = new X509Certificate(crt);
    return `${x509.subject.replace(/\n/g, ', ')}, issued by ${x509.issuer.replace(/\n/g, ', ')}`;
  } catch {
    return 'not a PEM certificate';
  }
}

const HTTP2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** One TLS handshake with the connection's settings, then the HTTP/2 preface: does the server answer? */
function probe(target: TemporalTarget, timeoutMs = 3_000): Promise<ProbeResult> {
  const separator = target.address.lastIndexOf(':');
  const host = target.address.slice(0, separator);
  const port = Number(target.address.slice(separator + 1));
  const tls = target.tls === true ? {} : (target.tls ?? {});
  const serverName = tls.serverNameOverride ?? (isIP(host) ? undefined : host);
  const options: ConnectionOptions = {
    host, port, ALPNProtocols: ['h2'],
    rejectUnauthorized: false, // we check the certificate below, to say what is wrong with it
    ...(serverName !== undefined ? { servername: serverName } : {}),
    ...(tls.serverRootCACertificate ? { ca: Buffer.from(tls.serverRootCACertificate) } : {}),
    ...(tls.clientCertPair ? { cert: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) } : {}),
  };
  let socket: TLSSocket;
  try {
    socket = connect(options);
  } catch (err) {
    return Promise.resolve({ kind: 'refused', code: 'ERR_TLS_OPTIONS', message: err instanceof Error ? err.message : String(err) });
  }
  return new Promise((resolve) => {
    let handshakeDone = false;
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result); // only the first result counts
    };
    // Handshake done and no verdict yet: TLS is not what failed.
    const timer = setTimeout(() => finish(handshakeDone ? { kind: 'accepted' } : { kind: 'network', message: 'timed out' }), timeoutMs);
    socket.once('secureConnect', () => {
      handshakeDone = true;
      const cert = socket.getPeerCertificate();
      if (!socket.authorized) {
        const error = socket.authorizationError;
        finish({ kind: 'server-certificate', cert, error: typeof error === 'string' ? error : ((error as { code?: string } | null)?.code ?? String(error)) });
        return;
      }
      if (checkServerIdentity(serverName ?? host, cert) !== undefined) {
        finish({ kind: 'server-certificate', cert, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
        return;
      }
      // TLS 1.3: the server judges our certificate after its side of the handshake; its verdict
      // arrives as an alert, or its HTTP/2 settings arrive if it accepted us.
      socket.write(HTTP2_PREFACE);
    });
    socket.once('data', () => finish({ kind: 'accepted' }));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (!handshakeDone && !code.startsWith('ERR_SSL') && !code.startsWith('ERR_TLS')) {
        finish({ kind: 'network', message: err.message });
        return;
      }
      finish({ kind: 'refused', code, message: sslReason(err) });
    });
    socket.once('close', () => finish(handshakeDone ? { kind: 'closed' } : { kind: 'network', message: 'connection closed' }));
  });
}

/** OpenSSL's "…:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…" → "tlsv13 alert certificate required". */
function sslReason(err: Error): string {
  const match = /SSL routines:[^:]*:([^:]+):/.exec(err.message);
  return match?.[1] ?? err.message.split('\n')[0] ?? err.message;
}
