import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { freePort } from '../../harness/ports';
import { stopChild, track } from '../../harness/processes';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/** A real Docker registry (Debian's docker-registry, distribution 2.8) on a free loopback port. */
export interface TestDockerRegistry {
  port: number;
  /** `127.0.0.1:PORT`, as image references and Renovate host rules write it. */
  host: string;
  /**
   * Pushes a minimal valid image (one small layer, a config whose `created` is given) as
   * `name:tag` through the registry API and returns its manifest digest (`sha256:…`).
   */
  pushImage(name: string, tag: string, options?: { created?: Date }): Promise<string>;
  stop(): Promise<void>;
}

export async function startDockerRegistry(): Promise<TestDockerRegistry> {
  if (!existsSync(REGISTRY_BIN)) throw new Error(`${REGISTRY_BIN} is missing: scripts/test.sh installs Debian's docker-registry; or \`apt-get install docker-registry\``);
  const root = mkdtempSync(join(tmpdir(), 'maint-registry-'));
  mkdirSync(join(root, 'data'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configFile = join(root, 'config.yml');
  writeFileSync(configFile, [
    'version: 0.1',
    'log: {level: error, accesslog: {disabled: true}}',
    'storage:',
    `  filesystem: {rootdirectory: ${JSON.stringify(join(root, 'data'))}}`,
    '  delete: {enabled: true}',
    '  maintenance: {uploadpurging: {enabled: false}}',
    'http:',
    `  addr: ${host}`,
    '',
  ].join('\n'));
  const child = track(spawn(REGISTRY_BIN, ['serve', configFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } }));
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const base = `http://${host}`;

  const stop = async () => {
    await stopChild(child);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${output}`);
      const ok = await fetch(`${base}/v2/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`docker-registry on ${host} did not answer within 15 s: ${output}`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const uploadBlob = async (name: string, blob: Buffer): Promise<string> => {
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const exists = await fetch(`${base}/v2/${name}/blobs/${digest}`, { method: 'HEAD' });
    if (exists.ok) return digest;
    const started = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    await started.body?.cancel();
    const location = started.headers.get('location');
    if (started.status !== 202 || !location) throw new Error(`blob upload to ${name}: HTTP ${started.status}, no Location`);
    const target = new URL(location, base);
    target.searchParams.set('digest', digest);
    const put = await fetch(target, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob });
    if (put.status !== 201) throw new Error(`blob PUT to ${name}: HTTP ${put.status} ${await put.text()}`);
    await put.body?.cancel();
    return digest;
  };

  return {
    port,
    host,
    async pushImage(name, tag, options = {}) {
      const created = (options.created ?? new Date()).toISOString();
      // The layer's content names the tag, so every tag gets its own layer, config and digest.
      const layerTar = tarOneFile('etc/maint-image', `${name}:${tag}\n`);
      const layer = gzipSync(layerTar);
      const config = Buffer.from(JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created,
        config: { Labels: { 'org.opencontainers.image.version': tag } },
        rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layerTar).digest('hex')}`] },
        history: [{ created, created_by: 'maint test helper' }],
      }));
      const configDigest = await uploadBlob(name, config);
      const layerDigest = await uploadBlob(name, layer);
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_V2,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
      });
      const put = await fetch(`${base}/v2/${name}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': MANIFEST_V2 }, body: manifest });
      const answer = await put.text();
      const digest = put.headers.get('docker-content-digest');
      if (put.status !== 201 || !digest) throw new Error(`manifest PUT ${name}:${tag}: HTTP ${put.status} ${answer}`);
      return digest;
    },
    stop,
  };
}

/** A ustar archive holding one regular file (what a one-file image layer is). */
function tarOneFile(path: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  field(0, 100, path);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${body.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(148, 8, '        '); // checksum is computed with this field as spaces
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}
