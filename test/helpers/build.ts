// e2e, bench and replay tests run the built JavaScript in dist/ (as users run it), not the sources
// ts-jest compiles: a source edited after the last build would be tested in its old version, with
// every assertion passing against code that no longer exists. globalSetup calls ensureFreshBuild().
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const TSCONFIG = join(ROOT, 'tsconfig.json');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * The sources `tsc -p tsconfig.json` compiles whose .js in dist/ is missing or older than the source
 * (or than tsconfig.json), as paths relative to the checkout. tsc rewrites every output when it
 * builds, so an output older than its source means the build missed an edit.
 */
export function staleSources(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(TSCONFIG, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(`${relative(ROOT, TSCONFIG)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    },
  });
  if (!parsed) throw new Error(`${relative(ROOT, TSCONFIG)} could not be read`);
  const config = mtimeMs(TSCONFIG) ?? 0;
  const stale: string[] = [];
  for (const source of parsed.fileNames) {
    const built = ts.getOutputFileNames(parsed, source, !ts.sys.useCaseSensitiveFileNames).find((f) => f.endsWith('.js'));
    if (!built) continue; // a .d.ts or .json: nothing of its own in dist/
    const builtAt = mtimeMs(built);
    if (builtAt === undefined || builtAt < Math.max(mtimeMs(source) ?? 0, config)) stale.push(relative(ROOT, source));
  }
  return stale;
}

function describeStale(stale: string[]): string {
  return `${stale[0]}${stale.length > 1 ? ` and ${stale.length - 1} more` : ''}`;
}

/**
 * Rebuilds dist/ when any source is newer than its build, so that `jest test/e2e/x.test.ts` always
 * runs the current sources. The rebuild only emits (`--noCheck`, ~10 s here): type errors are the
 * type-check's business (scripts/test.sh runs the full `tsc` first), as they are ts-jest's for unit
 * tests. Fails, naming the source, if dist/ is still stale afterwards.
 */
export async function ensureFreshBuild(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<void> {
  const stale = staleSources();
  if (stale.length === 0) return;
  log(`test: dist/ is older than ${describeStale(stale)}: rebuilding it (tsc -p tsconfig.json --noCheck)`);
  let output = '';
  try {
    await promisify(execFile)(process.execPath, [TSC, '-p', TSCONFIG, '--noCheck'], { cwd: ROOT, maxBuffer: 10 * 2 ** 20 });
  } catch (err) {
    const { stdout = '', stderr = '', message } = err as { stdout?: string; stderr?: string; message: string };
    output = `${stdout}${stderr}`.trim() || message;
  }
  const still = staleSources();
  if (still.length > 0) {
    throw new Error(`dist/ is older than ${describeStale(still)} and \`tsc -p tsconfig.json --noCheck\` did not rebuild it${output ? `:\n${output}` : ''}`);
  }
  if (output) log(`test: tsc rebuilt dist/ but reported:\n${output}`);
}
