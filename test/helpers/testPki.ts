import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files (what the TEMPORAL_TLS_* variables name) and as bytes. */
export interface CertFiles {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * A private CA made with `openssl` at test time (no key is ever committed): a server certificate
 * for `serverName` (a host name, or an IP address such as 127.0.0.1), a client certificate, and a second, unrelated CA with its own client
 * certificate (what a wrong CA file or a stranger's certificate looks like).
 */
export interface TestPki {
  dir: string;
  serverName: string;
  caPath: string;
  ca: Buffer;
  server: CertFiles;
  client: CertFiles;
  otherCaPath: string;
  otherClient: CertFiles;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function issue(dir: string, ca: string, name: string, cn: string, extensions: string): CertFiles {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2',
    '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}

export function createTestPki(serverName: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'maint-pki-'));
  const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  try {
    makeCa(dir, 'ca', 'maint test CA');
    const server = issue(dir, 'ca', 'server', serverName,
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${isIP(serverName) ? 'IP' : 'DNS'}:${serverName}\n`);
    const client = issue(dir, 'ca', 'client', 'maint-worker', clientExt);
    makeCa(dir, 'other-ca', 'some other CA');
    const otherClient = issue(dir, 'other-ca', 'other-client', 'maint-worker', clientExt);
    const caPath = join(dir, 'ca.pem');
    return {
      dir, serverName, caPath, ca: readFileSync(caPath), server, client, otherCaPath: join(dir, 'other-ca.pem'), otherClient,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
