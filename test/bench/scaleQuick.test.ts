import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ScaleResult } from '../../bench/scale/run';

const ROOT = join(__dirname, '..', '..');

// Keeps the scale benchmark working (bench/README.md); its numbers are not judged here.
describe('bench/scale --quick', () => {
  it('rolls 2.0.0 over every simulated host (each has it installed afterwards) and reports time, memory and history sizes', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'scale', 'run.js'), '--hosts', '20', '--batch', '50%', '--json'], { timeout: 170_000 });
    const { results } = JSON.parse(stdout) as { results: ScaleResult[] };
    expect(results).toHaveLength(1);
    const r = results[0]!;
    expect(r).toMatchObject({ hosts: 20, batch: '50%', status: 'completed', healthy: 20 });
    // What the hosts themselves have installed afterwards, not only what the report says.
    expect(r.versions).toEqual({ '2.0.0': 20 });
    for (const metric of [r.seconds, r.hostsPerSecond, r.workerPeakRssMb, r.workerCpuSeconds, r.maxHistoryEvents, r.maxHistoryBytes]) expect(metric).toBeGreaterThan(0);
    // The parent and one child per wave part: 1 + 2 waves.
    expect(r.workflows).toBe(3);
    expect(r.maxHistoryEvents).toBeLessThan(10_240);
  });
});
