import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { FileChangeError } from '../../../policies/deps/managers/manager';
import { replaceGoSumLines } from '../../../policies/deps/managers/gomod';
import { redact } from '../../../policies/common/redact';
import { networkEnvironment } from '../../network';
import type { ManagerArtifacts } from './artifacts';

const run = promisify(execFile);

/** The worker's Go settings that say which modules are private and how they are checked; they pass through as for go itself. */
const GO_ENV_VARIABLES = ['GOPROXY', 'GONOPROXY', 'GOPRIVATE', 'GOSUMDB', 'GONOSUMDB', 'GOINSECURE', 'GOAUTH', 'GONOSUMCHECK'] as const;

/**
 * The environment of one `go` run: a private module cache and build cache under `home` (removed
 * afterwards), the configured proxy (else the worker's GOPROXY), no toolchain download, and the
 * worker's CA/proxy variables. Nothing else of the worker's environment reaches go.
 */
export function goEnvironment(home: string, goproxy: string | undefined): NodeJS.ProcessEnv {
  const passed = Object.fromEntries(GO_ENV_VARIABLES.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
  return {
    PATH: process.env.PATH, HOME: home, GOPATH: join(home, 'go'), GOCACHE: join(home, 'cache'),
    ...passed,
    ...(goproxy !== undefined ? { GOPROXY: goproxy } : {}),
    // -mod=mod: go may write go.mod/go.sum (a vendor directory is refused before); -modcacherw: the cache can be removed.
    GOFLAGS: '-mod=mod -modcacherw', GOTOOLCHAIN: 'local', GOTELEMETRY: 'off',
    ...networkEnvironment(),
  };
}

async function go(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  try {
    return (await run('go', args, { cwd: dir, env, timeout: 5 * 60_000, maxBuffer: 32 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    // go mod download -json reports a module it cannot fetch in its JSON, with a non-zero exit.
    const json = /"Error":\s*"((?:[^"\\]|\\.)*)"/.exec(e.stdout ?? '')?.[1];
    const why = json !== undefined ? (JSON.parse(`"${json}"`) as string) : (e.stderr ?? e.message).trim().split('\n').slice(-4).join(' | ');
    throw new Error(redact(`go ${args.join(' ')} in ${dir} failed: ${why}`), { cause: err });
  }
}

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

/**
 * go.mod: its go.sum, refreshed with `go` itself against the proxy Renovate looked the modules up in
 * (dependencies.registries.goproxy, else the worker's GOPROXY): the lines of each bumped module's old
 * version give way to the new version's hashes (`go mod download -json`: h1: of the zip and of its
 * go.mod), then `go get -t ./...` adds what the new versions need besides, as Renovate's gomod
 * artifacts step does; go may raise another requirement in go.mod when the new version needs it.
 * A vendor/ directory would be left stale: no PR.
 */
export const gomodArtifacts: ManagerArtifacts = {
  async updateArtifacts({ checkoutDir, packageFileName, updatedDeps, newPackageFileContent, config }) {
    if (posix.basename(packageFileName) !== 'go.mod') return [];
    const moduleDir = join(checkoutDir, dirname(packageFileName));
    const rel = (name: string) => posix.join(posix.dirname(packageFileName), name);
    if (await isFile(join(moduleDir, 'vendor', 'modules.txt'))) {
      throw new FileChangeError(packageFileName, updatedDeps[0]!.depName, `${rel('vendor/')} would be left stale: maint does not run go mod vendor, so no PR; update it by hand or leave gomod out of the repository's managers`);
    }
    config.heartbeat(`go.sum ${packageFileName}`);
    const home = await mkdtemp(join(tmpdir(), 'maint-go-'));
    try {
      const env = goEnvironment(home, config.registries.goproxy);
      await writeFile(join(moduleDir, 'go.mod'), newPackageFileContent);
      let goSum = await readFile(join(moduleDir, 'go.sum'), 'utf8').catch(() => '');
      for (const u of updatedDeps) {
        config.heartbeat(`go mod download ${u.depName}@${u.newVersion}`);
        const info = JSON.parse(await go(moduleDir, env, ['mod', 'download', '-json', `${u.depName}@${u.newValue}`])) as { Version: string; Sum?: string; GoModSum?: string };
        const lines = [...(info.Sum ? [`${u.depName} ${info.Version} ${info.Sum}`] : []), ...(info.GoModSum ? [`${u.depName} ${info.Version}/go.mod ${info.GoModSum}`] : [])];
        goSum = replaceGoSumLines(goSum, u.depName, u.currentValue, lines);
      }
      await writeFile(join(moduleDir, 'go.sum'), goSum);
      config.heartbeat(`go get ${packageFileName}`);
      await go(moduleDir, env, ['get', '-t', './...']);
      const [goMod, newGoSum] = await Promise.all([readFile(join(moduleDir, 'go.mod'), 'utf8'), readFile(join(moduleDir, 'go.sum'), 'utf8')]);
      return [...(goMod !== newPackageFileContent ? [{ path: packageFileName, content: goMod }] : []), { path: rel('go.sum'), content: newGoSum }];
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  },
};
