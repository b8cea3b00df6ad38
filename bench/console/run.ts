/**
 * The console's first paint: the Now page with a 1,000-host rollout in flight (a real rollout over
 * simulated hosts, its canary patched and waiting at its approval gate, the rest pending), served
 * by `maint console` as its own process, on a Temporal dev server of the benchmark's own.
 *
 *   node dist/bench/console/run.js [--hosts 1000] [--rounds 10] [--quick] [--json]
 *
 * Measures, for a signed-in operator: the server's answer (time to the first byte and to the last,
 * page bytes) over plain HTTP, and in Chromium (Debian's, playwright-core) the navigation's
 * responseStart, DOMContentLoaded and first contentful paint, each the median and worst of `rounds`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium } from 'playwright-core';
import { addConsoleToken, setConsoleUser } from '../../control/consoleAccess';
import { freePort } from '../../harness/ports';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import { startSimulatedFleet } from '../../simulator/fleet';
import { rolloutWorkflowId, type patchRolloutWorkflow } from '../../workflows/patchRollout';
import { startBenchTemporal, writeSimulatedInventory } from '../measure';

const ROOT = join(__dirname, '..', '..', '..');
const CHROMIUM = process.env.MAINT_CHROMIUM ?? '/usr/bin/chromium';

interface Options {
  hosts: number;
  rounds: number;
  json: boolean;
}

export interface Figures {
  median: number;
  worst: number;
}

export interface ConsoleBenchResult {
  hosts: number;
  rounds: number;
  /** HTTP: time to the first byte of GET / and to its last, ms. */
  serverFirstByteMs: Figures;
  serverTotalMs: Figures;
  pageBytes: number;
  /** Chromium: navigation timing of a fresh load of /, ms from its start. */
  browserResponseStartMs: Figures;
  browserDomContentLoadedMs: Figures;
  browserFirstContentfulPaintMs: Figures;
  loadBefore: number[];
  loadAfter: number[];
}

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return { hosts: Number(get('--hosts') ?? (quick ? 20 : 1000)), rounds: Number(get('--rounds') ?? (quick ? 2 : 10)), json: argv.includes('--json') };
}

const figures = (values: number[]): Figures => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]! * 10) / 10, worst: Math.round(sorted.at(-1)! * 10) / 10 };
};

