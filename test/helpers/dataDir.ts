// Each test file gets a data directory of its own (MAINT_DATA_DIR: the store, `maint dev`'s state),
// inherited by the CLI and worker processes it starts unless a test sets its own: nothing a test
// writes lands in ~/.local/share/maint, and nothing an earlier run left there is read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'maint-test-data-'));
process.env.MAINT_DATA_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
