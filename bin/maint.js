#!/usr/bin/env node
// The `maint` command. Runs the built CLI (dist/, made by `npm run build` or scripts/bootstrap.sh)
// under Node >= 24; on an older `node` it re-runs itself with the Node 24 that bootstrap put in .tools/.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawn } = require('node:child_process');

const root = join(__dirname, '..');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const node24 = join(root, '.tools', 'node', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(node24)) {
    process.stderr.write(`maint: Node >= 24 is needed (this is ${process.version}); run scripts/bootstrap.sh or install Node 24\n`);
    process.exit(4);
  }
  const child = spawn(node24, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  // The child gets Ctrl-C from the terminal itself; forward what is sent to us alone.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
} else {
  const cli = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) {
    process.stderr.write('maint: the CLI is not built; run `npm run build` (or scripts/bootstrap.sh)\n');
    process.exit(4);
  }
  require(cli).main(process.argv);
}
