import { ApplicationFailure } from '@temporalio/activity';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { networkEnvironment, untrustedCertificateHint } from '../network';
import { packageRoot } from '../paths';
import { activityContext } from '../context';
import type { RenovateScan, ScanProblem } from '../../policies/deps/types';
import { githubTokenHostRules, renovateConfig, type RenovateLookupInput } from './config';
import { configValidationErrors, parseRenovateReport, scanFromReport, type RenovateReport } from './report';
import { FAILURE } from '../../policies/common/failures';
import { redact as redactSecrets } from '../../policies/common/redact';

export type { RenovateLookupInput } from './config';

/** The Renovate version this code was written and tested against (scripts/bootstrap.sh installs it). */
export const renovateVersion = '44.121.2';

/** Where scripts/bootstrap.sh installs Renovate (and points MAINT_RENOVATE_PATH at). */
export function bundledRenovatePath(): string {
  return join(packageRoot(), '.tools', 'renovate', 'node_modules', '.bin', 'renovate');
}

export interface RenovateLookupOptions {
  /** The Renovate CLI; default MAINT_RENOVATE_PATH, then .tools/renovate. */
  renovatePath?: string;
  /** Renovate is killed after this long (default 10 minutes). */
  timeoutMs?: number;
  /** How often the activity heartbeats while Renovate runs (default 5 s). */
  heartbeatMs?: number;
  /** Stops the run (outside an activity; inside one, the activity's cancellation does). */
  signal?: AbortSignal;
}

const OUTPUT_LINES_KEPT = 40;

/**
 * Runs the pinned Renovate CLI in lookup-only dry-run mode over a checkout and returns every update
 * it proposes, every problem it met (never an empty success when a registry failed) and what it
 * scanned. Heartbeats while Renovate runs when called inside an activity.
 */
export async function runRenovateLookup(input: RenovateLookupInput, options: RenovateLookupOptions = {}): Promise<RenovateScan> {
  validateInput(input);
  const cli = options.renovatePath ?? process.env.MAINT_RENOVATE_PATH ?? bundledRenovatePath();
  if (!existsSync(cli)) {
    throw ApplicationFailure.nonRetryable(`Renovate CLI not found at ${cli}: run scripts/bootstrap.sh (ensure_renovate) or set MAINT_RENOVATE_PATH`, FAILURE.RenovateMissing);
  }
  const whole = await lookupOnce(cli, input, options);
  if (whole.result !== HOST_ABORT) return whole.scan;
  // Renovate stops the whole repository at one host it takes for down (Docker Hub unreachable, a
  // registry answering 5xx): every manager's results are lost. Each manager alone keeps the others'.
  const alone = input.managers.length === 1 ? [{ manager: input.managers[0]!, ...whole }] : [];
  if (input.managers.length > 1) {
    for (const manager of input.managers) alone.push({ manager, ...await lookupOnce(cli, { ...input, managers: [manager] }, options) });
  }
  const scanned = alone.filter((r) => r.result !== HOST_ABORT);
  const unscanned = alone.filter((r) => r.result === HOST_ABORT).map(({ manager, scan }) => ({
    manager,
    reason: `Renovate stopped at a host it could not use (${scan.problems.find((p) => p.message.startsWith('Host error'))?.message ?? HOST_ABORT})`,
  }));
  const problems: ScanProblem[] = [
    ...unscanned.map((u) => ({ level: 'error' as const, message: `${u.manager} not scanned: ${u.reason}${scanned.length ? `; ${scanned.map((r) => r.manager).join(', ')} scanned separately` : ''}` })),
    ...alone.flatMap((r) => r.scan.problems),
  ];
  const seen = new Set<string>();
  return {
    updates: scanned.flatMap((r) => r.scan.updates),
    problems: problems.filter((p) => !seen.has(p.message) && seen.add(p.message)),
    managers: scanned.flatMap((r) => r.scan.managers),
    dependencies: scanned.flatMap((r) => r.scan.dependencies ?? []),
    unscanned,
    renovateVersion: whole.scan.renovateVersion,
  };
}

/** Renovate's repository result when it aborted the repository for a host error (lib/constants/error-messages.ts). */
const HOST_ABORT = 'external-host-error';

