/**
 * The standard variables that tell a program which CAs to trust and which proxy to use. Renovate,
 * git and npm run with a filtered environment (no secrets of the worker leak into them); these
 * pass through it, so a worker behind a TLS-intercepting proxy or in front of a registry signed by
 * a private CA works as its shell does.
 */
export const NETWORK_ENV_VARIABLES = [
  // Node (Renovate, npm): extra CAs on top of the bundled ones.
  'NODE_EXTRA_CA_CERTS',
  // OpenSSL (git's curl, and Node with --use-openssl-ca): the CA bundle file / hashed directory.
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Proxies, in both spellings: curl reads the lower case ones, Renovate and npm either.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
] as const;

/** The network variables set in `source` (the worker's environment by default), for a child's environment. */
export function networkEnvironment(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(NETWORK_ENV_VARIABLES.flatMap((name) => (source[name] !== undefined && source[name] !== '' ? [[name, source[name]]] : [])));
}

/** Node/OpenSSL error codes of a server certificate the client does not trust. */
const UNTRUSTED_CERTIFICATE = /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/;

/** What to do about a failed connection's error code, when it is an untrusted certificate; undefined otherwise. */
export function untrustedCertificateHint(code: string): string | undefined {
  if (!UNTRUSTED_CERTIFICATE.test(code)) return undefined;
  const given = process.env.NODE_EXTRA_CA_CERTS;
  return given
    ? `the server's certificate is not signed by a CA in NODE_EXTRA_CA_CERTS (${given}) or the bundled ones`
    : "the server's certificate is signed by a CA this worker does not trust (a private CA, or a TLS-intercepting proxy): give its CA bundle in NODE_EXTRA_CA_CERTS (and SSL_CERT_FILE for git)";
}
