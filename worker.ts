/**
 * The composition root: configuration → connection → Worker(workflows bundle, createActivities(deps)).
 * `node dist/worker.js` (or `maint worker`) runs a worker against TEMPORAL_ADDRESS; `maint dev`
 * runs the same worker next to an embedded dev server.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type TelemetryOptions, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, createDomainActivities, type ActivityDeps } from './activities';
import { productionDependencyDeps } from './activities/deps/production';
import { LineLogger } from './activities/log';
import { importFileLedger } from './activities/notices/ledger';
import { NodeSshConnector } from './activities/hosts/ssh';
import { dataConverterOption } from './control/codec';
import { clientConnectionOptions, nativeConnectionOptions, temporalTargetFromEnvironment, unreachable } from './control/connection';
import { describeTransport } from './control/tlsDiagnosis';
import { clientTracingInterceptors, flushTracing, installTracing, workerTracingPlugins } from './control/tracing';
import { parseEnvironment, type Environment } from './policies/common/environment';
import { redact } from './policies/common/redact';
import { activityTaskQueue, DEFAULT_CONCURRENCY, SERVED_QUEUES, type ServedQueue } from './policies/common/taskQueues';
import { openStore, storeConfig, type Store } from './store';

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
      poolIdleMs: env.MAINT_SSH_POOL_IDLE,
      poolMaxConnections: env.MAINT_SSH_POOL_MAX,
    }),
  };
}

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The workflow task queue; each activity domain's queue is named after it. */
  taskQueue: string;
  deps: ActivityDeps;
  /** The queues this process serves (MAINT_TASK_QUEUES); default all of them. */
  queues?: readonly ServedQueue[];
  /** Activities run at once per queue (MAINT_<QUEUE>_CONCURRENCY); default {@link DEFAULT_CONCURRENCY}. */
  concurrency?: Partial<Record<ServedQueue, number>>;
  /** A prebuilt bundle (tests bundle once per file); default: bundle workflows/index at start. */
  workflowBundle?: WorkflowBundleOption;
  /** How long in-flight activities get to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: string;
  /** Payload encryption (control/codec.ts `dataConverterOption`); none: payloads in clear. */
  dataConverter?: DataConverter;
  /** Worker tuning (MAINT_WORKER_*); unset ones keep the SDK's defaults. */
  tuning?: WorkerTuning;
  /** Worker plugins (control/tracing.ts: OpenTelemetry interceptors when MAINT_TRACES_OTLP is set). */
  plugins?: WorkerPlugin[];
}

/** The Temporal Worker options a deployment may tune at scale (README "Worker metrics" and bench/README). */
export interface WorkerTuning {
  maxCachedWorkflows?: number | undefined;
  maxConcurrentWorkflowTaskExecutions?: number | undefined;
  maxConcurrentWorkflowTaskPolls?: number | undefined;
  maxConcurrentActivityTaskPolls?: number | undefined;
}

/** The tuning MAINT_WORKER_* asks for. */
export function workerTuning(env: Environment): WorkerTuning {
  return {
    maxCachedWorkflows: env.MAINT_WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: env.MAINT_WORKER_WORKFLOW_TASKS,
    maxConcurrentWorkflowTaskPolls: env.MAINT_WORKER_WORKFLOW_POLLERS,
    maxConcurrentActivityTaskPolls: env.MAINT_WORKER_ACTIVITY_POLLERS,
  };
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function workflowsPath(): string {
  return require.resolve('./workflows');
}

/**
 * One Worker per served queue, on one connection. The `workflows` one polls the workflow task queue
 * as before (running workflows and schedules keep working) and also has every activity: an activity
 * an earlier version scheduled there, or its retry, still finds a worker after an upgrade. Each
 * domain's Worker has only its own activities and its own concurrency.
 */
export async function createWorker(options: CreateWorkerOptions): Promise<WorkerGroup> {
  const queues = options.queues ?? SERVED_QUEUES;
  const domains = createDomainActivities(options.deps);
  const common = { connection: options.connection, namespace: options.namespace, shutdownGraceTime: options.shutdownGraceTime ?? '30 seconds',
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}), ...(options.plugins?.length ? { plugins: options.plugins } : {}) };
  const { maxConcurrentActivityTaskPolls, ...workflowTuning } = options.tuning ?? {};
  const activityPolls = defined({ maxConcurrentActivityTaskPolls });
  const workers: Worker[] = [];
  for (const queue of queues) {
    const maxConcurrentActivityTaskExecutions = options.concurrency?.[queue] ?? DEFAULT_CONCURRENCY[queue];
    workers.push(await (queue === 'workflows'
      ? Worker.create({
        ...common, ...defined(workflowTuning), ...activityPolls, taskQueue: options.taskQueue, maxConcurrentActivityTaskExecutions, activities: createActivities(options.deps),
        ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
      })
      : Worker.create({ ...common, ...activityPolls, taskQueue: activityTaskQueue(options.taskQueue, queue), maxConcurrentActivityTaskExecutions, activities: domains[queue] })));
  }
  return new WorkerGroup(workers);
}

