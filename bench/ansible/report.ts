/** The machine description and the markdown tables of the Ansible comparison. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { findTemporalCli } from '../../cli/temporalCli';
import { ansibleVersion } from './ansible';

export type Tool = 'ours' | 'ansible';
export type Case = 'happy' | 'bad-host';

export interface CaseResult {
  tool: Tool;
  case: Case;
  hosts: number;
  round: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  peakPssMb: number;
  /** Temporal server CPU during the run (ours only). */
  serverCpuSeconds?: number;
  exitCode: number;
  /** Every host's version file after the run, in host order. */
  versions: string[];
  /** As expected: all at the target (happy), or the bad host's batch back on the old version (bad-host). */
  outcomeOk: boolean;
  /** Bad host: first 503 served → every host of its batch back on the old version (version files). */
  restoredSeconds?: number;
  /** Bad host: first 503 served → every host of its batch served 200 on the old version again. */
  reactionSeconds?: number;
  logFile: string;
}

export interface FloorResult {
  hosts: number;
  round: number;
  seconds: number;
  waves: number[];
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  ansible: string;
  openssh: string;
  temporalCli: string;
  loadAverageAtStart: string;
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown CPU';
  // `ssh -V` prints its version on stderr.
  const openssh = execFileSync('sh', ['-c', 'ssh -V 2>&1'], { encoding: 'utf8' }).trim();
  let temporalCli = 'not found';
  const cli = findTemporalCli();
  if (cli) temporalCli = execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).trim();
  return {
    cpu: model, cores: cpus().length, ramGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
    ansible: ansibleVersion(), openssh: openssh.split(',')[0] ?? openssh, temporalCli,
    loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

export interface SummaryRow {
  hosts: number;
  tool: Tool;
  rounds: number;
  wallSeconds: number;
  wallRatioToAnsible: number;
  cpuSeconds: number;
  serverCpuSeconds?: number;
  peakRssMb: number;
  peakPssMb: number;
  overheadPerHostMs: number;
  floorSeconds: number;
  badHostWallSeconds: number;
  restoredSeconds: number;
  reactionSeconds: number;
  allOutcomesOk: boolean;
}

/** Medians over rounds; overhead per host = (wall − that round's floor) / hosts, then the median. */
export function summarize(results: CaseResult[], floors: FloorResult[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const hosts of [...new Set(results.map((r) => r.hosts))]) {
    const floorOf = (round: number) => floors.find((f) => f.hosts === hosts && f.round === round)?.seconds ?? NaN;
    const pick = (tool: Tool, c: Case) => results.filter((r) => r.hosts === hosts && r.tool === tool && r.case === c);
    const ansibleWall = median(pick('ansible', 'happy').map((r) => r.wallSeconds));
    for (const tool of ['ours', 'ansible'] as const) {
      const happy = pick(tool, 'happy');
      const bad = pick(tool, 'bad-host');
      const wall = median(happy.map((r) => r.wallSeconds));
      rows.push({
        hosts, tool, rounds: happy.length,
        wallSeconds: wall,
        wallRatioToAnsible: wall / ansibleWall,
        cpuSeconds: median(happy.map((r) => r.cpuSeconds)),
        ...(tool === 'ours' ? { serverCpuSeconds: median(happy.map((r) => r.serverCpuSeconds ?? NaN)) } : {}),
        peakRssMb: median(happy.map((r) => r.peakRssMb)),
        peakPssMb: median(happy.map((r) => r.peakPssMb)),
        overheadPerHostMs: median(happy.map((r) => ((r.wallSeconds - floorOf(r.round)) / hosts) * 1000)),
        floorSeconds: median(floors.filter((f) => f.hosts === hosts).map((f) => f.seconds)),
        badHostWallSeconds: median(bad.map((r) => r.wallSeconds)),
        restoredSeconds: median(bad.map((r) => r.restoredSeconds ?? NaN)),
        reactionSeconds: median(bad.map((r) => r.reactionSeconds ?? NaN)),
        allOutcomesOk: [...happy, ...bad].every((r) => r.outcomeOk),
      });
    }
  }
  return rows;
}

export function resultsTable(rows: SummaryRow[]): string {
  const name = (t: Tool) => (t === 'ours' ? 'ours (Temporal)' : 'Ansible');
  return [
    '| hosts | tool | wall s | ÷ Ansible | CPU s (Temporal server) | peak RSS MB (PSS) | overhead / host ms | physical floor s | bad host: wall s | bad host: restored s | bad host: reaction s | outcomes |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.hosts} | ${name(r.tool)} | ${fmt(r.wallSeconds)} | ${fmt(r.wallRatioToAnsible, 2)} | ${fmt(r.cpuSeconds)}${r.serverCpuSeconds !== undefined ? ` (+${fmt(r.serverCpuSeconds)})` : ''} | ${fmt(r.peakRssMb, 0)} (${fmt(r.peakPssMb, 0)}) | ${fmt(r.overheadPerHostMs, 0)} | ${fmt(r.floorSeconds, 2)} | ${fmt(r.badHostWallSeconds)} | ${fmt(r.restoredSeconds)} | ${fmt(r.reactionSeconds)} | ${r.allOutcomesOk ? `ok ×${r.rounds}` : 'WRONG'} |`),
  ].join('\n');
}

export function roundsTable(results: CaseResult[], floors: FloorResult[]): string {
  return [
    '| hosts | round | floor s | tool | case | wall s | CPU s | peak RSS MB | reaction s | exit | versions ok |',
    '| ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.map((r) => `| ${r.hosts} | ${r.round} | ${fmt(floors.find((f) => f.hosts === r.hosts && f.round === r.round)?.seconds, 2)} | ${r.tool} | ${r.case} | ${fmt(r.wallSeconds)} | ${fmt(r.cpuSeconds)} | ${fmt(r.peakRssMb, 0)} | ${fmt(r.reactionSeconds)} | ${r.exitCode} | ${r.outcomeOk ? 'yes' : 'NO'} |`),
  ].join('\n');
}

export function machineLines(m: Machine): string {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.ramGiB} GiB; load average at start ${m.loadAverageAtStart}`,
    `- Node ${m.node}; ${m.ansible}; ${m.openssh}; Temporal CLI: ${m.temporalCli.split('\n')[0]}`,
  ].join('\n');
}
