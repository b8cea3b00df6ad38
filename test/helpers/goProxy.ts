import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serveDirectory } from './staticDirectory';

const run = promisify(execFile);

/**
 * A real Go module proxy (the GOPROXY protocol, https://go.dev/ref/mod#goproxy-protocol) on a free
 * loopback port: a directory in the proxy layout — `<module>/@v/list`, `<version>.info`, `.mod` and
 * `.zip` — served over plain HTTP. Module zips are made by Python's zipfile in the layout `go`
 * expects (`<module>@<version>/…`), so `go mod download` and `go build` accept them.
 */
export interface TestGoProxy {
  /** `http://127.0.0.1:PORT`, for GOPROXY and dependencies.registries.goproxy. */
  url: string;
  /**
   * Publishes `module` at `version`: a go.mod with `requires` (module → version) and one package file
   * `<last path element>.go` holding `source` (default: a function `Version()` returning the version).
   */
  publish(module: string, version: string, options?: { requires?: Record<string, string>; source?: string }): Promise<void>;
  /** The go environment for a `go` run against this proxy only (no checksum database, a private module cache). */
  goEnv(home: string): NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const ZIP = String.raw`
import sys, zipfile
out, prefix = sys.argv[1:3]
files = sys.argv[3:]
with zipfile.ZipFile(out, "w") as z:
    for i in range(0, len(files), 2):
        z.writestr(zipfile.ZipInfo(prefix + "/" + files[i], date_time=(2024, 1, 1, 0, 0, 0)), open(files[i + 1], "rb").read())
`;

/** Module paths are lower case here: the proxy protocol's `!x` escaping of capitals is not needed. */
export async function startGoProxy(): Promise<TestGoProxy> {
  const root = mkdtempSync(join(tmpdir(), 'maint-goproxy-'));
  const scratch = mkdtempSync(join(tmpdir(), 'maint-goproxy-src-'));
  const served = await serveDirectory(root, (file) => (file.endsWith('.info') ? 'application/json' : 'text/plain; charset=utf-8'));
  const day = new Map<string, number>();
  return {
    url: served.url,
    async publish(module, version, options = {}) {
      const dir = join(root, module, '@v');
      mkdirSync(dir, { recursive: true });
      const requires = Object.entries(options.requires ?? {});
      const goMod = `module ${module}\n\ngo 1.21\n${requires.length ? `\nrequire (\n${requires.map(([m, v]) => `\t${m} ${v}\n`).join('')})\n` : ''}`;
      const pkg = module.split('/').pop()!.replace(/[^a-z0-9]/g, '');
      const source = options.source ?? `package ${pkg}\n\nfunc Version() string { return "${version}" }\n`;
      const src = join(scratch, `${pkg}-${version}`);
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, 'go.mod'), goMod);
      writeFileSync(join(src, `${pkg}.go`), source);
      await run('python3', ['-c', ZIP, join(dir, `${version}.zip`), `${module}@${version}`, 'go.mod', join(src, 'go.mod'), `${pkg}.go`, join(src, `${pkg}.go`)]);
      writeFileSync(join(dir, `${version}.mod`), goMod);
      // Releases a day apart, in publication order.
      const n = (day.get(module) ?? 0) + 1;
      day.set(module, n);
      writeFileSync(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: new Date(Date.UTC(2024, 0, n)).toISOString() }));
      appendFileSync(join(dir, 'list'), `${version}\n`);
    },
    goEnv: (home) => ({
      PATH: process.env.PATH, HOME: home, GOPATH: join(home, 'go'), GOCACHE: join(home, 'cache'), GOPROXY: served.url,
      GOSUMDB: 'off', GOTOOLCHAIN: 'local', GOFLAGS: '-modcacherw', GOTELEMETRY: 'off',
    }),
    async stop() {
      await served.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
