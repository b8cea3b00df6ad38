/**
 * The one place that knows how to reach Temporal: address, namespace, TLS and API key from the
 * environment, the options the worker's native connection and the client's connection take, and a
 * connected client for every face (the CLI, `maint serve`, the console) with a failure that says
 * what to fix.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Client, Connection, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_TEMPORAL_ADDRESS, EnvironmentError, parseEnvironment, type Environment } from '../policies/common/environment';
import { dataConverterOption } from './codec';
import { readEnvironmentFile } from './files';
import { clientTracingInterceptors } from './tracing';
import { describeTransport, explainConnectFailure } from './tlsDiagnosis';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

/** Temporal could not be reached (or refused us): the message says why and what to set. Exit code 3 in the CLI. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
}

/** Reads secrets (API key, TLS key) from the environment or files; they are never logged. A file that
 * cannot be read or is not what its variable expects is an EnvironmentError naming both. */
export function temporalTargetFromEnvironment(env: Environment): TemporalTarget {
  const read = readEnvironmentFile;
  const apiKey = env.TEMPORAL_API_KEY ?? (env.TEMPORAL_API_KEY_FILE !== undefined ? read('TEMPORAL_API_KEY_FILE', env.TEMPORAL_API_KEY_FILE).toString('utf8').trim() : undefined);
  const mtls = env.TEMPORAL_TLS_CERT_PATH !== undefined && env.TEMPORAL_TLS_KEY_PATH !== undefined;
  let tls: TemporalTarget['tls'];
  if (mtls || env.TEMPORAL_TLS_CA_PATH !== undefined || env.TEMPORAL_TLS_SERVER_NAME !== undefined) {
    tls = {
      ...(mtls ? { clientCertPair: readClientCertPair(env.TEMPORAL_TLS_CERT_PATH!, env.TEMPORAL_TLS_KEY_PATH!, read) } : {}),
      ...(env.TEMPORAL_TLS_CA_PATH !== undefined ? { serverRootCACertificate: readCertificate('TEMPORAL_TLS_CA_PATH', env.TEMPORAL_TLS_CA_PATH, read) } : {}),
      ...(env.TEMPORAL_TLS_SERVER_NAME !== undefined ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
    };
  } else if (apiKey !== undefined) {
    tls = true; // API keys are only ever sent over TLS
  }
  return {
    address: env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    ...(tls !== undefined ? { tls } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
  };
}

type ReadFile = (variable: string, path: string) => Buffer;

/** A PEM certificate (or bundle): checked here, so a wrong file is named now, not as a TLS failure later. */
function readCertificate(variable: string, path: string, read: ReadFile): Buffer {
  const pem = read(variable, path);
  try {
    new X509Certificate(pem);
  } catch {
    throw new EnvironmentError(`${variable}=${path}: expected a PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return pem;
}

function readClientCertPair(certPath: string, keyPath: string, read: ReadFile): { crt: Buffer; key: Buffer } {
  const crt = readCertificate('TEMPORAL_TLS_CERT_PATH', certPath, read);
  const key = read('TEMPORAL_TLS_KEY_PATH', keyPath);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new EnvironmentError(`TEMPORAL_TLS_KEY_PATH=${keyPath}: expected an unencrypted PEM private key ("-----BEGIN PRIVATE KEY-----")`);
  }
  if (!new X509Certificate(crt).checkPrivateKey(privateKey)) {
    throw new EnvironmentError(`TEMPORAL_TLS_KEY_PATH=${keyPath}: this key does not belong to the certificate in TEMPORAL_TLS_CERT_PATH=${certPath}`);
  }
  return { crt, key };
}

/** The target for the worker's native connection. */
export function nativeConnectionOptions(target: TemporalTarget): NativeConnectionOptions {
  return {
    address: target.address,
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
    ...(target.apiKey !== undefined ? { apiKey: target.apiKey } : {}),
  };
}

/** The same target for the Temporal client (the CLI, `maint doctor`, the worker's schedule activities). */
export function clientConnectionOptions(target: TemporalTarget, connectTimeoutMs?: number): ConnectionOptions {
  return {
    address: target.address,
    ...(connectTimeoutMs !== undefined ? { connectTimeout: connectTimeoutMs } : {}),
    ...(target.tls !== undefined ? { tls: target.tls } : {}),
    ...(target.apiKey !== undefined ? { apiKey: target.apiKey } : {}),
  };
}

/**
 * Why connecting to `target` failed, as one error every caller reports the same way: the address,
 * the transport, the reason (the TLS problem if there is one) and what to do.
 */
export async function unreachable(err: unknown, target: TemporalTarget, env: Environment): Promise<TemporalUnreachableError> {
  const failure = await explainConnectFailure(err, target, env);
  const transport = describeTransport(target, env);
  return new TemporalUnreachableError(
    `cannot reach Temporal at ${target.address}${transport ? ` ${transport}` : ''}: ${failure.reason}\n` +
      `hint: ${failure.hint ?? 'start the embedded server with `maint dev`, or set TEMPORAL_ADDRESS to your cluster'}`,
    { cause: err },
  );
}

export interface Connected {
  client: Client;
  connection: Connection;
  target: TemporalTarget;
  env: Environment;
  close(): Promise<void>;
}

/**
 * Connects to Temporal as configured by the environment. A bad TLS or API key file is an
 * EnvironmentError naming it; a server that is not there (or refuses us) a TemporalUnreachableError.
 */
export async function connectClient(envVars: NodeJS.ProcessEnv = process.env, timeoutMs = 5_000): Promise<Connected> {
  const env = parseEnvironment(envVars);
  const target = temporalTargetFromEnvironment(env);
  const converter = dataConverterOption(env);
  let connection: Connection;
  try {
    connection = await Connection.connect(clientConnectionOptions(target, timeoutMs));
  } catch (err) {
    throw await unreachable(err, target, env);
  }
  const client = new Client({ connection, namespace: target.namespace, ...converter, ...clientTracingInterceptors() });
  return { client, connection, target, env, close: () => connection.close() };
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(fn: (c: Connected) => Promise<T>): Promise<T> {
  const c = await connectClient();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}
