/**
 * How long the monthly report's store part and rendering take for one customer with many probed
 * services: a month of results per service in SQLite, then readServiceInputs (what `maint report`
 * reads from the store), buildMonthlyReport and the HTML with its plots. Temporal's part (window
 * runs, rollouts: a few dozen workflow results) is not in it.
 *
 *   node dist/bench/report/run.js [--services 20] [--interval 30] [--engine sqlite|postgres] [--quick] [--json]
 *
 * PostgreSQL: a cluster of its own (harness/postgres.ts, durable), on this machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrganisation } from '../../control/organisation';
import { readServiceInputs } from '../../control/report';
import { startPostgres, type TestPostgres } from '../../harness/postgres';
import { monthInterval } from '../../policies/availability/months';
import { buildMonthlyReport } from '../../policies/report/model';
import { openStore, type Engine } from '../../store';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';
import { renderReportHtml } from '../../web/report';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

export interface ReportBenchResult {
  engine: Engine;
  services: number;
  intervalSeconds: number;
  results: number;
  seedSeconds: number;
  readSeconds: number;
  computeSeconds: number;
  renderSeconds: number;
  totalSeconds: number;
  loadBefore: number[];
  cpus: number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const services = quick ? 2 : arg('services', 20);
  const intervalSeconds = quick ? 600 : arg('interval', 30);
  const engineArg = process.argv.indexOf('--engine');
  const engine = engineArg >= 0 ? process.argv[engineArg + 1] : 'sqlite';
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--engine: expected sqlite or postgres, got ${engine}`);
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-report-'));
  let postgres: TestPostgres | undefined;
  try {
    const names = Array.from({ length: services }, (_, i) => `svc-${i + 1}`);
    writeFileSync(join(dir, 'maint.yaml'), `apiVersion: maint/v1
kind: Organisation
organisation: {name: Bench, contact: {email: ops@bench.example}}
channels: [{name: mail, kind: email, smtp: {host: 127.0.0.1, port: 2525}, from: "B <b@bench.example>"}]
slaTiers: [{name: gold, availability: 99.9%, timezone: Europe/Amsterdam}]
services:
${names.map((n) => `  - {name: ${n}, tier: gold, probeInterval: ${intervalSeconds}s, probes: [{name: home, kind: tcp, host: 127.0.0.1, port: 1}], subscribers: [{name: Customer, channel: mail, to: c@bench.example, language: nl}]}`).join('\n')}
`);
    const organisation = await loadOrganisation([join(dir, 'maint.yaml')], new Date('2026-11-01T00:00:00Z'));
    if (engine === 'postgres') postgres = await startPostgres({ durable: true });
    const store = await openStore(postgres ? { engine: 'postgres', url: await postgres.createDatabase() } : { engine: 'sqlite', file: join(dir, 'store.db') });
    const month = monthInterval('2026-11', 'Europe/Amsterdam');
    const loadBefore = loadavg();
    let t = Date.now();
    let count = 0;
    for (const service of names) {
      const batch: RecordedProbeResult[] = [];
      for (let at = month.start; at < month.end; at += intervalSeconds * 1000) {
        // One failed hour a week: something to count.
        const ok = !(new Date(at).getUTCDay() === 3 && new Date(at).getUTCHours() === 4);
        batch.push({ service, probe: 'home', at, ok, roundId: `${service}/${at}`, location: 'bench', ...(ok ? { latencyMs: 20 } : { error: 'refused' }) });
      }
      await insertProbeResults(store.db, batch);
      count += batch.length;
    }
    const seedSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const inputs = await readServiceInputs(store, organisation, names, month);
    const readSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const report = buildMonthlyReport({
      month: '2026-11', generatedAt: month.end, organisation: { name: 'Bench', contact: { email: 'ops@bench.example' } },
      customer: { name: 'Customer', language: 'nl', timezone: 'Europe/Amsterdam' }, services: inputs,
      windowRuns: [], rollouts: [], knownUpdates: [], hosts: [], scans: [], nextMonth: [],
    });
    const computeSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    await renderReportHtml(report, { lang: 'nl' });
    const renderSeconds = (Date.now() - t) / 1000;
    await store.close();
    const result: ReportBenchResult = { engine, services, intervalSeconds, results: count, seedSeconds, readSeconds, computeSeconds, renderSeconds, totalSeconds: readSeconds + computeSeconds + renderSeconds, loadBefore, cpus: cpus().length };
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${engine}: ${services} services, ${count} results (every ${intervalSeconds}s): read ${readSeconds.toFixed(2)} s, compute ${computeSeconds.toFixed(2)} s, render ${renderSeconds.toFixed(2)} s, total ${result.totalSeconds.toFixed(2)} s (seeding took ${seedSeconds.toFixed(1)} s; load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} on ${result.cpus} CPUs)\n`);
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
