/**
 * Side by side with Ansible: the same rollout (patch command, waves, HTTP health check, failure
 * threshold, batch rollback) over the same real sshd hosts, by our orchestrator (Temporal dev
 * server + worker process + `maint rollout start --wait`) and by `ansible-playbook`, in alternating
 * order round after round, plus a bad host whose new version answers 503.
 *
 *   node dist/bench/ansible/run.js [--hosts 20,50] [--rounds 3] [--quick] [--json] [--out FILE]
 *
 * --quick: 4 hosts, 1 round, both tools, both cases (a smoke test: the numbers mean little).
 * Without --quick the tables go to bench/ansible/last-results.md as well (or --out FILE).
 * --keep: keep the temp folder (playbooks, policies, every tool's output) and print where it is.
 *
 * Each host has its own job directory, where our job runner keeps its state ($MAINT_JOB_DIR, set by
 * the fleet's sshd), empty at start as on a freshly booted host and untouched by other runs on the machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANSIBLE_MISSING, ANSIBLE_PLAYBOOK, runAnsible, type ToolRun } from './ansible';
import { measureFloor } from './floor';
import { startBenchFleet, watchVersions, type BenchFleet } from './hosts';
import { runOurs, startOurStack, type OurStack } from './ours';
import { describeMachine, machineLines, resultsTable, roundsTable, summarize, type Case, type CaseResult, type FloorResult, type Tool } from './report';
import { badBatch, SCENARIO } from './scenario';

const ROOT = join(__dirname, '..', '..', '..');

interface Options {
  hosts: number[];
  rounds: number;
  quick: boolean;
  json: boolean;
  out: string | undefined;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const hosts = (get('--hosts') ?? (quick ? '4' : '20,50')).split(',').map(Number);
  const rounds = Number(get('--rounds') ?? (quick ? 1 : 3));
  if (hosts.some((n) => !Number.isInteger(n) || n < 3) || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('usage: run.js [--hosts 20,50] [--rounds N] [--quick] [--json] [--out FILE] [--keep] (at least 3 hosts: canary, bad batch, rest)');
  }
  return { hosts, rounds, quick, json: argv.includes('--json'), keep: argv.includes('--keep'), out: get('--out') ?? (quick ? undefined : join(ROOT, 'bench', 'ansible', 'last-results.md')) };
}

/** What the hosts should say after the run. */
function expectedVersions(count: number, c: Case): string[] {
  if (c === 'happy') return Array<string>(count).fill(SCENARIO.targetVersion);
  // The canary passed and stays; the bad host's batch is rolled back; later waves never start.
  return Array.from({ length: count }, (_v, i) => (i < SCENARIO.badHostIndex ? SCENARIO.targetVersion : SCENARIO.initialVersion));
}

/** Host-side timings of the bad-host case, from the health endpoints' answer logs and the version watcher. */
function badHostTimings(fleet: BenchFleet, batch: number[], restoredAt: Map<number, number>): { restoredSeconds?: number; reactionSeconds?: number } {
  const first503 = fleet.answers(SCENARIO.badHostIndex).find((a) => a.status === 503)?.at;
  if (first503 === undefined) return {};
  let restored = 0;
  let healthy = 0;
  for (const i of batch) {
    const back = restoredAt.get(i);
    if (back === undefined) return {};
    const ok = fleet.answers(i).find((a) => a.at >= back && a.status === 200 && a.version === SCENARIO.initialVersion)?.at;
    if (ok === undefined) return {};
    restored = Math.max(restored, back);
    healthy = Math.max(healthy, ok);
  }
  return { restoredSeconds: (restored - first503) / 1000, reactionSeconds: (healthy - first503) / 1000 };
}