/** The Workers of one process, run and stopped together (the Worker API tests and `runWorker` use). */
export class WorkerGroup {
  constructor(readonly workers: readonly Worker[]) {}

  /** Runs every Worker until all have stopped; one failing stops the others and fails the run. */
  async run(): Promise<void> {
    const runs = this.workers.map((w) => w.run());
    try {
      await Promise.all(runs);
    } catch (err) {
      this.shutdown();
      await Promise.allSettled(runs);
      throw err;
    }
  }

  shutdown(): void {
    for (const w of this.workers) if (w.getState() === 'RUNNING') w.shutdown();
  }

  /** Runs the Workers while `until` runs, then stops them and waits until they have stopped. */
  async runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R> {
    const running = this.run();
    try {
      const stopped = running.then(() => Promise.reject(new Error('the workers stopped before the work was done')));
      return await Promise.race([typeof until === 'function' ? until() : until, stopped]);
    } finally {
      this.shutdown();
      await running.catch(() => undefined);
    }
  }
}

/**
 * Installs the Temporal runtime once per process: quiet core logs, graceful stop on SIGINT/SIGTERM,
 * and metrics when configured — Temporal's own (schedule-to-start latency, slots, sticky cache, …)
 * and ours (`maint_*`, activities/metrics.ts and the workflows' counters) through one exporter:
 * a Prometheus `/metrics` endpoint (MAINT_METRICS_PROMETHEUS) or an OTLP collector (MAINT_METRICS_OTLP).
 */
export function installRuntime(env: Pick<Environment, 'MAINT_LOG_LEVEL' | 'MAINT_LOG_FORMAT' | 'MAINT_METRICS_PROMETHEUS' | 'MAINT_METRICS_OTLP'>): void {
  const logLevel = env.MAINT_LOG_LEVEL;
  const level = logLevel === 'trace' ? 'TRACE' : logLevel === 'debug' ? 'DEBUG' : logLevel === 'error' || logLevel === 'fatal' || logLevel === 'silent' ? 'ERROR' : 'WARN';
  Runtime.install({
    logger: new LineLogger(level, undefined, env.MAINT_LOG_FORMAT),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) }, ...metricsOption(env) },
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
}

/** Buckets (seconds) for our SSH histograms: a handshake takes milliseconds to seconds, a command up to the step's timeout. */
const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  maint_ssh_connect: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  maint_ssh_command: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
};

function metricsOption(env: Pick<Environment, 'MAINT_METRICS_PROMETHEUS' | 'MAINT_METRICS_OTLP'>): Pick<TelemetryOptions, 'metrics'> {
  // Counters end in _total and durations are in seconds, as Prometheus' naming conventions ask.
  const common = { useSecondsForDurations: true, histogramBucketOverrides: HISTOGRAM_BUCKETS };
  if (env.MAINT_METRICS_PROMETHEUS !== undefined) {
    return { metrics: { prometheus: { bindAddress: env.MAINT_METRICS_PROMETHEUS, countersTotalSuffix: true, unitSuffix: true, ...common } } };
  }
  if (env.MAINT_METRICS_OTLP !== undefined) {
    return { metrics: { otel: { url: env.MAINT_METRICS_OTLP, http: /^https?:/.test(env.MAINT_METRICS_OTLP), ...common } } };
  }
  return {};
}

