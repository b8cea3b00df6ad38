import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConsoleBenchResult } from '../../bench/console/run';

const ROOT = join(__dirname, '..', '..');

// Keeps the console first-paint benchmark working (bench/README.md); its numbers are not judged here.
describe('bench/console --quick', () => {
  it('serves the Now page of a rollout in flight to a signed-in operator, over HTTP and in Chromium, and reports the timings', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'console', 'run.js'), '--quick', '--json'], { timeout: 300_000 });
    const { result } = JSON.parse(stdout) as { result: ConsoleBenchResult };
    expect(result.hosts).toBe(20);
    expect(result.pageBytes).toBeGreaterThan(20 * 100);
    for (const f of [result.serverFirstByteMs, result.serverTotalMs, result.browserDomContentLoadedMs, result.browserFirstContentfulPaintMs]) {
      expect(f.median).toBeGreaterThan(0);
      expect(f.worst).toBeGreaterThanOrEqual(f.median);
    }
  }, 320_000);
});
