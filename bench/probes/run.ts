/**
 * Probe-result writes the store sustains, on SQLite (a file, WAL) and PostgreSQL (a durable local
 * cluster: fsync on), as a worker writes them and as a back-fill would.
 *
 *   node dist/bench/probes/run.js [--seconds 10] [--engines sqlite,postgres] [--concurrency 8] [--probes 3] [--quick] [--json]
 *
 * - rounds: the worker's path, recordProbeRound: one transaction per round of one service (its
 *   probes' results in one multi-row INSERT, the incident tracker read and updated), `concurrency`
 *   services writing at once (as a worker's control queue runs rounds in parallel).
 * - bulk: insertProbeResults alone, 1,000 rows per INSERT, one writer (a month of history back-filled).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../../harness/postgres';
import type { ProbeResult } from '../../policies/availability/types';
import { openStore, type Engine, type Store } from '../../store';
import { recordProbeRound } from '../../store/incidents';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';

interface Options {
  seconds: number;
  engines: Engine[];
  concurrency: number;
  probes: number;
  json: boolean;
}

export interface ProbeWriteResult {
  engine: Engine;
  mode: 'rounds' | 'bulk';
  seconds: number;
  /** Results written per second. */
  resultsPerSecond: number;
  /** rounds: transactions per second (one service's round each). */
  roundsPerSecond?: number;
  results: number;
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    seconds: Number(get('--seconds') ?? (quick ? 1 : 10)),
    engines: (get('--engines') ?? 'sqlite,postgres').split(',') as Engine[],
    concurrency: Number(get('--concurrency') ?? 8),
    probes: Number(get('--probes') ?? 3),
    json: argv.includes('--json'),
  };
}

const result = (service: string, probe: number, at: number): ProbeResult => (
  probe === 0 && at % 17 === 0 ? { service, probe: `p${probe}`, at, ok: false, latencyMs: 1000, error: 'HTTP 503 maintenance (expected 200)' } : { service, probe: `p${probe}`, at, ok: true, latencyMs: 20 + (at % 50) }
);

async function rounds(store: Store, options: Options): Promise<ProbeWriteResult> {
  const deadline = Date.now() + options.seconds * 1000;
  const started = performance.now();
  let count = 0;
  let clock = Date.UTC(2026, 0, 1);
  await Promise.all(Array.from({ length: options.concurrency }, async (_, writer) => {
    const service = `service-${writer}`;
    while (Date.now() < deadline) {
      const at = clock += 30_000;
      const results = Array.from({ length: options.probes }, (_, p) => result(service, p, at + p));
      await recordProbeRound(store, { id: `${service}/${at}`, service, at, location: 'bench', results }, { after: 3, resolveAfter: 1 });
      count++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { engine: store.engine, mode: 'rounds', seconds, roundsPerSecond: count / seconds, resultsPerSecond: (count * options.probes) / seconds, results: count * options.probes };
}

async function bulk(store: Store, options: Options): Promise<ProbeWriteResult> {
  const deadline = Date.now() + options.seconds * 1000;
  const started = performance.now();
  let count = 0;
  let at = Date.UTC(2025, 0, 1);
  while (Date.now() < deadline) {
    const rows: RecordedProbeResult[] = Array.from({ length: 1000 }, (_, i) => {
      const t = at + Math.floor(i / options.probes) * 30_000;
      return { ...result('backfill', i % options.probes, t), roundId: `backfill/${t}`, location: 'bench' };
    });
    at += Math.ceil(1000 / options.probes) * 30_000;
    await insertProbeResults(store.db, rows);
    count += rows.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { engine: store.engine, mode: 'bulk', seconds, resultsPerSecond: count / seconds, results: count };
}

export async function runProbeWriteBench(options: Options): Promise<{ results: ProbeWriteResult[]; cores: number; loadBefore: number[]; loadAfter: number[] }> {
  const loadBefore = loadavg();
  const out: ProbeWriteResult[] = [];
  for (const engine of options.engines) {
    let postgres: TestPostgres | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'maint-bench-probes-'));
    try {
      if (engine === 'postgres') postgres = await startPostgres({ durable: true });
      for (const mode of [rounds, bulk]) {
        const store = await openStore(engine === 'postgres' ? { engine, url: await postgres!.createDatabase() } : { engine, file: join(dir, `${mode.name}.db`) });
        try {
          out.push(await mode(store, options));
        } finally {
          await store.close();
        }
      }
    } finally {
      await postgres?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { results: out, cores: cpus().length, loadBefore, loadAfter: loadavg() };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const report = await runProbeWriteBench(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ options, ...report }, null, 2)}\n`);
    return;
  }
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  process.stdout.write(`probe-result writes: ${options.seconds}s per run, ${options.probes} probes per round, ${options.concurrency} services writing at once (rounds); ${report.cores} cores, load ${load(report.loadBefore)} before, ${load(report.loadAfter)} after\n\n`);
  process.stdout.write('| engine | mode | results/s | rounds/s | results |\n| --- | --- | ---: | ---: | ---: |\n');
  for (const r of report.results) {
    process.stdout.write(`| ${r.engine} | ${r.mode} | ${Math.round(r.resultsPerSecond)} | ${r.roundsPerSecond !== undefined ? Math.round(r.roundsPerSecond) : '-'} | ${r.results} |\n`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
