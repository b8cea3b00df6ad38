import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ComplianceBenchResult } from '../../bench/compliance/run';

const ROOT = join(__dirname, '..', '..');

// Keeps the compliance scan benchmark working (bench/README.md); its numbers are not judged here.
describe('bench/compliance, 20 hosts', () => {
  it('scans every simulated host, the store judges them as their apt answers say, and reports time, memory and history', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'compliance', 'run.js'), '--hosts', '20'], { timeout: 170_000 });
    const r = (JSON.parse(stdout) as { result: ComplianceBenchResult }).result;
    expect(r).toMatchObject({ hosts: 20, scanned: 20, failed: 0 });
    // Hosts 1, 5, 9, … miss a security update (and reboot), 4, 8, … two; the other half misses none.
    expect(r.states).toEqual({ compliant: 10, nonCompliant: 10, unknown: 0 });
    for (const metric of [r.seconds, r.workerPeakRssMb, r.historyEvents, r.historyBytes]) expect(metric).toBeGreaterThan(0);
    expect(r.historyEvents).toBeLessThan(10_240);
  });
});
