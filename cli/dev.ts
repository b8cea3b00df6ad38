import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { dataConverterOption } from '../control/codec';
import { parseEnvironment } from '../policies/common/environment';
import { defaultDataDir, installRuntime, runWorker } from '../worker';
import { CliError, EXIT } from './errors';
import { startDevCodecServer } from './codecServer';
import { findTemporalCli, TEMPORAL_CLI_HINT, TemporalServerExited, untilTemporalAnswers } from './temporalCli';
import { openStatusStore, startFeedsFor } from './windows';
import { consoleBanner, startConsoleFor, type RunningConsole } from './console';

export interface DevOptions {
  port: number;
  uiPort?: number;
  dataDir?: string;
  /** Port of the public maintenance feeds (`maint serve`); default 7280. */
  feedsPort?: number;
  /** Port of the operations console (`maint console`); default 7281. */
  consolePort?: number;
  /** Called once the server is up and the worker polls; the demo uses it. */
  onReady?: (address: string) => Promise<void>;
}

export { defaultDataDir };

/**
 * `maint dev`: the Temporal dev server persisted to $MAINT_DATA_DIR/temporal.db (Web UI on) and
 * the worker, in one command. Ctrl-C stops the worker gracefully, then the server; workflows and
 * schedules survive a restart because the database file does.
 */
export async function runDev(options: DevOptions): Promise<number> {
  const env = parseEnvironment({ ...process.env, TEMPORAL_ADDRESS: undefined });
  const converter = dataConverterOption(env); // a bad payload key is named before anything starts
  const cli = findTemporalCli();
  if (!cli) throw new CliError(EXIT.missingTool, `the Temporal CLI was not found\nhint: ${TEMPORAL_CLI_HINT}`);
  const uiPort = options.uiPort ?? options.port + 1000;
  const dataDir = options.dataDir !== undefined ? resolve(options.dataDir) : defaultDataDir(env);
  mkdirSync(dataDir, { recursive: true });
  for (const [port, what] of [[options.port, '--port'], [uiPort, '--ui-port']] as const) {
    if (!(await portIsFree(port))) {
      throw new CliError(EXIT.invalidInput, `127.0.0.1:${port} is already in use (is another \`maint dev\` running?); choose another with ${what}`);
    }
  }

  const address = `127.0.0.1:${options.port}`;
  const logFile = join(dataDir, 'temporal.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const codec = await startDevCodecServer(env, uiPort);
  const server = spawn(cli.path, [
    'server', 'start-dev',
    '--db-filename', join(dataDir, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(uiPort),
    '--ui-disable-news-fetch',
    '--log-level', 'warn',
    ...(codec ? ['--ui-codec-endpoint', codec.url] : []),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.pipe(log);
  server.stderr?.pipe(log);

  const say = (line: string) => process.stdout.write(`${line}\n`);
  let stopping = false;
  // Until the worker runs (and the Temporal runtime handles signals), Ctrl-C just stops the server.
  const earlyStop = () => {
    stopping = true;
    void stopServer(server).then(() => process.exit(130));
  };
  process.once('SIGINT', earlyStop);
  process.once('SIGTERM', earlyStop);

  let feeds: { url: string; close(): Promise<void> } | undefined;
  let operationsConsole: RunningConsole | undefined;
  try {
    await waitForServer(address, server, logFile);
    process.removeListener('SIGINT', earlyStop);
    process.removeListener('SIGTERM', earlyStop);
    if (stopping) return 130;
    say(`Temporal dev server  ${address}   (data: ${join(dataDir, 'temporal.db')}, log: ${logFile})`);
    say(`Temporal Web UI      http://127.0.0.1:${uiPort}${codec ? ` (payloads encrypted; decoded through ${codec.url})` : ''}`);
    say(`Task queue           ${env.MAINT_TASK_QUEUE}`);
    const feedConnection = await Connection.connect({ address });
    const feedStore = await openStatusStore(dataDir);
    feeds = await startFeedsFor(new Client({ connection: feedConnection, namespace: env.TEMPORAL_NAMESPACE, ...converter }), { port: options.feedsPort ?? 7280, ...(feedStore ? { store: feedStore } : {}) })
      .then((f) => ({ ...f, close: async () => { await f.close(); await feedStore?.close(); await feedConnection.close(); } }))
      .catch(async (err: unknown) => {
        say(`Maintenance feeds    not started: ${(err as Error).message}`);
        await feedStore?.close();
        await feedConnection.close();
        return undefined;
      });
    if (feeds) say(`Maintenance feeds    ${feeds.url}/  (maintenance.json, maintenance.ics, maintenance.atom)`);
    // Started before the worker: both migrate the store, one after the other.
    operationsConsole = await startConsoleFor({ port: options.consolePort ?? 7281, host: '127.0.0.1' }, { ...process.env, TEMPORAL_ADDRESS: address, MAINT_DATA_DIR: dataDir })
      .catch((err: unknown) => {
        say(`Operations console   not started: ${(err as Error).message}`);
        return undefined;
      });
    if (operationsConsole) for (const line of consoleBanner(operationsConsole)) say(line);
    say('Press Ctrl-C to stop the worker and the server.');
    installRuntime(env);
    const workerEnv = { ...env, TEMPORAL_ADDRESS: address, MAINT_DATA_DIR: dataDir }; // --data-dir holds the store too
    let polling!: () => void;
    const isPolling = new Promise<void>((resolve) => (polling = resolve));
    const worker = runWorker(workerEnv, say, polling);
    if (options.onReady) {
      // The server lists a poller once the worker's first long poll has arrived.
      await Promise.race([isPolling.then(() => sleep(1000)), worker]);
      await options.onReady(address).catch((err: unknown) => process.stderr.write(`demo: ${err instanceof Error ? err.stack : String(err)}\n`));
    }
    await worker;
    return EXIT.ok;
  } finally {
    await feeds?.close();
    await operationsConsole?.close();
    await codec?.close();
    await stopServer(server);
    say('Temporal dev server stopped');
  }
}

async function waitForServer(address: string, server: ChildProcess, logFile: string): Promise<void> {
  try {
    await untilTemporalAnswers(address, { server, timeoutMs: 60_000 });
  } catch (err) {
    if (err instanceof TemporalServerExited) throw new CliError(EXIT.failed, `the Temporal dev server exited during start-up; last lines of ${logFile}:\n${lastLines(logFile)}`);
    throw new CliError(EXIT.failed, `the Temporal dev server did not answer at ${address} within 60 s; see ${logFile}`);
  }
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((done) => server.once('exit', () => done()));
  server.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!killed) {
    server.kill('SIGKILL');
    await exited;
  }
}

function lastLines(file: string, n = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}
