import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvironment } from '../../policies/environment';
import { temporalTargetFromEnvironment } from '../../worker';

describe('configuration from the environment', () => {
  it('has defaults that reach a local dev server', () => {
    const env = parseEnvironment({ PATH: '/usr/bin' });
    expect(env).toMatchObject({ TEMPORAL_NAMESPACE: 'default', MAINT_TASK_QUEUE: 'maint' });
    expect(temporalTargetFromEnvironment(env)).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
  });

  it('names each bad variable and what it expects', () => {
    expect(() => parseEnvironment({ TEMPORAL_ADDRESS: 'http://x', MAINT_TASK_QUEUE: 'a b', TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toThrow(
      /TEMPORAL_ADDRESS: expected host:port[\s\S]*MAINT_TASK_QUEUE[\s\S]*TEMPORAL_TLS_KEY_PATH: mTLS needs both/,
    );
  });

  it('reads mTLS material and API keys from files, and turns TLS on for API keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'maint-env-'));
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    writeFileSync(join(dir, 'api'), 'secret-key\n');
    const mtls = temporalTargetFromEnvironment(parseEnvironment({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_TLS_CERT_PATH: join(dir, 'c.pem'), TEMPORAL_TLS_KEY_PATH: join(dir, 'k.pem') }));
    expect(mtls.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
    const apiKey = temporalTargetFromEnvironment(parseEnvironment({ TEMPORAL_API_KEY_FILE: join(dir, 'api') }));
    expect(apiKey).toMatchObject({ apiKey: 'secret-key', tls: true });
    expect(() => temporalTargetFromEnvironment(parseEnvironment({ TEMPORAL_API_KEY_FILE: join(dir, 'missing') }))).toThrow(/TEMPORAL_API_KEY_FILE=.*missing: cannot read the file \(ENOENT\)/);
  });
});
