import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReportBenchResult } from '../../bench/report/run';

const ROOT = join(__dirname, '..', '..');

// Keeps the monthly report benchmark working (bench/README.md); its numbers are not judged here.
describe('bench/report --quick', () => {
  it('seeds a month of probe results for two services and reads, computes and renders their report', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'report', 'run.js'), '--quick', '--json'], { timeout: 120_000 });
    const result = JSON.parse(stdout) as ReportBenchResult;
    // November 2026 in Amsterdam: 43,200 minutes, one result every 10 minutes per service.
    expect(result).toMatchObject({ services: 2, intervalSeconds: 600, results: 2 * 4320 });
    for (const s of [result.readSeconds, result.computeSeconds, result.renderSeconds]) expect(s).toBeGreaterThanOrEqual(0);
  }, 150_000);
});