/** The worker's own lines (store, polling, stopped) on stderr, as JSON objects too with MAINT_LOG_FORMAT=json. */
export function lifecycleLog(env: Pick<Environment, 'MAINT_LOG_FORMAT'>): (line: string) => void {
  if (env.MAINT_LOG_FORMAT === 'json') return (line) => console.error(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: line }));
  return (line) => console.error(line);
}

/** Runs a worker until SIGINT/SIGTERM; in-flight activities get the grace time to finish. */
export async function runWorker(env: Environment, log: (line: string) => void = lifecycleLog(env), onPolling?: () => void): Promise<void> {
  const target = temporalTargetFromEnvironment(env);
  const { dataConverter } = dataConverterOption(env);
  const connect = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      throw await unreachable(err, target, env);
    }
  };
  installTracing(env, 'maint-worker');
  // The store first: a worker whose database is unreachable or cannot be migrated must not take tasks.
  const store = await openStore(storeConfig(env, defaultDataDir(env)), { migrate: false });
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  let deps: ActivityDeps | undefined;
  try {
    const applied = await store.migrate();
    log(`worker: store ${store.target}${applied.length > 0 ? ` (migrated: ${applied.join(', ')})` : ''}`);
    const imported = await importFileLedger(store, join(defaultDataDir(env), 'notices'));
    if (imported > 0) log(`worker: imported ${imported} sent notice(s) from ${join(defaultDataDir(env), 'notices')} into the store`);
    connection = await connect(() => NativeConnection.connect(nativeConnectionOptions(target)));
    // A client connection for the activities that keep window schedules topped up.
    clientConnection = await connect(() => Connection.connect(clientConnectionOptions(target)));
    const schedules = { client: new Client({ connection: clientConnection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}), ...clientTracingInterceptors() }) };
    deps = defaultActivityDeps(env, store, schedules);
    const worker = await createWorker({
      connection, namespace: target.namespace, taskQueue: env.MAINT_TASK_QUEUE, deps,
      queues: env.MAINT_TASK_QUEUES, concurrency: { workflows: env.MAINT_WORKFLOWS_CONCURRENCY, hosts: env.MAINT_HOSTS_CONCURRENCY, dependencies: env.MAINT_DEPENDENCIES_CONCURRENCY, control: env.MAINT_CONTROL_CONCURRENCY },
      ...(dataConverter ? { dataConverter } : {}), tuning: workerTuning(env), plugins: workerTracingPlugins(),
    });
    const transport = describeTransport(target, env);
    const domains = env.MAINT_TASK_QUEUES.filter((q) => q !== 'workflows').map((q) => `"${activityTaskQueue(env.MAINT_TASK_QUEUE, q)}"`);
    const where = `in namespace "${target.namespace}" at ${target.address}${transport ? ` ${transport}` : ''}`;
    if (env.MAINT_TASK_QUEUES.includes('workflows')) log(`worker: polling task queue "${env.MAINT_TASK_QUEUE}" ${where}`);
    if (domains.length > 0) log(`worker: polling activity task queue${domains.length > 1 ? 's' : ''} ${domains.join(', ')} ${where}`);
    if (env.MAINT_METRICS_PROMETHEUS !== undefined) log(`worker: metrics at http://${env.MAINT_METRICS_PROMETHEUS}/metrics`);
    if (env.MAINT_METRICS_OTLP !== undefined) log(`worker: metrics pushed to ${redact(env.MAINT_METRICS_OTLP)}`);
    if (env.MAINT_TRACES_OTLP !== undefined) log(`worker: traces exported to ${redact(env.MAINT_TRACES_OTLP)}`);
    const running = worker.run();
    onPolling?.();
    await running;
    log('worker: stopped');
  } finally {
    // The activities have finished (or the worker never started): the pooled SSH connections go.
    deps?.ssh.close?.();
    await flushTracing();
    await clientConnection?.close();
    await connection?.close();
    await store.close();
  }
}

if (require.main === module) {
  const env = parseEnvironment(process.env);
  installRuntime(env);
  runWorker(env).catch((err: unknown) => {
    lifecycleLog(env)(`worker: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
