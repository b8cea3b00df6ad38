/**
 * The composition root: configuration → connection → Worker(workflows bundle, createActivities(deps)).
 * `node dist/worker.js` (or `maint worker`) runs a worker against TEMPORAL_ADDRESS; `maint dev`
 * runs the same worker next to an embedded dev server.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type NativeConnectionOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { productionDependencyDeps } from './activities/deps/production';
import { LineLogger } from './activities/log';
import { importFileLedger } from './activities/notices/ledger';
import { NodeSshConnector, expandHome } from './activities/hosts/ssh';
import { DEFAULT_TEMPORAL_ADDRESS, EnvironmentError, parseEnvironment, type Environment } from './policies/common/environment';
import { openStore, storeConfig, type Store } from './store';
import { describeTransport, explainConnectFailure, TemporalUnreachableError, type TemporalTarget } from './temporalTls';

export type { TemporalTarget } from './temporalTls';

/** Reads secrets (API key, TLS key) from the environment or files; they are never logged. A file that
 * cannot be read or is not what its variable expects is an EnvironmentError naming both. */
export function temporalTargetFromEnvironment(env: Environment): TemporalTarget {
  const read = (variable: string, path: string): Buffer => {
    try {
      return readFileSync(expandHome(path));
    } catch (err) {
      throw new EnvironmentError(`${variable}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  };
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

/** Where the worker and `maint dev` keep state: $MAINT_DATA_DIR, else ~/.local/share/maint. */
export function defaultDataDir(env: { MAINT_DATA_DIR?: string | undefined }): string {
  return resolve(env.MAINT_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'maint'));
}

/** The default adapters for a production worker, from the environment. */
export function defaultActivityDeps(env: Environment, store: Store, schedules?: ActivityDeps['schedules']): ActivityDeps {
  return {
    store,
    dependencies: productionDependencyDeps({ dataDir: defaultDataDir(env) }),
    ...(schedules !== undefined ? { schedules } : {}),
    ssh: new NodeSshConnector({
      defaultIdentityFile: env.MAINT_SSH_IDENTITY_FILE ?? '~/.ssh/id_ed25519',
      ...(process.env.SSH_AUTH_SOCK ? { agentSocket: process.env.SSH_AUTH_SOCK } : {}),
    }),
  };
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); default: bundle workflows/index at start. */
  workflowBundle?: WorkflowBundleOption;
  /** How long in-flight activities get to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: string;
}

export function workflowsPath(): string {
  return require.resolve('./workflows');
}

export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    activities: createActivities(options.deps),
    shutdownGraceTime: options.shutdownGraceTime ?? '30 seconds',
    maxConcurrentActivityTaskExecutions: 200,
  });
}

/** Installs the Temporal runtime once per process: quiet core logs, graceful stop on SIGINT/SIGTERM. */
export function installRuntime(logLevel: Environment['MAINT_LOG_LEVEL']): void {
  const level = logLevel === 'trace' ? 'TRACE' : logLevel === 'debug' ? 'DEBUG' : logLevel === 'error' || logLevel === 'fatal' || logLevel === 'silent' ? 'ERROR' : 'WARN';
  Runtime.install({
    logger: new LineLogger(level),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}

/** Runs a worker until SIGINT/SIGTERM; in-flight activities get the grace time to finish. */
export async function runWorker(env: Environment, log: (line: string) => void = (l) => console.error(l), onPolling?: () => void): Promise<void> {
  const target = temporalTargetFromEnvironment(env);
  const connect = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      const failure = await explainConnectFailure(err, target, env);
      throw new TemporalUnreachableError(`cannot connect to Temporal at ${target.address}: ${failure.reason}${failure.hint ? `\nhint: ${failure.hint}` : ''}`, { cause: err });
    }
  };
  // The store first: a worker whose database is unreachable or cannot be migrated must not take tasks.
  const store = await openStore(storeConfig(env, defaultDataDir(env)), { migrate: false });
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  try {
    const applied = await store.migrate();
    log(`worker: store ${store.target}${applied.length > 0 ? ` (migrated: ${applied.join(', ')})` : ''}`);
    const imported = await importFileLedger(store, join(defaultDataDir(env), 'notices'));
    if (imported > 0) log(`worker: imported ${imported} sent notice(s) from ${join(defaultDataDir(env), 'notices')} into the store`);
    connection = await connect(() => NativeConnection.connect(nativeConnectionOptions(target)));
    // A client connection for the activities that keep window schedules topped up.
    clientConnection = await connect(() => Connection.connect(clientConnectionOptions(target)));
    const schedules = { client: new Client({ connection: clientConnection, namespace: target.namespace }) };
    const worker = await createWorker({ connection, namespace: target.namespace, taskQueue: env.MAINT_TASK_QUEUE, deps: defaultActivityDeps(env, store, schedules) });
    const transport = describeTransport(target, env);
    log(`worker: polling task queue "${env.MAINT_TASK_QUEUE}" in namespace "${target.namespace}" at ${target.address}${transport ? ` ${transport}` : ''}`);
    const running = worker.run();
    onPolling?.();
    await running;
    log('worker: stopped');
  } finally {
    await clientConnection?.close();
    await connection?.close();
    await store.close();
  }
}

if (require.main === module) {
  const env = parseEnvironment(process.env);
  installRuntime(env.MAINT_LOG_LEVEL);
  runWorker(env).catch((err: unknown) => {
    console.error(`worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
