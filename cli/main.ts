import { Command, InvalidArgumentError, CommanderError } from 'commander';
import { parseEnvironment } from '../policies/common/environment';
import { installRuntime, runWorker } from '../worker';
import { runDemo } from './demo';
import { runDev } from './dev';
import { doctorExitCode, renderDoctor, runDoctorChecks } from './doctor';
import { registerAuditCommand } from './audit';
import { registerDbCommands } from './db';
import { registerServicesCommands } from './services';
import { registerReportCommand } from './report';
import { registerConsoleCommands } from './console';
import { EXIT, exitCodeOf } from './errors';
import { flushTracing, inSpan, installTracing } from '../control/tracing';
import { hostsFacts, hostsLeases, hostsRelease } from './hosts';
import { hostsCompliance, hostsScan } from './compliance';
import { rolloutControl, rolloutList, rolloutStart, rolloutStatus } from './rollout';
import { jsonSchema, SCHEMAS } from './schema';
import { applyCommand } from './apply';
import { codecServerCommand, DEFAULT_CODEC_PORT } from './codecServer';
import { depsScan, depsStatus } from './deps';
import { noticesPreview, serveFeeds, windowsCancel, windowsOverride, windowsExtend, windowsList, windowsNext, windowsStatus } from './windows';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

export function buildProgram(): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const program = new Command('maint')
    .description('Maintenance Orchestrator: maintenance windows, rolling patches over SSH, upgrade PRs and customer notices, on Temporal.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', '\nExit codes: 0 ok, 1 something failed, 2 invalid input, 3 Temporal unreachable, 4 a required tool is missing.\nConfiguration comes from the environment: see the README (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, MAINT_TASK_QUEUE, ...).');

  program
    .command('dev')
    .description('Start the embedded Temporal dev server (persisted to $MAINT_DATA_DIR/temporal.db, Web UI on) and the worker; Ctrl-C stops both.')
    .option('--port <port>', 'Temporal frontend port', integer('--port', 1, 65535), 7233)
    .option('--ui-port <port>', 'Web UI port (default: port + 1000)', integer('--ui-port', 1, 65535))
    .option('--data-dir <dir>', 'where temporal.db lives (default: $MAINT_DATA_DIR or ~/.local/share/maint)')
    .option('--feeds-port <port>', 'public maintenance feeds (as `maint serve`)', integer('--feeds-port', 1, 65535), 7280)
    .option('--console-port <port>', 'the operations console (as `maint console`)', integer('--console-port', 1, 65535), 7281)
    .action(async (opts: { port: number; uiPort?: number; dataDir?: string; feedsPort: number; consolePort: number }) => {
      process.exitCode = await runDev({ port: opts.port, feedsPort: opts.feedsPort, consolePort: opts.consolePort, ...(opts.uiPort !== undefined ? { uiPort: opts.uiPort } : {}), ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
    });

  program
    .command('demo')
    .description('`maint dev` plus a simulated fleet of 12 hosts and a real workflow run on it; Ctrl-C stops everything.')
    .option('--port <port>', 'Temporal frontend port', integer('--port', 1, 65535), 7233)
    .option('--data-dir <dir>', 'where temporal.db lives (default: $MAINT_DATA_DIR or ~/.local/share/maint)')
    .option('--console-port <port>', 'the operations console (as `maint console`)', integer('--console-port', 1, 65535), 7281)
    .action(async (opts: { port: number; dataDir?: string; consolePort: number }) => {
      process.exitCode = await runDemo({ port: opts.port, consolePort: opts.consolePort, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
    });

  program
    .command('worker')
    .description('Run a worker against TEMPORAL_ADDRESS (a cluster or Temporal Cloud); SIGINT/SIGTERM stop it gracefully.')
    .action(async () => {
      const env = parseEnvironment(process.env);
      installRuntime(env);
      await runWorker(env);
    });

  program
    .command('doctor')
    .description('Check Node, the Temporal CLI, the environment, the server, the namespace, and for each queue this worker serves (MAINT_TASK_QUEUES) a polling worker and what it needs: SSH credentials (hosts), Renovate, git and npm (dependencies); with -f, the GitHub credentials of the files\' dependencies too.')
    .option('-f, --file <maint.yaml>', 'organisation file whose dependencies.github credentials to check; repeat for several', collect)
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean; file?: string[] }) => {
      const checks = await runDoctorChecks(process.env, { ...(opts.file ? { files: opts.file } : {}) });
      process.stdout.write(opts.json ? `${JSON.stringify(checks, null, 2)}\n` : `${renderDoctor(checks)}\n`);
      process.exitCode = doctorExitCode(checks);
    });

  const hosts = program.command('hosts').description('Work with the hosts of an inventory.');
  hosts
    .command('facts')
    .description('Connect to each host (pinned host keys) and show hostname, OS, kernel, uptime, boot id and free disk.')
    .requiredOption('-f, --file <inventory.yaml>', 'inventory file (apiVersion maint/v1, kind Inventory)')
    .option('-l, --selector <selector>', 'only hosts whose tags match, e.g. "role=web,patchGroup in (a,b)"')
    .option('--parallelism <n>', 'hosts asked at once', integer('--parallelism', 1, 200))
    .option('--json', 'one JSON entry per host: its name and either its facts or its error')
    .action(async (opts: { file: string; selector?: string; json?: boolean; parallelism?: number }) => {
      process.exitCode = await hostsFacts(opts);
    });

  hosts
    .command('scan')
    .description('Scan each host now (read-only, through the worker) for pending updates, security updates and their age, held packages and a pending reboot; record it in the store and show each host\'s compliance (exit 1 if a host could not be scanned).')
    .requiredOption('-f, --file <inventory.yaml>', 'inventory file (apiVersion maint/v1, kind Inventory)')
    .option('-l, --selector <selector>', 'only hosts whose tags match, e.g. "role=web,patchGroup in (a,b)"')
    .option('--baseline <baseline.yaml>', 'judge against this PatchBaseline (default: any missing security update is non-compliant)')
    .option('--refresh', 're-read the repositories first (apt-get update / dnf --refresh through become); default read-only')
    .option('--parallelism <n>', 'hosts scanned at once (default 20)', integer('--parallelism', 1, 200))
    .option('--json', 'the scan\'s counts per host and the compliance report')
    .action(async (opts: { file: string; selector?: string; baseline?: string; refresh?: boolean; parallelism?: number; json?: boolean }) => {
      process.exitCode = await hostsScan(opts);
    });
  hosts
    .command('compliance')
    .description('From the latest scans in the store: each host compliant, non-compliant or unknown (with why), worst first, and per service and inventory the counts and the oldest missing security update (exit 1 unless every host is compliant).')
    .option('-f, --file <inventory.yaml>', 'the hosts of this inventory (never scanned = unknown); default: every host the store has scans of')
    .option('-l, --selector <selector>', 'only hosts whose tags match (with -f)')
    .option('--service <name>', 'only hosts tagged service=NAME (with -f)')
    .option('--baseline <baseline.yaml>', 'judge against this PatchBaseline (default: any missing security update is non-compliant)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file?: string; selector?: string; service?: string; baseline?: string; json?: boolean }) => {
      process.exitCode = await hostsCompliance(opts);
    });

  hosts
    .command('leases')
    .description('Which rollout is changing which host, hosts left out of service (failed restore, rollback scope none), rollouts waiting for a host, and the disruption budgets.')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await hostsLeases(opts);
    });
  hosts
    .command('release')
    .description('Say that hosts a rollout left out of service are back: they stop counting against their disruption budget (recorded in the audit trail). A host a rollout is changing now is not released.')
    .argument('<host...>', 'host names')
    .option('--reason <text>', 'why (recorded)')
    .option('--by <who>', 'who (default: $USER)')
    .option('--json', 'machine-readable output')
    .action(async (names: string[], opts: { reason?: string; by?: string; json?: boolean }) => {
      process.exitCode = await hostsRelease(names, opts);
    });

  const rollout = program.command('rollout').description('Roll patches across hosts in waves, with health checks and automatic rollback.');
  rollout
    .command('start')
    .description('Start a rollout from a policy file (kind RolloutPolicy); prints its id.')
    .requiredOption('-f, --file <policy.yaml>', 'rollout policy')
    .option('--dry-run', 'print the waves and what each host would install; change nothing')
    .option('--wait', 'wait for the end and print the report (exit 1 unless completed)')
    .option('--id <id>', 'rollout id (default: <policy name>-<timestamp>-<random>)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file: string; dryRun?: boolean; wait?: boolean; json?: boolean; id?: string }) => {
      process.exitCode = await rolloutStart(opts);
    });
  rollout
    .command('status')
    .description('Show a rollout: a bar per wave, every host with its state, versions and last error.')
    .argument('<id>', 'rollout id')
    .option('-w, --watch', 'keep refreshing until the rollout ends (in place in a terminal)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { watch?: boolean; json?: boolean }) => {
      process.exitCode = await rolloutStatus(id, opts);
    });
  for (const [action, what] of [
    ['pause', 'Start no new host until resumed (hosts in flight finish).'],
    ['resume', 'Continue a paused rollout.'],
    ['approve', 'Open the manual approval gate the rollout waits at.'],
    ['abort', 'Stop the rollout; the batch in flight is rolled back.'],
  ] as const) {
    rollout
      .command(action)
      .description(what)
      .argument('<id>', 'rollout id')
      .option('--reason <text>', 'recorded with the action')
      .action(async (id: string, opts: { reason?: string }) => {
        process.exitCode = await rolloutControl(action, id, opts);
      });
  }
  rollout
    .command('list')
    .description('Rollouts, newest first.')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many', integer('--limit', 1, 1000), 50)
    .action(async (opts: { json?: boolean; limit: number }) => {
      process.exitCode = await rolloutList(opts);
    });

  program
    .command('apply')
    .description('Validate organisation files (kind Organisation) and sync their maintenance windows to Temporal Schedules, like `terraform apply`; windows no longer in the files lose their schedule.')
    .requiredOption('-f, --file <maint.yaml>', 'organisation file; repeat for several', collect)
    .option('--dry-run', 'print the plan (create/update/delete/unchanged); change nothing')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file: string[]; dryRun?: boolean; json?: boolean }) => {
      process.exitCode = await applyCommand({ files: opts.file, ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.json ? { json: true } : {}) });
    });

  const windows = program.command('windows').description('Maintenance windows: upcoming occurrences, runs, cancel and extend.');
  windows
    .command('list')
    .description('Windows with their recurrence and next start, in the window\'s timezone and yours.')
    .option('-f, --file <maint.yaml>', 'read these organisation files instead of what is applied', collect)
    .option('--tz <zone>', 'your timezone (default: $TZ or the system\'s)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file?: string[]; tz?: string; json?: boolean }) => {
      process.exitCode = await windowsList({ ...(opts.file ? { files: opts.file } : {}), ...(opts.tz ? { tz: opts.tz } : {}), ...(opts.json ? { json: true } : {}) });
    });
  windows
    .command('next')
    .description('Upcoming occurrences (blacked-out ones marked), in the window\'s timezone and yours.')
    .argument('[name]', 'only this window')
    .option('--count <n>', 'occurrences per window', integer('--count', 1, 500), 5)
    .option('--from <time>', 'occurrences starting at or after this ISO date or time (default: now), e.g. 2026-12-20 (midnight in --tz) or 2026-12-20T21:00:00Z')
    .option('-f, --file <maint.yaml>', 'read these organisation files instead of what is applied', collect)
    .option('--tz <zone>', 'your timezone (default: $TZ or the system\'s)')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, opts: { count: number; from?: string; file?: string[]; tz?: string; json?: boolean }) => {
      process.exitCode = await windowsNext({ count: opts.count, ...(name ? { name } : {}), ...(opts.from ? { from: opts.from } : {}), ...(opts.file ? { files: opts.file } : {}), ...(opts.tz ? { tz: opts.tz } : {}), ...(opts.json ? { json: true } : {}) });
    });
  windows
    .command('status')
    .description('Window runs (newest first): phase, tasks, notices sent, pre-flight result.')
    .argument('[name]', 'only this window')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      process.exitCode = await windowsStatus({ ...(name ? { name } : {}), ...(opts.json ? { json: true } : {}) });
    });
  windows
    .command('cancel')
    .description('Cancel the announced or running occurrence of a window; customers who were told get a "cancelled" notice.')
    .argument('<name>', 'window name')
    .requiredOption('--reason <text>', 'shown to customers')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { reason: string; json?: boolean }) => {
      process.exitCode = await windowsCancel({ name, reason: opts.reason, ...(opts.json ? { json: true } : {}) });
    });
  windows
    .command('override')
    .description("Let the announced or running occurrence run its routine tasks although one of its services has spent this month's error budget (recorded in the audit trail).")
    .argument('<name>', 'window name')
    .requiredOption('--reason <text>', 'why (recorded)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { reason: string; json?: boolean }) => {
      process.exitCode = await windowsOverride({ name, reason: opts.reason, ...(opts.json ? { json: true } : {}) });
    });
  windows
    .command('extend')
    .description('Move the end (and cutoff) of the running occurrence later; customers get an "extended" notice.')
    .argument('<name>', 'window name')
    .option('--until <time>', 'new end, ISO 8601 (e.g. 2026-12-08T23:30:00Z)')
    .option('--by <duration>', 'or: this much later, e.g. 30m')
    .requiredOption('--reason <text>', 'shown to customers')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { until?: string; by?: string; reason: string; json?: boolean }) => {
      process.exitCode = await windowsExtend({ name, reason: opts.reason, ...(opts.until ? { until: opts.until } : {}), ...(opts.by ? { by: opts.by } : {}), ...(opts.json ? { json: true } : {}) });
    });

  const notices = program.command('notices').description('Customer notices.');
  notices
    .command('preview')
    .description('Print a notice as a customer would receive it, for the window\'s next occurrence.')
    .requiredOption('--window <name>', 'window name')
    .option('--kind <kind>', 'scheduled, reminder, started, completed, rolled-back, extended or cancelled', 'scheduled')
    .option('--lang <lang>', 'nl or en', 'en')
    .option('-f, --file <maint.yaml>', 'read these organisation files instead of what is applied', collect)
    .option('--tz <zone>', 'show times in this timezone (default: a subscriber\'s of that language)')
    .option('--html', 'print the HTML part')
    .action(async (opts: { window: string; kind: string; lang: string; file?: string[]; tz?: string; html?: boolean }) => {
      process.exitCode = await noticesPreview({ window: opts.window, kind: opts.kind, lang: opts.lang, ...(opts.file ? { files: opts.file } : {}), ...(opts.tz ? { tz: opts.tz } : {}), ...(opts.html ? { html: true } : {}) });
    });

  program
    .command('serve')
    .description('Serve the public maintenance feeds (JSON, iCal, Atom) and a status page; read-only, no host names.')
    .option('--port <port>', 'port', integer('--port', 1, 65535), 7280)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'the URL customers use, for links in the feeds')
    .option('--cache <duration>', 'reuse what Temporal answered this long for every request (default 3s)')
    .option('--stale <duration>', 'while Temporal is slow or unreachable, keep serving an answer up to this old (default 10m)')
    .option('--organisation <name>', "whose maintenance the page shows (default: the one organisation applied to this namespace; required when there are several)")
    .action(async (opts: { port: number; host: string; publicUrl?: string; cache?: string; stale?: string; organisation?: string }) => {
      process.exitCode = await serveFeeds(opts);
    });

  program
    .command('codec-server')
    .description('Decrypt payloads for the Temporal Web UI and `temporal --codec-endpoint` (Temporal\'s remote codec protocol; needs MAINT_PAYLOAD_KEY and MAINT_CODEC_TOKEN).')
    .option('--port <port>', 'port', integer('--port', 0, 65535), DEFAULT_CODEC_PORT)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--ui-origin <origin>', 'origin of a Web UI that may call it (repeat for several), e.g. https://cloud.temporal.io', collect, [])
    .option('--allow-encode', 'also answer /encode (then the token is as powerful as the key: it writes payloads the worker accepts)')
    .action(async (opts: { port: number; host: string; uiOrigin: string[]; allowEncode?: boolean }) => {
      process.exitCode = await codecServerCommand({ ...opts, uiOrigin: opts.uiOrigin.length > 0 ? opts.uiOrigin : ['http://127.0.0.1:8233', 'http://localhost:8233'] });
    });

  const deps = program.command('deps').description('Dependency and base-image updates: Renovate finds them, policies decide, PRs on GitHub.');
  deps
    .command('scan')
    .description('Run the dependency workflow for one repository now (as its schedule would) and print the PRs it opened, updated or merged, what waits and why, and Renovate\'s problems.')
    .requiredOption('-f, --file <maint.yaml>', 'organisation file with a `dependencies` section; repeat for several', collect)
    .requiredOption('--repo <owner/name>', 'a repository under dependencies.repositories')
    .option('--dry-run', 'scan and plan only: print the PRs it would open or update; write nothing')
    .option('--show-body', 'with --dry-run: also print the body of each PR it would write')
    .option('--json', 'machine-readable output')
    .action(async (opts: { file: string[]; repo: string; dryRun?: boolean; showBody?: boolean; json?: boolean }) => {
      process.exitCode = await depsScan({ files: opts.file, repo: opts.repo, ...(opts.dryRun ? { dryRun: true } : {}), ...(opts.showBody ? { showBody: true } : {}), ...(opts.json ? { json: true } : {}) });
    });
  deps
    .command('status')
    .description('The latest dependency run of each repository: PRs open and merged, updates waiting, problems.')
    .requiredOption('-f, --file <maint.yaml>', 'organisation file; repeat for several', collect)
    .option('--json', 'machine-readable output')
    .action(async (opts: { file: string[]; json?: boolean }) => {
      process.exitCode = await depsStatus({ files: opts.file, ...(opts.json ? { json: true } : {}) });
    });

  registerDbCommands(program);
  registerAuditCommand(program);
  registerServicesCommands(program);
  registerReportCommand(program);
  registerConsoleCommands(program, integer);

  program
    .command('schema')
    .description(`Print the JSON Schema of a file kind, for editors (kinds: ${Object.keys(SCHEMAS).join(', ')}).`)
    .argument('[kind]', 'file kind', 'inventory')
    .action((kind: string) => {
      process.stdout.write(`${JSON.stringify(jsonSchema(kind), null, 2)}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  // Every command, not only the root: subcommands copy the root's settings when they are made, so a
  // usage error in one (an unknown option, a bad value) would otherwise exit 1 instead of 2.
  const overrideExits = (command: Command): void => {
    command.exitOverride();
    for (const sub of command.commands) overrideExits(sub);
  };
  overrideExits(program);
  const path = commandPath(program, argv.slice(2));
  // A command that runs until stopped (a worker, a server) starts no trace of its own.
  const traced = path.length > 0 && !LONG_RUNNING.has(path[0]!) && tracingEnvironment() !== undefined;
  if (traced) installTracing(tracingEnvironment()!, 'maint-cli');
  try {
    await inSpan(`maint ${path.join(' ')}`, async (span) => {
      await program.parseAsync(argv);
      span?.setAttribute('maint.exit_code', Number(process.exitCode ?? 0));
    });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors are invalid input.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.invalidInput;
      return;
    }
    const exitCode = exitCodeOf(err);
    if (exitCode !== undefined) {
      process.stderr.write(`maint: ${(err as Error).message}\n`);
      process.exitCode = exitCode;
      return;
    }
    process.stderr.write(`maint: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failed;
  } finally {
    if (traced) await flushTracing();
  }
}

/** Commands that run until stopped: their work is traced by what they start, not as one span. */
const LONG_RUNNING = new Set(['dev', 'demo', 'worker', 'serve', 'console', 'codec-server']);

/** The subcommand words of argv (`rollout start`), options and their values left out. */
function commandPath(program: Command, args: readonly string[]): string[] {
  const path: string[] = [];
  let command: Command | undefined = program;
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    command = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!command) break;
    path.push(command.name());
  }
  return path;
}

/** MAINT_TRACES_OTLP when the environment is valid; an invalid one is the command's to report. */
function tracingEnvironment(): { MAINT_TRACES_OTLP: string } | undefined {
  try {
    const url = parseEnvironment(process.env).MAINT_TRACES_OTLP;
    return url === undefined ? undefined : { MAINT_TRACES_OTLP: url };
  } catch {
    return undefined;
  }
}

if (require.main === module) {
  void main(process.argv);
}