function policyYaml(inventoryFile: string, canary: number): string {
  return `
apiVersion: maint/v1
kind: RolloutPolicy
name: console-bench
targets: {inventory: ${inventoryFile}}
strategy:
  kind: command
  target: 2.0.0
  check: cat "$MAINT_HOST_DIR/version"
  apply: echo {{target}} > "$MAINT_HOST_DIR/version"
  rollback: echo {{previous}} > "$MAINT_HOST_DIR/version"
waves: {canary: ${canary}, batches: ["10%", "100%"]}
maxUnavailable: "10%"
approval: {after: canary}
health:
  checks: [{kind: http, url: 'http://127.0.0.1:{{host.tags.healthPort}}/hosts/{{host.name}}/health', bodyMatches: 'version=2\\.0\\.0'}]
  interval: 200ms
  consecutiveSuccesses: 1
  deadline: 30s
`;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runConsoleBench(options: Options, log: (line: string) => void = () => undefined): Promise<ConsoleBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'maint-bench-console-'));
  const children: ChildProcess[] = [];
  const fleet = await startSimulatedFleet({ count: options.hosts, initialVersion: '1.0.0', tags: () => ({ role: 'web' }) });
  try {
    log(`${options.hosts} simulated hosts up`);
    const inventory = join(dir, 'inventory.yaml');
    writeSimulatedInventory(inventory, fleet.hosts);
    const { address, server } = await startBenchTemporal(dir);
    children.push(server);
    const taskQueue = `bench-console-${randomUUID().slice(0, 8)}`;
    const env = { ...process.env, TEMPORAL_ADDRESS: address, MAINT_TASK_QUEUE: taskQueue, MAINT_DATA_DIR: join(dir, 'data'), MAINT_LOG_LEVEL: 'warn', MAINT_CONSOLE_USERS: join(dir, 'console-users.yaml') };
    children.push(spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    await setConsoleUser(env.MAINT_CONSOLE_USERS, { name: 'olivia', role: 'operator', password: 'bench-password' });
    const token = addConsoleToken(env.MAINT_CONSOLE_USERS, { name: 'bench', role: 'viewer' });
    const consolePort = await freePort();
    const url = `http://127.0.0.1:${consolePort}`;
    children.push(spawn(process.execPath, [join(ROOT, 'bin', 'maint.js'), 'console', '--port', String(consolePort)], { env, stdio: ['ignore', 'ignore', 'inherit'] }));

    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const rolloutId = `console-bench-${randomUUID().slice(0, 8)}`;
    const policy = parsePolicyText(policyYaml(inventory, Math.max(1, Math.round(options.hosts / 100))), join(dir, 'policy.yaml'), rolloutPolicySchema);
    await client.workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
      taskQueue, workflowId: rolloutWorkflowId(rolloutId),
      args: [{ rolloutId, policy, targets: { kind: 'source', source: { kind: 'static', file: inventory } } }],
    });
    await until('the rollout at its approval gate', 600_000, async () => {
      const r = await fetch(`${url}/api/rollouts/${rolloutId}`, { headers: { authorization: `Bearer ${token}` } });
      const card = r.ok ? await r.json() as { status: string; hosts: unknown[] } : undefined;
      return card?.status === 'awaiting-approval' && card.hosts.length === options.hosts ? card : undefined;
    });
    log('rollout in flight, waiting at its gate after the canary');

    const signIn = await fetch(`${url}/login`, {
      method: 'POST', redirect: 'manual',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=olivia&password=bench-password&next=%2F',
    });
    const cookie = /maint-session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);

    const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
    const firstByte: number[] = [];
    const total: number[] = [];
    let pageBytes = 0;
    for (let i = 0; i < options.rounds; i++) {
      const t0 = performance.now();
      const r = await fetch(`${url}/`, { headers: { cookie: `maint-session=${cookie}` } });
      firstByte.push(performance.now() - t0);
      const body = await r.arrayBuffer();
      total.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`GET / answered ${r.status}`);
      pageBytes = body.byteLength;
    }

    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    const responseStart: number[] = [];
    const dcl: number[] = [];
    const fcp: number[] = [];
    try {
      for (let i = 0; i < options.rounds; i++) {
        const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
        await context.addCookies([{ name: 'maint-session', value: cookie, url }]);
        const page = await context.newPage();
        await page.goto(`${url}/`, { waitUntil: 'load' });
        // Paint entries are recorded after the frame is painted: wait for one.
        // In the page (a string: this project's types have no DOM); paint entries come after the frame is painted.
        const timing = await page.evaluate<{ responseStart: number; dcl: number; fcp: number }>(`new Promise((resolve) => {
          const nav = performance.getEntriesByType('navigation')[0];
          const done = (fcp) => resolve({ responseStart: nav.responseStart, dcl: nav.domContentLoadedEventEnd, fcp });
          const entry = performance.getEntriesByName('first-contentful-paint')[0];
          if (entry) done(entry.startTime);
          else new PerformanceObserver((list) => done(list.getEntries()[0].startTime)).observe({ type: 'paint', buffered: true });
        })`);
        responseStart.push(timing.responseStart);
        dcl.push(timing.dcl);
        fcp.push(timing.fcp);
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const loadAfter = loadavg().map((l) => Math.round(l * 100) / 100);
    await client.workflow.getHandle(rolloutWorkflowId(rolloutId)).terminate('benchmark done').catch(() => undefined);
    await connection.close();
    return {
      hosts: options.hosts, rounds: options.rounds,
      serverFirstByteMs: figures(firstByte), serverTotalMs: figures(total), pageBytes,
      browserResponseStartMs: figures(responseStart), browserDomContentLoadedMs: figures(dcl), browserFirstContentfulPaintMs: figures(fcp),
      loadBefore, loadAfter,
    };
  } finally {
    for (const c of children.reverse()) {
      c.kill('SIGTERM');
      await new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)));
    }
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function machine(): string {
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

export function resultsTable(r: ConsoleBenchResult): string {
  const f = (x: Figures) => `${x.median} / ${x.worst}`;
  return [
    '| hosts | server first byte ms | server whole page ms | page KiB | Chromium response start ms | DOMContentLoaded ms | first contentful paint ms | load avg before → after |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    `| ${r.hosts} | ${f(r.serverFirstByteMs)} | ${f(r.serverTotalMs)} | ${Math.round(r.pageBytes / 1024)} | ${f(r.browserResponseStartMs)} | ${f(r.browserDomContentLoadedMs)} | ${f(r.browserFirstContentfulPaintMs)} | ${r.loadBefore.join(' ')} → ${r.loadAfter.join(' ')} |`,
  ].join('\n');
}

if (require.main === module) {
  const options = parseArgs(process.argv.slice(2));
  void (async () => {
    const result = await runConsoleBench(options, (l) => process.stderr.write(`console bench: ${l}\n`));
    process.stdout.write(options.json ? `${JSON.stringify({ machine: machine(), result }, null, 2)}\n` : `${machine()}; median / worst of ${options.rounds}\n\n${resultsTable(result)}\n`);
    process.exit(0);
  })().catch((err: unknown) => {
    process.stderr.write(`console bench: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
