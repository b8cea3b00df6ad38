/**
 * How many services × probes one worker probes at a 30 s interval, and what it costs: a Temporal
 * dev server and one worker process of their own (`node dist/worker.js`, SQLite store), N services
 * of P http probes each against a local HTTP server, applied as `maint apply` does (one probe
 * workflow per group of about 100 services). After a warm-up of one interval plus 10 s, it measures for `--seconds`:
 * rounds done vs due, and the CPU of the worker and of Temporal, as a share of one core.
 *
 *   node dist/bench/probes/capacity.js [--services 1000] [--probes 1] [--interval 30] [--seconds 120] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadOrganisation } from '../../control/organisation';
import { applyProbeChanges, organisationName, planProbeChanges, serviceProbePlans } from '../../control/probes';
import { openStore } from '../../store';
import { cpuSeconds, startBenchTemporal } from '../measure';

const ROOT = join(__dirname, '..', '..', '..');

function arg(argv: string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

export interface CapacityResult {
  services: number;
  probes: number;
  intervalSeconds: number;
  seconds: number;
  roundsDue: number;
  roundsDone: number;
  workerCpuPercentOfCore: number;
  temporalCpuPercentOfCore: number;
  load: number[];
}

export async function runCapacity(options: { services: number; probes: number; intervalSeconds: number; seconds: number }, log: (line: string) => void = () => undefined): Promise<CapacityResult> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-probes-'));
  const children: ChildProcess[] = [];
  const target = createServer((_req, res) => res.writeHead(200).end('ok\n'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  try {
    const { address, server } = await startBenchTemporal(dir);
    children.push(server);
    const taskQueue = 'bench-probes';
    const dataDir = join(dir, 'data');
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], {
      env: { ...process.env, TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: dataDir, MAINT_DATABASE_URL: '', MAINT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(worker);

    const probes = Array.from({ length: options.probes }, (_, p) => `{name: p${p}, kind: http, url: "${url}?p=${p}", timeout: 2s}`).join(', ');
    const services = Array.from({ length: options.services }, (_, i) => `  - {name: svc-${i}, probeInterval: ${options.intervalSeconds}s, probes: [${probes}]}`).join('\n');
    const file = join(dir, 'maint.yaml');
    writeFileSync(file, `apiVersion: maint/v1\nkind: Organisation\norganisation: {name: Bench, contact: {email: ops@bench.example}}\nservices:\n${services}\n`);
    const organisation = await loadOrganisation([file]);
    const plans = serviceProbePlans(organisation);
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const changes = await planProbeChanges(client, organisationName(organisation), plans, taskQueue);
    await applyProbeChanges(client, organisationName(organisation), plans, changes, taskQueue);
    log(`${plans.length} probe workflows started; warming up for ${options.intervalSeconds + 10} s`);
    await new Promise((r) => setTimeout(r, (options.intervalSeconds + 10) * 1000));

    const store = await openStore({ engine: 'sqlite', file: join(dataDir, 'store.db') }, { migrate: false });
    const countRounds = async (from: number, to: number) => {
      const row = await store.db.selectFrom('probe_results').select((eb) => eb.fn.countAll<number>().as('n')).where('at', '>=', from).where('at', '<', to).executeTakeFirstOrThrow();
      return Number(row.n) / options.probes;
    };
    const [w0, t0, start] = [cpuSeconds(worker.pid!), cpuSeconds(server.pid!), Date.now()];
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    const [w1, t1, end] = [cpuSeconds(worker.pid!), cpuSeconds(server.pid!), Date.now()];
    const seconds = (end - start) / 1000;
    const roundsDone = await countRounds(start, end);
    await store.close();
    await connection.close();
    return {
      services: options.services, probes: options.probes, intervalSeconds: options.intervalSeconds, seconds: Math.round(seconds),
      roundsDue: Math.round((options.services * seconds) / options.intervalSeconds), roundsDone: Math.round(roundsDone),
      workerCpuPercentOfCore: Math.round(((w1 - w0) / seconds) * 1000) / 10, temporalCpuPercentOfCore: Math.round(((t1 - t0) / seconds) * 1000) / 10,
      load: loadavg().map((l) => Math.round(l * 100) / 100),
    };
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const options = { services: arg(argv, '--services', 1000), probes: arg(argv, '--probes', 1), intervalSeconds: arg(argv, '--interval', 30), seconds: arg(argv, '--seconds', 120) };
  runCapacity(options, (line) => process.stderr.write(`${line}\n`))
    .then((r) => {
      if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        process.stdout.write(`| services × probes | interval | measured | rounds done / due | worker CPU (% of a core) | Temporal CPU (% of a core) | load (1, 5, 15 min; ${cpus().length} cores) |\n|---|---|---|---|---|---|---|\n`);
        process.stdout.write(`| ${r.services} × ${r.probes} | ${r.intervalSeconds} s | ${r.seconds} s | ${r.roundsDone} / ${r.roundsDue} | ${r.workerCpuPercentOfCore} | ${r.temporalCpuPercentOfCore} | ${r.load.join(', ')} |\n`);
      }
    })
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    });
}
