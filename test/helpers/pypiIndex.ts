import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../../harness/ports';
import { stopChild, track } from '../../harness/processes';

const run = promisify(execFile);

/**
 * A real PEP 503 simple index on a free loopback port: a directory of wheels and sdists made by
 * Python's own zipfile/tarfile (valid for pip: METADATA, WHEEL, RECORD with hashes), static
 * `simple/<name>/index.html` pages whose links carry `#sha256=`, served by `python3 -m http.server`.
 */
export interface TestPypiIndex {
  /** `http://127.0.0.1:PORT/simple/`, for pip's --index-url and dependencies.registries.pypi. */
  url: string;
  /** Adds a wheel and an sdist of `name` `version` and rewrites the index pages. */
  publish(name: string, version: string): Promise<void>;
  /** The sha256 hex digests of the files of `name` `version` (wheel first). */
  hashes(name: string, version: string): string[];
  stop(): Promise<void>;
}

/** PEP 503 normalisation: runs of -_. become one "-", lower case. */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

const BUILD = String.raw`
import base64, hashlib, io, sys, tarfile, zipfile
name, version, out = sys.argv[1:4]
dist = name.replace('-', '_')
meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test package\n"
files = {
    f"{dist}/__init__.py": f"__version__ = '{version}'\n",
    f"{dist}-{version}.dist-info/METADATA": meta,
    f"{dist}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: maint-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{dist}-{version}.dist-info/RECORD,,")
files[f"{dist}-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(f"{out}/{dist}-{version}-py3-none-any.whl", "w") as whl:
    for path, text in files.items():
        info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
        whl.writestr(info, text)
with tarfile.open(f"{out}/{dist}-{version}.tar.gz", "w:gz") as sdist:
    for path, text in {f"{dist}-{version}/PKG-INFO": meta, f"{dist}-{version}/pyproject.toml": "[build-system]\nrequires = []\n"}.items():
        data = text.encode()
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mtime = 1704067200
        sdist.addfile(info, io.BytesIO(data))
`;

export async function startPypiIndex(): Promise<TestPypiIndex> {
  const root = mkdtempSync(join(tmpdir(), 'maint-pypi-'));
  const files = join(root, 'files');
  mkdirSync(files);
  mkdirSync(join(root, 'simple'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/simple/`;
  const packages = new Map<string, string[]>();
  const sha = (file: string) => createHash('sha256').update(readFileSync(join(files, file))).digest('hex');

  const writePages = () => {
    const names = [...packages.keys()].sort();
    writeFileSync(join(root, 'simple', 'index.html'), `<!DOCTYPE html>\n<html><body>\n${names.map((n) => `<a href="${n}/">${n}</a>`).join('\n')}\n</body></html>\n`);
    for (const name of names) {
      mkdirSync(join(root, 'simple', name), { recursive: true });
      const links = packages.get(name)!.map((f) => `<a href="../../files/${f}#sha256=${sha(f)}">${f}</a><br/>`);
      writeFileSync(join(root, 'simple', name, 'index.html'), `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"></head><body>\n<h1>Links for ${name}</h1>\n${links.join('\n')}\n</body></html>\n`);
    }
  };
  const fileNames = (name: string, version: string) => {
    const dist = name.replace(/-/g, '_');
    return [`${dist}-${version}-py3-none-any.whl`, `${dist}-${version}.tar.gz`];
  };

  const child = track(spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async () => {
    await stopChild(child);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    writePages();
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`python3 -m http.server exited with ${child.exitCode}: ${output}`);
      const up = await fetch(url).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`the PyPI index at ${url} did not answer within 15 s: ${output}`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async publish(name, version) {
      const normalized = normalizeName(name);
      await run('python3', ['-c', BUILD, normalized, version, files]);
      packages.set(normalized, [...new Set([...(packages.get(normalized) ?? []), ...fileNames(normalized, version)])].filter((f) => readdirSync(files).includes(f)));
      writePages();
    },
    hashes: (name, version) => fileNames(normalizeName(name), version).map(sha),
    stop,
  };
}
