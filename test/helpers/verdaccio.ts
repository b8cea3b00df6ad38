import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import semver from 'semver';
import { freePort } from '../../harness/ports';
import { stopChild, track } from '../../harness/processes';

const VERDACCIO_BIN = resolve(__dirname, '../../.tools/verdaccio/node_modules/verdaccio/bin/verdaccio');

export interface PublishOptions {
  dependencies?: Record<string, string>;
  /**
   * The version's release time in the registry's `time` field. Verdaccio always stamps "now" on
   * publish (local-storage addVersion) and has no API to change it, so the helper rewrites the
   * stored package document afterwards; verdaccio reads it from disk on every request.
   */
  publishedAt?: Date;
  /** Dist-tag to point at this version; `latest` by default (publish versions in ascending order). */
  tag?: string;
  /** package.json `repository` (a URL), which Renovate reports as the dependency's sourceUrl. */
  repository?: string;
  homepage?: string;
}

/** A real verdaccio on a free loopback port, with its own config and storage, no uplinks. */
export interface TestNpmRegistry {
  port: number;
  /** `http://127.0.0.1:PORT/` (with the trailing slash npm writes in .npmrc). */
  url: string;
  /** Publishes a real tarball (PUT of the package document, as `npm publish` sends it). */
  publish(name: string, version: string, options?: PublishOptions): Promise<void>;
  /**
   * Takes one version back out, so a test that published it leaves the registry as it found it:
   * the version, its time and tarball go; a dist-tag on it goes too, except `latest`, which moves
   * back to the highest version left.
   */
  unpublish(name: string, version: string): void;
  /** Kills verdaccio (the registry then refuses connections); `rmStorage` also deletes its files. */
  stop(options?: { rmStorage?: boolean }): Promise<void>;
}

export async function startVerdaccio(): Promise<TestNpmRegistry> {
  if (!existsSync(VERDACCIO_BIN)) throw new Error(`verdaccio is not installed at ${VERDACCIO_BIN}: scripts/test.sh installs it (ensure_verdaccio in scripts/bootstrap.sh)`);
  const root = mkdtempSync(join(tmpdir(), 'maint-verdaccio-'));
  const storage = join(root, 'storage');
  mkdirSync(storage);
  const port = await freePort();
  const configFile = join(root, 'config.yaml');
  writeFileSync(configFile, [
    `storage: ${JSON.stringify(storage)}`,
    `auth: {htpasswd: {file: ${JSON.stringify(join(root, 'htpasswd'))}, max_users: -1}}`,
    'uplinks: {}',
    'packages:',
    "  '**': {access: $all, publish: $all, unpublish: $all}",
    `listen: 127.0.0.1:${port}`,
    'web: {enable: false}',
    'log: {type: stdout, format: json, level: warn}',
    'max_body_size: 10mb',
    '',
  ].join('\n'));
  const child = track(spawn(process.execPath, [VERDACCIO_BIN, '--config', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: root } }));
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}/`;

  const stop = async (options: { rmStorage?: boolean } = {}) => {
    await stopChild(child);
    if (options.rmStorage !== false) rmSync(root, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}: ${output}`);
      const ok = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`verdaccio on port ${port} did not answer within 30 s: ${output}`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    port,
    url,
    async publish(name, version, options = {}) {
      const manifest = { name, version, description: `${name} for tests`, main: 'index.js', license: 'MIT', ...(options.dependencies ? { dependencies: options.dependencies } : {}),
        ...(options.repository ? { repository: { type: 'git', url: options.repository } } : {}), ...(options.homepage ? { homepage: options.homepage } : {}) };
      const tarball = packTarball(root, manifest);
      const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
      const document = {
        _id: name,
        name,
        'dist-tags': { [options.tag ?? 'latest']: version },
        versions: {
          [version]: {
            ...manifest,
            _id: `${name}@${version}`,
            dist: {
              shasum: createHash('sha1').update(tarball).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
              tarball: `${url}${name}/-/${file}`,
            },
          },
        },
        _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
      };
      const response = await fetch(`${url}${name.replace('/', '%2f')}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(document) });
      const answer = await response.text();
      if (!response.ok) throw new Error(`publishing ${name}@${version} to verdaccio: HTTP ${response.status} ${answer}`);
      if (options.publishedAt) {
        const stored = join(storage, name, 'package.json');
        const packument = JSON.parse(readFileSync(stored, 'utf8')) as { time: Record<string, string> };
        packument.time[version] = options.publishedAt.toISOString();
        writeFileSync(stored, JSON.stringify(packument, null, 2));
      }
    },
    unpublish(name, version) {
      // Edited on disk like `publishedAt` above: verdaccio reads the document on every request.
      const stored = join(storage, name, 'package.json');
      const packument = JSON.parse(readFileSync(stored, 'utf8')) as { versions: Record<string, unknown>; time: Record<string, string>; 'dist-tags': Record<string, string>; _attachments?: Record<string, unknown> };
      if (!packument.versions[version]) throw new Error(`unpublishing ${name}@${version} from verdaccio: not published (has ${Object.keys(packument.versions).join(', ')})`);
      const file = `${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
      delete packument.versions[version];
      delete packument.time[version];
      delete packument._attachments?.[file];
      for (const [tag, tagged] of Object.entries(packument['dist-tags'])) if (tagged === version) delete packument['dist-tags'][tag];
      const highest = Object.keys(packument.versions).sort(semver.rcompare)[0];
      if (!packument['dist-tags'].latest && highest) packument['dist-tags'].latest = highest;
      writeFileSync(stored, JSON.stringify(packument, null, 2));
      rmSync(join(storage, name, file), { force: true });
    },
    stop,
  };
}

/** `npm pack` output for a package of one package.json and one index.js, made with tar(1). */
function packTarball(root: string, manifest: Record<string, unknown>): Buffer {
  const dir = mkdtempSync(join(root, 'pack-'));
  try {
    mkdirSync(join(dir, 'package'));
    writeFileSync(join(dir, 'package', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(dir, 'package', 'index.js'), `module.exports = ${JSON.stringify(manifest.version)};\n`);
    const tar = spawnSync('tar', ['-czf', '-', '--owner=0', '--group=0', '-C', dir, 'package'], { maxBuffer: 16 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed (${tar.status}): ${tar.stderr.toString()}`);
    return tar.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
