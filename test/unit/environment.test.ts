import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvironment, secretEnvProblem, secretLimits } from '../../policies/common/environment';
import { temporalTargetFromEnvironment } from '../../control/connection';
import { createTestPki } from '../helpers/testPki';

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

  it('takes one metrics exporter: a host:port for Prometheus or an OTLP URL, not both', () => {
    expect(parseEnvironment({ MAINT_METRICS_PROMETHEUS: '127.0.0.1:9464' }).MAINT_METRICS_PROMETHEUS).toBe('127.0.0.1:9464');
    expect(() => parseEnvironment({ MAINT_METRICS_PROMETHEUS: 'http://127.0.0.1:9464/metrics' })).toThrow(/MAINT_METRICS_PROMETHEUS: expected host:port to serve \/metrics on/);
    expect(() => parseEnvironment({ MAINT_METRICS_OTLP: '127.0.0.1:4317' })).toThrow(/MAINT_METRICS_OTLP: expected an OTLP collector URL/);
    expect(() => parseEnvironment({ MAINT_METRICS_PROMETHEUS: '127.0.0.1:9464', MAINT_METRICS_OTLP: 'grpc://127.0.0.1:4317' })).toThrow(/MAINT_METRICS_OTLP: set MAINT_METRICS_PROMETHEUS or MAINT_METRICS_OTLP, not both/);
  });

  it('sizes the SSH connection pool: idle time as a duration or seconds (0: no pool), a connection bound', () => {
    expect(parseEnvironment({})).toMatchObject({ MAINT_SSH_POOL_IDLE: 30_000, MAINT_SSH_POOL_MAX: 200 });
    expect(parseEnvironment({ MAINT_SSH_POOL_IDLE: '2m', MAINT_SSH_POOL_MAX: '50' })).toMatchObject({ MAINT_SSH_POOL_IDLE: 120_000, MAINT_SSH_POOL_MAX: 50 });
    expect(parseEnvironment({ MAINT_SSH_POOL_IDLE: '0' }).MAINT_SSH_POOL_IDLE).toBe(0);
    expect(parseEnvironment({ MAINT_SSH_POOL_IDLE: '1.5' }).MAINT_SSH_POOL_IDLE).toBe(1500);
    expect(parseEnvironment({ MAINT_SSH_POOL_IDLE: '500ms' }).MAINT_SSH_POOL_IDLE).toBe(500);
    expect(() => parseEnvironment({ MAINT_SSH_POOL_IDLE: 'soon' })).toThrow(/MAINT_SSH_POOL_IDLE: expected a duration like 30s, 2m or 500ms, or 0/);
    expect(() => parseEnvironment({ MAINT_SSH_POOL_IDLE: '2h' })).toThrow(/MAINT_SSH_POOL_IDLE: expected at most 1h/);
    expect(() => parseEnvironment({ MAINT_SSH_POOL_MAX: '0' })).toThrow(/MAINT_SSH_POOL_MAX: .*>=1/);
    expect(() => parseEnvironment({ MAINT_SSH_POOL_MAX: 'many' })).toThrow(/MAINT_SSH_POOL_MAX: expected number/);
  });

  it('reads mTLS material and API keys from files, and turns TLS on for API keys', () => {
    const pki = createTestPki('temporal.test');
    try {
      writeFileSync(join(pki.dir, 'api'), 'secret-key\n');
      const mtls = temporalTargetFromEnvironment(parseEnvironment({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_TLS_CERT_PATH: pki.client.certPath, TEMPORAL_TLS_KEY_PATH: pki.client.keyPath,
        TEMPORAL_TLS_CA_PATH: pki.caPath, TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      }));
      expect(mtls.tls).toEqual({ clientCertPair: { crt: pki.client.cert, key: pki.client.key }, serverRootCACertificate: pki.ca, serverNameOverride: 'temporal.test' });
      const apiKey = temporalTargetFromEnvironment(parseEnvironment({ TEMPORAL_API_KEY_FILE: join(pki.dir, 'api') }));
      expect(apiKey).toMatchObject({ apiKey: 'secret-key', tls: true });
      expect(() => temporalTargetFromEnvironment(parseEnvironment({ TEMPORAL_API_KEY_FILE: join(pki.dir, 'missing') }))).toThrow(/TEMPORAL_API_KEY_FILE=.*missing: cannot read the file \(ENOENT\)/);
    } finally {
      pki.remove();
    }
  });

  it('names the TLS file that is not what its variable expects, before anything connects', () => {
    const pki = createTestPki('temporal.test');
    try {
      const target = (vars: Record<string, string>) => () => temporalTargetFromEnvironment(parseEnvironment(vars));
      expect(target({ TEMPORAL_TLS_CA_PATH: pki.client.keyPath })).toThrow(`TEMPORAL_TLS_CA_PATH=${pki.client.keyPath}: expected a PEM certificate ("-----BEGIN CERTIFICATE-----")`);
      expect(target({ TEMPORAL_TLS_CERT_PATH: pki.client.keyPath, TEMPORAL_TLS_KEY_PATH: pki.client.keyPath })).toThrow(`TEMPORAL_TLS_CERT_PATH=${pki.client.keyPath}: expected a PEM certificate`);
      expect(target({ TEMPORAL_TLS_CERT_PATH: pki.client.certPath, TEMPORAL_TLS_KEY_PATH: pki.client.certPath })).toThrow(`TEMPORAL_TLS_KEY_PATH=${pki.client.certPath}: expected an unencrypted PEM private key`);
      expect(target({ TEMPORAL_TLS_CERT_PATH: pki.client.certPath, TEMPORAL_TLS_KEY_PATH: pki.otherClient.keyPath })).toThrow(
        `TEMPORAL_TLS_KEY_PATH=${pki.otherClient.keyPath}: this key does not belong to the certificate in TEMPORAL_TLS_CERT_PATH=${pki.client.certPath}`,
      );
    } finally {
      pki.remove();
    }
  });

  it('says which task queue names MAINT_TASK_QUEUES allows; a worker serves all by default', () => {
    expect(() => parseEnvironment({ MAINT_TASK_QUEUES: 'hosts,renovate' })).toThrow(
      /MAINT_TASK_QUEUES: unknown queue "renovate"; expected a comma-separated list of workflows, hosts, dependencies, control/,
    );
    expect(() => parseEnvironment({ MAINT_HOSTS_CONCURRENCY: '0' })).toThrow(/MAINT_HOSTS_CONCURRENCY/);
    expect(parseEnvironment({}).MAINT_TASK_QUEUES).toEqual(['workflows', 'hosts', 'dependencies', 'control']);
  });

  it('limits channel secrets by MAINT_SECRET_DIRS and MAINT_SECRET_ENV_PREFIX, and never hands out the worker\'s own configuration', () => {
    expect(secretLimits({})).toEqual({});
    expect(secretLimits({ MAINT_SECRET_DIRS: '/run/secrets:/etc/maint/secrets/', MAINT_SECRET_ENV_PREFIX: 'MAINT_CHANNEL_' })).toEqual({ dirs: ['/run/secrets', '/etc/maint/secrets'], envPrefix: 'MAINT_CHANNEL_' });
    expect(() => secretLimits({ MAINT_SECRET_DIRS: 'secrets:/run/secrets' })).toThrow('MAINT_SECRET_DIRS: expected absolute directories separated by ":", e.g. /run/secrets:/etc/maint/secrets (not absolute: secrets)');
    expect(() => parseEnvironment({ MAINT_SECRET_ENV_PREFIX: 'maint-' })).toThrow(/MAINT_SECRET_ENV_PREFIX: expected the start of a variable name/);
    expect(secretEnvProblem('PARTNER_SECRET', {})).toBeUndefined();
    expect(secretEnvProblem('PARTNER_SECRET', { envPrefix: 'MAINT_CHANNEL_' })).toBe('PARTNER_SECRET does not start with MAINT_CHANNEL_ (MAINT_SECRET_ENV_PREFIX)');
    expect(secretEnvProblem('MAINT_CHANNEL_SLACK_URL', { envPrefix: 'MAINT_CHANNEL_' })).toBeUndefined();
    for (const own of ['MAINT_PAYLOAD_KEY', 'MAINT_CODEC_TOKEN', 'MAINT_DATABASE_URL', 'TEMPORAL_API_KEY', 'TEMPORAL_ANYTHING']) {
      expect(secretEnvProblem(own, { envPrefix: 'MAINT_' })).toBe(`${own} is the worker's own configuration, not a channel secret`);
    }
  });
});