async function runCase(tool: Tool, c: Case, count: number, round: number, ctx: { fleet: BenchFleet; stack: OurStack; dir: string }, log: (l: string) => void): Promise<CaseResult> {
  const { fleet } = ctx;
  fleet.reset();
  const batch = badBatch(count);
  if (c === 'bad-host') fleet.makeUnhealthy(SCENARIO.badHostIndex, SCENARIO.targetVersion);
  const watcher = watchVersions(fleet, batch, SCENARIO.initialVersion);
  const label = `${tool}-${count}-r${round}-${c}`;
  const dir = join(ctx.dir, `${tool}-${count}`);
  const run: ToolRun = tool === 'ours' ? await runOurs(ctx.stack, dir, fleet, count, label) : await runAnsible(dir, fleet, count, label);
  // Let the watcher see the last rewrite (it polls every 20 ms).
  await new Promise((r) => setTimeout(r, 100));
  const restoredAt = watcher.stop();
  const versions = fleet.hosts.slice(0, count).map((_h, i) => fleet.version(i));
  const outcomeOk = JSON.stringify(versions) === JSON.stringify(expectedVersions(count, c)) && (c === 'happy' ? run.exitCode === 0 : run.exitCode !== 0);
  const result: CaseResult = {
    tool, case: c, hosts: count, round,
    wallSeconds: run.wallSeconds, cpuSeconds: run.cpuSeconds, peakRssMb: run.peakRssMb, peakPssMb: run.peakPssMb,
    ...(run.serverCpuSeconds !== undefined ? { serverCpuSeconds: run.serverCpuSeconds } : {}),
    exitCode: run.exitCode, versions, outcomeOk, logFile: run.logFile,
    ...(c === 'bad-host' ? badHostTimings(fleet, batch, restoredAt) : {}),
  };
  log(`${label}: ${result.wallSeconds.toFixed(1)} s, CPU ${result.cpuSeconds.toFixed(1)} s, RSS ${result.peakRssMb.toFixed(0)} MB, exit ${result.exitCode}${result.reactionSeconds !== undefined ? `, reaction ${result.reactionSeconds.toFixed(1)} s` : ''}${outcomeOk ? '' : ` — UNEXPECTED versions ${versions.join(',')} (log: ${run.logFile})`}`);
  fleet.reset();
  // A moment for sshd sessions and ssh masters to wind down before the next tool starts.
  await new Promise((r) => setTimeout(r, 1000));
  return result;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!ANSIBLE_PLAYBOOK) throw new Error(ANSIBLE_MISSING);
  const log = (line: string) => process.stderr.write(`bench/ansible: ${line}\n`);
  const machine = { ...describeMachine(), jobDir: 'job directories: one per host ($MAINT_JOB_DIR), empty at start' };
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-ansible-'));
  const fleet = await startBenchFleet(Math.max(...options.hosts));
  let stack: OurStack | undefined;
  const results: CaseResult[] = [];
  const floors: FloorResult[] = [];
  let ok = false;
  try {
    stack = await startOurStack(join(dir, 'temporal'), fleet.clientKey);
    log(`${fleet.hosts.length} sshd hosts, Temporal dev server and worker up`);
    const ctx = { fleet, stack, dir };
    // One unmeasured rollout per tool on 3 hosts: page cache, JIT and the workflow bundle warm for both.
    for (const tool of ['ours', 'ansible'] as const) await runCase(tool, 'happy', 3, 0, ctx, (l) => log(`warm-up ${l}`));
    for (const count of options.hosts) {
      for (let round = 1; round <= options.rounds; round++) {
        const floor = await measureFloor(fleet, count, dir);
        floors.push({ hosts: count, round, ...floor });
        log(`${count} hosts, round ${round}: physical floor ${floor.seconds.toFixed(2)} s (waves ${floor.waves.map((w) => w.toFixed(2)).join(' + ')})`);
        // Alternate who goes first, so neither tool always runs on a machine the other just warmed.
        const order: Tool[] = round % 2 === 1 ? ['ours', 'ansible'] : ['ansible', 'ours'];
        for (const tool of order) {
          for (const c of ['happy', 'bad-host'] as const) results.push(await runCase(tool, c, count, round, ctx, log));
        }
      }
    }
    ok = true;
  } finally {
    await stack?.stop();
    await fleet.stop();
    // Keep the logs when something went wrong.
    if (ok && !options.keep) rmSync(dir, { recursive: true, force: true });
    else log(`logs kept in ${dir}`);
  }
  const summary = summarize(results, floors);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const markdown = [
    `Side by side with Ansible — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${options.rounds} round(s), ${minutes} min in all`,
    '',
    machineLines(machine),
    `- ${machine.jobDir}`,
    '',
    resultsTable(summary),
    '',
    '<details><summary>Every run</summary>',
    '',
    roundsTable(results, floors),
    '',
    '</details>',
    '',
  ].join('\n');
  if (options.out) writeFileSync(options.out, markdown);
  process.stdout.write(options.json ? `${JSON.stringify({ machine, options, floors, results, summary }, null, 2)}\n` : markdown);
}

if (require.main === module) {
  // Exit through process.exit so the sshd, Temporal and worker children are killed (harness/processes).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  main().then(() => process.exit(0), (err: unknown) => {
    process.stderr.write(`bench/ansible: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
