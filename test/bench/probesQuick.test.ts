import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProbeWriteResult } from '../../bench/probes/run';

const ROOT = join(__dirname, '..', '..');

// Keeps the probe-write benchmark working (bench/README.md); its numbers are not judged here.
describe('bench/probes --quick', () => {
  it('writes probe results on SQLite and PostgreSQL, per round and in bulk, and reports the rates', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'probes', 'run.js'), '--quick', '--json'], { timeout: 120_000 });
    const { results, cores } = JSON.parse(stdout) as { results: ProbeWriteResult[]; cores: number };
    expect(cores).toBeGreaterThan(0);
    expect(results.map((r) => [r.engine, r.mode])).toEqual([['sqlite', 'rounds'], ['sqlite', 'bulk'], ['postgres', 'rounds'], ['postgres', 'bulk']]);
    for (const r of results) {
      expect(r.results).toBeGreaterThan(0);
      expect(r.resultsPerSecond).toBeGreaterThan(0);
    }
  });
});
