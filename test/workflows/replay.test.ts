import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const DIR = join(__dirname, 'replay');
const REPLAYER = join(__dirname, '..', '..', 'dist', 'test', 'helpers', 'replayHistories.js');

/**
 * Real histories of finished rollouts (recorded with MAINT_RECORD_HISTORIES=1 from
 * rollout.test.ts) must replay on today's workflow code: a change that would break running
 * executions fails here and needs `patched()` or worker versioning.
 */
describe('workflow code replays committed histories', () => {
  it('replays every committed rollout and batch history without nondeterminism', async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
    expect(files.some((f) => f.endsWith('-rollout.json'))).toBe(true);
    expect(files.some((f) => f.includes('-batch-'))).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [REPLAYER, DIR], { maxBuffer: 16 * 1024 * 1024 });
    const results = stdout.trim().split('\n').map((line) => JSON.parse(line) as { file: string; ok: boolean; error?: string });
    expect(results.map((r) => r.file).sort()).toEqual(files.sort());
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }, 120_000);
});
