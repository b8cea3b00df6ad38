import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The checkout (or installed package) root: the nearest folder up whose package.json is ours. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'maintenance-orchestrator') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the maintenance-orchestrator package above ${from}`);
    dir = parent;
  }
}
