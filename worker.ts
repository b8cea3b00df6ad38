/**
 * The composition root: configuration → connection → Worker(workflows bundle, createActivities(deps)).
 * `node dist/worker.js` (or `maint worker`) runs a worker against TEMPORAL_ADDRESS; `maint dev`
 * runs the same worker next to an embedded dev server.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from './activities';
import { productionDependencyDeps } from './activities/deps/production';
import { LineLogger } from './activities/log';
import { NodeSshConnector } from './activities/hosts/ssh';
import { dataConverterOption } from './control/codec';
import { clientConnectionOptions, nativeConnectionOptions, temporalTargetFromEnvironment, unreachable } from './control/connection';
import { describeTransport } from './control/tlsDiagnosis';
import { parseEnvironment, type Environment } from './policies/common/environment';

/** Where the worker and `maint dev` keep state: $MAINT_DATA_DIR, else ~/.local/share/maint. */
export function defaultDataDir(env: { MAINT_DATA_DIR?: string | undefined }): string {
  return resolve(env.MAINT_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'maint'));
}

/** The default adapters for a production worker, from the environment. */
export function defaultActivityDeps(env: Environment, schedules?: ActivityDeps['schedules']): ActivityDeps {
  return {
    noticeLedgerDir: join(defaultDataDir(env), 'notices'),
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
  /** Payload encryption (control/codec.ts `dataConverterOption`); none: payloads in clear. */
  dataConverter?: DataConverter;
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
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
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
  const { dataConverter } = dataConverterOption(env);
  const connect = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      throw await unreachable(err, target, env);
    }
  };
  const connection = await connect(() => NativeConnection.connect(nativeConnectionOptions(target)));
  // A client connection for the activities that keep window schedules topped up.
  const clientConnection = await connect(() => Connection.connect(clientConnectionOptions(target))).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  try {
    const schedules = { client: new Client({ connection: clientConnection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}) }) };
    const worker = await createWorker({ connection, namespace: target.namespace, taskQueue: env.MAINT_TASK_QUEUE, deps: defaultActivityDeps(env, schedules), ...(dataConverter ? { dataConverter } : {}) });
    const transport = describeTransport(target, env);
    log(`worker: polling task queue "${env.MAINT_TASK_QUEUE}" in namespace "${target.namespace}" at ${target.address}${transport ? ` ${transport}` : ''}`);
    const running = worker.run();
    onPolling?.();
    await running;
    log('worker: stopped');
  } finally {
    await clientConnection.close();
    await connection.close();
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