/** One Renovate run over the checkout with `input.managers`, and Renovate's result for the repository (`done`, `external-host-error`, …). */
async function lookupOnce(cli: string, input: RenovateLookupInput, options: RenovateLookupOptions): Promise<{ scan: RenovateScan; result?: string }> {
  const work = mkdtempSync(join(tmpdir(), 'maint-renovate-'));
  try {
    const home = join(work, 'home');
    mkdirSync(home);
    const configFile = join(work, 'config.json');
    const reportPath = join(work, 'report.json');
    writeFileSync(configFile, `${JSON.stringify(renovateConfig(input, { cacheDir: join(work, 'cache'), baseDir: join(work, 'base') }), null, 2)}\n`, { mode: 0o600 });

    const tokenRules = githubTokenHostRules(input);
    const env: NodeJS.ProcessEnv = {
      // The worker's own Node first: Renovate 44 needs Node >= 24, and a system `node` may be older.
      PATH: [dirname(process.execPath), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(delimiter),
      HOME: home,
      // CAs and proxies, for Renovate and the git and npm it runs.
      ...networkEnvironment(),
      TMPDIR: work,
      // Debug: a registry that fails shows only there (its lookups end as a bare "no-result" warning).
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      RENOVATE_CONFIG_FILE: configFile,
      ...(tokenRules.length ? { RENOVATE_HOST_RULES: JSON.stringify(tokenRules) } : {}),
      // The go datasource reads its proxy (and which modules are private) from the environment only.
      ...Object.fromEntries(['GOPROXY', 'GONOPROXY', 'GOPRIVATE'].flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
      ...(input.goproxyUrl !== undefined ? { GOPROXY: input.goproxyUrl } : {}),
    };
    const args = ['--platform=local', '--dry-run=lookup', '--report-type=file', `--report-path=${reportPath}`];
    // The token itself (whatever its shape), then every other secret shape (URL credentials and queries, headers, tokens).
    const redact = (text: string) => redactSecrets(input.githubToken ? text.split(input.githubToken).join('***') : text);

    const run = await runCli(cli, args, { cwd: input.checkoutDir, env, timeoutMs: options.timeoutMs ?? 600_000, heartbeatMs: options.heartbeatMs ?? 5000, ...(options.signal ? { signal: options.signal } : {}) });
    const tail = () => redact(run.lines.map(renderLogLine).join('\n'));
    if (run.timedOut) throw ApplicationFailure.retryable(`Renovate did not finish within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s in ${input.checkoutDir}; last output:\n${tail()}`, FAILURE.RenovateTimeout);
    if (run.cancelled) throw run.cancelled instanceof Error ? run.cancelled : ApplicationFailure.nonRetryable(`Renovate lookup in ${input.checkoutDir} was cancelled`, FAILURE.RenovateCancelled);
    if (run.code !== 0) throw new Error(`Renovate exited with ${run.code ?? `signal ${run.signal}`} in ${input.checkoutDir}; last output:\n${tail()}`);
    if (!existsSync(reportPath)) throw new Error(`Renovate exited 0 but wrote no report (${reportPath}) in ${input.checkoutDir}; last output:\n${tail()}`);

    let report: RenovateReport;
    try {
      report = parseRenovateReport(readFileSync(reportPath, 'utf8'));
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`${(err as Error).message} (Renovate ${run.version ?? 'unknown version'}, tested with ${renovateVersion}); last output:\n${tail()}`, FAILURE.RenovateReportInvalid);
    }
    // Renovate exits 0 and scans nothing when our configuration is invalid (an unknown manager).
    const invalid = configValidationErrors(report);
    if (invalid.length) throw ApplicationFailure.nonRetryable(`Renovate rejected the configuration for ${input.checkoutDir}: ${redact(invalid.join('; '))}`, FAILURE.RenovateConfigInvalid);
    if (Object.keys(report.repositories).length === 0) {
      throw new Error(`Renovate did not scan ${input.checkoutDir}: ${redact(report.problems.map((p) => p.msg).join('; ') || 'no problem reported')}; last output:\n${tail()}`);
    }
    const scan = scanFromReport(report, run.version ?? renovateVersion);
    // A configured registry that fails, or a host that failed the lookups of several dependencies, is an
    // outage (an error); a host that cost one dependency its lookup (engines.node's node-version, one
    // action) is that dependency's warning, as Renovate has it.
    const failedLookups = new Set(scan.problems.filter((p) => p.depName !== undefined && /^Failed to look up/.test(p.message)).map((p) => `${p.packageFile} ${p.depName}`));
    const registries = new Set([...[input.npmRegistryUrl, input.pypiRegistryUrl, input.goproxyUrl, input.mavenRegistryUrl].flatMap((url) => (url !== undefined ? [new URL(url).host] : [])), ...(input.dockerRegistries ?? []).map((r) => r.host)]);
    const extra: ScanProblem[] = run.failedRequests().map((p) => (failedLookups.size > 1 || registries.has(p.host) ? p.problem : { ...p.problem, level: 'warning' }));
    if (run.version !== undefined && run.version !== renovateVersion) {
      extra.push({ level: 'warning', message: `Renovate ${run.version} ran; this code was tested with ${renovateVersion}` });
    }
    const seen = new Set(scan.problems.map((p) => p.message));
    const problems = [...scan.problems, ...extra.filter((p) => !seen.has(p.message))].map((p) => ({ ...p, message: redact(p.message) }));
    return { scan: { ...scan, problems }, ...(run.repositoryResult !== undefined ? { result: run.repositoryResult } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function validateInput(input: RenovateLookupInput): void {
  // A registry URL may carry credentials (https://user:token@…): the message goes into the history.
  const invalid = (message: string) => ApplicationFailure.nonRetryable(`Renovate lookup input: ${redactSecrets(message)}`, FAILURE.RenovateInputInvalid);
  if (!isAbsolute(input.checkoutDir)) throw invalid(`checkoutDir must be absolute, got ${input.checkoutDir}`);
  if (!existsSync(input.checkoutDir) || !statSync(input.checkoutDir).isDirectory()) throw invalid(`checkoutDir ${input.checkoutDir} is not a directory`);
  if (input.managers.length === 0) throw invalid('no managers given');
  if (input.managers.some((m) => !/^[a-z0-9][a-z0-9_-]*$/.test(m))) throw invalid(`manager names are lower-case words, got ${input.managers.join(', ')}`);
  for (const [what, url] of [['npmRegistryUrl', input.npmRegistryUrl], ['githubApiUrl', input.githubApiUrl], ['pypiRegistryUrl', input.pypiRegistryUrl], ['goproxyUrl', input.goproxyUrl], ['mavenRegistryUrl', input.mavenRegistryUrl]] as const) {
    if (url === undefined) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid(`${what} is not a URL: ${url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(`${what} must be http(s): ${url}`);
    // Renovate drops an .npmrc whose registry names localhost, and then looks up the public registry.
    if (what === 'npmRegistryUrl' && parsed.hostname === 'localhost') throw invalid(`${what} ${url}: use 127.0.0.1 instead of localhost (Renovate ignores a localhost npm registry)`);
  }
  for (const registry of input.dockerRegistries ?? []) {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry.host)) throw invalid(`docker registry host must be host[:port], got ${registry.host}`);
  }
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The abort reason (Temporal's CancelledFailure inside an activity) when the run was cancelled. */
  cancelled: unknown;
  /** The last lines of stdout and stderr at level info and above (and anything that is not a log record). */
  lines: string[];
  /** Registry requests that failed for another reason than "not found", one problem per origin and cause. */
  failedRequests(): { host: string; problem: ScanProblem }[];
  /** From Renovate's "Renovate started" record. */
  version?: string;
  /** From its "Repository result: …" record: `done`, or why it stopped (`external-host-error`). */
  repositoryResult?: string;
}

function runCli(cli: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; heartbeatMs: number; signal?: AbortSignal }): Promise<CliRun> {
  const ctx = activityContext();
  // .bin/renovate is a `#!/usr/bin/env node` script: run it with this process's Node explicitly.
  const script = realpathSync(cli);
  const [command, commandArgs] = /\.[cm]?js$/.test(script) ? [process.execPath, [script, ...args]] : [script, args];
  return new Promise<CliRun>((resolvePromise, reject) => {
    const started = Date.now();
    const failures = new Map<string, { origin: string; cause: string; request: string; count: number }>();
    const result: CliRun = {
      code: null, signal: null, timedOut: false, cancelled: undefined, lines: [],
      failedRequests: () => [...failures.values()].map(({ origin, cause, request, count }) => {
        const hint = untrustedCertificateHint(cause);
        let host = origin;
        try {
          host = new URL(origin).host;
        } catch {
          // not a URL: compared as written
        }
        return {
          host,
          problem: {
            level: 'error',
            message: redactSecrets(`${origin} failed: ${cause} (${request}${count > 1 ? ` and ${count - 1} more requests` : ''}); lookups against it are incomplete${hint ? `: ${hint}` : ''}`),
          },
        };
      }),
    };
    // Its own process group, so a timeout also ends what Renovate started (git, npm).
    const child = spawn(command, commandArgs, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let lastMessage = '';
    const onLine = (line: string) => {
      if (!line.trim()) return;
      const record = parseJsonLine(line);
      if (!record || typeof record.level !== 'number' || record.level >= 30) {
        result.lines.push(line);
        if (result.lines.length > OUTPUT_LINES_KEPT) result.lines.shift();
      }
      if (!record) return;
      const failure = typeof record.msg === 'string' ? failedRequest(record.msg) : undefined;
      if (failure) {
        const key = `${failure.origin} ${failure.cause}`;
        const seen = failures.get(key);
        if (seen) seen.count++;
        else failures.set(key, { ...failure, count: 1 });
      }
      if (typeof record.msg === 'string') lastMessage = record.msg;
      if (record.msg === 'Renovate started' && typeof record.renovateVersion === 'string') result.version = record.renovateVersion;
      const repositoryResult = typeof record.msg === 'string' ? /^Repository result: ([\w-]+),/.exec(record.msg) : null;
      if (repositoryResult) result.repositoryResult = repositoryResult[1];
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
      stream.on('end', () => onLine(buffered));
    }
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    };
    const timer = setTimeout(() => {
      result.timedOut = true;
      stop();
    }, options.timeoutMs);
    const heartbeat = setInterval(() => ctx?.heartbeat({ step: 'renovate lookup', seconds: Math.round((Date.now() - started) / 1000), lastMessage: lastMessage.slice(0, 200) }), options.heartbeatMs);
    const signals = [ctx?.cancellationSignal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const onAbort = (event: Event) => {
      result.cancelled = (event.target as AbortSignal).reason ?? true;
      stop();
    };
    for (const s of signals) {
      if (s.aborted) {
        result.cancelled = s.reason ?? true;
        stop();
      } else s.addEventListener('abort', onAbort, { once: true });
    }
    ctx?.heartbeat({ step: 'renovate lookup', seconds: 0 });
    child.once('error', (err) => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      reject(new Error(`could not start Renovate (${cli}): ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(heartbeat);
      for (const s of signals) s.removeEventListener('abort', onAbort);
      killGroup('SIGKILL'); // anything Renovate left behind in its group
      resolvePromise({ ...result, code, signal });
    });
  });
}

/**
 * Renovate's HTTP layer logs each failed request (after its retries) at debug level as
 * `GET <url> = (code=ECONNREFUSED, statusCode=-1 retryCount=2, duration=1)`. Not found (404/410)
 * is the dependency's own warning; anything else means a registry did not answer properly.
 */
function failedRequest(message: string): { origin: string; cause: string; request: string } | undefined {
  const match = /^([A-Z]+) (\S+) = \(code=([^,]*), statusCode=(-?\d+)/.exec(message);
  if (!match) return undefined;
  const [, method, url, code, status] = match as unknown as [string, string, string, string, string];
  if (status === '404' || status === '410') return undefined;
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // keep the text as Renovate wrote it
  }
  return { origin, cause: status === '-1' ? code : `HTTP ${status}`, request: `${method} ${url}` };
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A Renovate JSON log record as one readable line: `WARN message: error (key=value)`. */
function renderLogLine(line: string): string {
  const record = parseJsonLine(line);
  if (!record) return line;
  const level = LEVELS[record.level as number] ?? String(record.level);
  const err = record.err as { message?: string } | undefined;
  const fields = ['repository', 'packageFile', 'depName', 'host', 'url'].flatMap((k) => (typeof record[k] === 'string' ? [`${k}=${String(record[k])}`] : []));
  return `${level} ${String(record.msg ?? '')}${err?.message ? `: ${err.message}` : ''}${fields.length ? ` (${fields.join(', ')})` : ''}`;
}
