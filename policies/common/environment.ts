import { z } from 'zod';
import { OIDC_CLAIM_PATH, parseOidcRoleMapping } from '../console/oidc';
import { parseDurationMs } from './durations';
import { DEFAULT_CONCURRENCY, SERVED_QUEUES, type ServedQueue } from './taskQueues';

const concurrency = (queue: ServedQueue) =>
  z.coerce.number().int().min(1).max(10_000).default(DEFAULT_CONCURRENCY[queue])
    .describe(`Activities of the ${queue} queue one worker runs at once (default ${DEFAULT_CONCURRENCY[queue]}).`);

/** `hosts,control` → the queues a worker serves; unset: all of them. */
const servedQueues = z
  .string()
  .transform((value, ctx): ServedQueue[] => {
    const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
    const unknown = names.filter((n) => !(SERVED_QUEUES as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `${unknown.length > 0 ? `unknown queue ${unknown.map((n) => `"${n}"`).join(', ')}; ` : ''}expected a comma-separated list of ${SERVED_QUEUES.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(names as ServedQueue[])];
  })
  .default([...SERVED_QUEUES])
  .describe(`The task queues this worker serves, e.g. "hosts" or "workflows,control" (default: all of ${SERVED_QUEUES.join(', ')}).`);

/** A payload key as written: the base64 of 32 random bytes (`openssl rand -base64 32`), canonical padding. */
const PAYLOAD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
export const PAYLOAD_KEY_EXPECTED = 'expected the base64 of 32 random bytes (44 characters ending in "=", e.g. from `openssl rand -base64 32`)';

/** Whether `text` (trimmed) is a payload key as written. */
export function isPayloadKey(text: string): boolean {
  return PAYLOAD_KEY.test(text.trim());
}

/**
 * The keys of a list as MAINT_PAYLOAD_DECRYPT_KEYS or its file hold them: separated by commas,
 * spaces or line breaks; `#` starts a comment to the end of its line. A key that is not one is
 * named by its position, never by its value.
 */
export function payloadKeyList(text: string): { keys: string[] } | { error: string } {
  const keys = text.split('\n').flatMap((line) => line.replace(/#.*/, '').split(/[\s,]+/)).filter((k) => k !== '');
  const bad = keys.findIndex((k) => !PAYLOAD_KEY.test(k));
  if (bad >= 0) return { error: `key ${bad + 1} of ${keys.length}: ${PAYLOAD_KEY_EXPECTED}` };
  return { keys };
}

/** MAINT_SECRET_DIRS: absolute directories separated by ":" (like PATH). */
const secretDirs = z
  .string()
  .transform((value, ctx): string[] => {
    const dirs = value.split(':').map((d) => d.trim()).filter((d) => d !== '');
    const relative = dirs.filter((d) => !d.startsWith('/'));
    if (dirs.length === 0 || relative.length > 0) {
      ctx.addIssue({ code: 'custom', message: `expected absolute directories separated by ":", e.g. /run/secrets:/etc/maint/secrets${relative.length > 0 ? ` (not absolute: ${relative.join(', ')})` : ''}` });
      return z.NEVER;
    }
    return dirs.map((d) => (d.length > 1 ? d.replace(/\/+$/, '') : d));
  })
  .optional()
  .describe('Directories a channel\'s secret file (passwordFile, secretFile, urlFile) must be in, after symlinks are resolved, separated by ":". Unset: any file the worker can read (`maint doctor` warns).');

const secretEnvPrefix = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'expected the start of a variable name, e.g. MAINT_CHANNEL_')
  .optional()
  .describe('Prefix every variable a channel names (passwordEnv, secretEnv, urlEnv) must have. Unset: any variable but the worker\'s own configuration (`maint doctor` warns).');

/** Where channels may read secrets from on this worker (MAINT_SECRET_DIRS, MAINT_SECRET_ENV_PREFIX). */
export interface SecretLimits {
  dirs?: string[];
  envPrefix?: string;
}

/** The limits as the environment sets them; an invalid value is refused with the variable named. */
export function secretLimits(env: Record<string, string | undefined>): SecretLimits {
  const dirs = secretDirs.safeParse(env.MAINT_SECRET_DIRS || undefined);
  if (!dirs.success) throw new EnvironmentError(`MAINT_SECRET_DIRS: ${dirs.error.issues[0]!.message}`);
  const prefix = secretEnvPrefix.safeParse(env.MAINT_SECRET_ENV_PREFIX || undefined);
  if (!prefix.success) throw new EnvironmentError(`MAINT_SECRET_ENV_PREFIX: ${prefix.error.issues[0]!.message}`);
  return { ...(dirs.data !== undefined ? { dirs: dirs.data } : {}), ...(prefix.data !== undefined ? { envPrefix: prefix.data } : {}) };
}

/**
 * Why a channel may not read variable `name` (undefined: it may). The worker's own configuration
 * (TEMPORAL_*, the MAINT_* variables described here) is never a channel secret, whatever the
 * prefix: an organisation file must not make the worker send its payload key or API key away.
 */
export function secretEnvProblem(name: string, limits: SecretLimits): string | undefined {
  if (name.startsWith('TEMPORAL_') || Object.hasOwn(environmentSchema.shape, name)) return `${name} is the worker's own configuration, not a channel secret`;
  if (limits.envPrefix !== undefined && !name.startsWith(limits.envPrefix)) return `${name} does not start with ${limits.envPrefix} (MAINT_SECRET_ENV_PREFIX)`;
  return undefined;
}

/** The worker's SSH connection pool unless MAINT_SSH_POOL_IDLE / MAINT_SSH_POOL_MAX say otherwise. */
export const SSH_POOL_DEFAULTS = { idleMs: 30_000, maxConnections: 200 } as const;

/** MAINT_SSH_POOL_IDLE: a duration (`30s`, `2m`, `500ms`) or a number of seconds; 0 turns pooling off. */
const sshPoolIdle = z
  .string()
  .regex(/^(\d+(\.\d+)?|(\d+(\.\d+)?(ms|s|m|h))+)$/, 'expected a duration like 30s, 2m or 500ms, or 0 to close each connection when its step ends')
  .transform((value) => (/^[\d.]+$/.test(value) ? Math.round(Number(value) * 1000) : parseDurationMs(value)))
  .refine((ms) => ms <= 3_600_000, 'expected at most 1h (a connection is kept for the next step, not the next rollout)')
  .default(SSH_POOL_DEFAULTS.idleMs)
  .describe(`How long an SSH connection stays open unused for the next step on its host (default ${SSH_POOL_DEFAULTS.idleMs / 1000}s); 0: a connection per step, as without a pool.`);

/** A tuning option of the Temporal Worker: unset keeps the SDK's default. */
const workerOption = (min: number, max: number, description: string) => z.coerce.number().int().min(min).max(max).optional().describe(description);

/**
 * Configuration read from the environment by the worker, `maint dev` and the CLI. Secrets (API
 * key, TLS key, payload keys, codec token) are read from the environment or from files and never
 * logged; an error about one names its variable, never its value.
 */
export const environmentSchema = z
  .object({
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233')
      .optional()
      .describe('Temporal frontend. Unset: the CLI uses 127.0.0.1:7233, the address `maint dev` serves.'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_API_KEY: z.string().min(1).optional().describe('API key (Temporal Cloud); implies TLS.'),
    TEMPORAL_API_KEY_FILE: z.string().min(1).optional().describe('File holding the API key.'),
    TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional().describe('mTLS client certificate (PEM).'),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional().describe('mTLS client key (PEM).'),
    TEMPORAL_TLS_CA_PATH: z.string().min(1).optional().describe('CA bundle for the server certificate (PEM).'),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional().describe('Server name to verify, if it differs from the address.'),
    MAINT_TASK_QUEUE: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected letters, digits, ".", "_" or "-"').default('maint')
      .describe('The workflow task queue; each activity domain\'s queue is named after it (maint-hosts, maint-dependencies, maint-control).'),
    MAINT_TASK_QUEUES: servedQueues,
    MAINT_WORKFLOWS_CONCURRENCY: concurrency('workflows'),
    MAINT_HOSTS_CONCURRENCY: concurrency('hosts'),
    MAINT_DEPENDENCIES_CONCURRENCY: concurrency('dependencies'),
    MAINT_CONTROL_CONCURRENCY: concurrency('control'),
    MAINT_WORKER_MAX_CACHED_WORKFLOWS: workerOption(0, 100_000, 'Workflows a worker keeps in its sticky cache (SDK default: from the memory it has; 0 turns the cache off).'),
    MAINT_WORKER_WORKFLOW_TASKS: workerOption(2, 10_000, 'Workflow tasks one worker runs at once (SDK default 40).'),
    MAINT_WORKER_WORKFLOW_POLLERS: workerOption(2, 1_000, 'Concurrent polls for workflow tasks (SDK default 10).'),
    MAINT_WORKER_ACTIVITY_POLLERS: workerOption(1, 1_000, 'Concurrent polls for activity tasks, per served activity queue (SDK default 10).'),
    MAINT_DATA_DIR: z.string().min(1).optional().describe('Where `maint dev` keeps temporal.db (default ~/.local/share/maint).'),
    MAINT_CONSOLE_USERS: z.string().min(1).optional().describe('The console\'s users and script tokens file (default $MAINT_DATA_DIR/console-users.yaml): `maint console user add`, `maint console token add`.'),
    MAINT_CONSOLE_OIDC_ISSUER: z
      .string()
      .regex(/^(https:\/\/[^\s/]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?)(\/\S*)?$/, 'expected the issuer URL of the identity provider, https://… (http:// only on 127.0.0.1 or localhost), e.g. https://keycloak.example.com/realms/ops')
      .optional()
      .describe('OpenID Connect sign-in for the console: the identity provider\'s issuer URL (its /.well-known/openid-configuration is read). Unset: local users only.'),
    MAINT_CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional().describe('The console\'s client id at the identity provider.'),
    MAINT_CONSOLE_OIDC_CLIENT_SECRET: z.string().min(1).optional().describe('The client secret (confidential client); unset with no file: a public client (PKCE only).'),
    MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: z.string().min(1).optional().describe('File holding MAINT_CONSOLE_OIDC_CLIENT_SECRET.'),
    MAINT_CONSOLE_OIDC_ROLES_CLAIM: z.string().regex(OIDC_CLAIM_PATH, 'expected a claim name or dotted path, e.g. groups, roles or realm_access.roles').default('groups')
      .describe('The ID token claim whose values are mapped to roles (default groups).'),
    MAINT_CONSOLE_OIDC_ROLES: z.string().optional().describe('Claim value → role: group=role pairs separated by commas, e.g. maint-admins=admin,maint-operators=operator,staff=viewer.'),
    MAINT_CONSOLE_OIDC_SCOPES: z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'expected scopes separated by single spaces, e.g. "openid email profile groups"').default('openid email profile')
      .describe('Scopes asked for (default "openid email profile"; add what makes the provider send the roles claim).'),
    MAINT_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'expected postgresql://user[:password]@host[:port]/database')
      .optional()
      .describe('PostgreSQL for the store (notice deliveries), shared by every worker. Unset: SQLite in MAINT_DATA_DIR (store.db), for one worker. Its password is never logged.'),
    MAINT_SSH_IDENTITY_FILE: z.string().min(1).optional().describe('SSH private key used when the inventory names none (default ~/.ssh/id_ed25519).'),
    MAINT_SSH_POOL_IDLE: sshPoolIdle,
    MAINT_SSH_POOL_MAX: z.coerce.number().int().min(1).max(100_000).default(SSH_POOL_DEFAULTS.maxConnections)
      .describe(`SSH connections one worker keeps open at most (default ${SSH_POOL_DEFAULTS.maxConnections}); for one more, the least recently used idle one is closed.`),
    MAINT_METRICS_PROMETHEUS: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port to serve /metrics on, e.g. 127.0.0.1:9464').optional()
      .describe('Serve the worker\'s metrics (Temporal\'s and maint_*) for Prometheus at http://HOST:PORT/metrics.'),
    MAINT_METRICS_OTLP: z.string().regex(/^(grpcs?|https?):\/\/\S+$/, 'expected an OTLP collector URL, e.g. grpc://127.0.0.1:4317 or http://127.0.0.1:4318/v1/metrics').optional()
      .describe('Push the worker\'s metrics to an OpenTelemetry collector (OTLP/gRPC; http(s):// URLs use OTLP/HTTP).'),
    MAINT_TRACES_OTLP: z.string().regex(/^https?:\/\/\S+$/, 'expected an OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces').optional()
      .describe('Export traces (CLI command → workflow → activity spans) to an OpenTelemetry collector over OTLP/HTTP; headers from OTEL_EXPORTER_OTLP_HEADERS.'),
    MAINT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MAINT_LOG_FORMAT: z.enum(['line', 'json']).default('line').describe('The worker\'s log lines: `time LEVEL message key=value` or one JSON object a line.'),
    MAINT_PAYLOAD_KEY: z.string().regex(PAYLOAD_KEY, PAYLOAD_KEY_EXPECTED).optional().describe('Key that encrypts every payload (and decrypts).'),
    MAINT_PAYLOAD_KEY_FILE: z.string().min(1).optional().describe('File holding MAINT_PAYLOAD_KEY.'),
    MAINT_PAYLOAD_DECRYPT_KEYS: z.string().optional().describe('More keys accepted for decryption only (rotation), separated by commas.'),
    MAINT_PAYLOAD_DECRYPT_KEYS_FILE: z.string().min(1).optional().describe('File with decryption-only keys, one a line.'),
    MAINT_CODEC_TOKEN: z.string().min(16, 'expected at least 16 characters, e.g. from `openssl rand -hex 32`').optional().describe('Bearer token of `maint codec-server`.'),
    MAINT_CODEC_TOKEN_FILE: z.string().min(1).optional().describe('File holding MAINT_CODEC_TOKEN.'),
    MAINT_SECRET_DIRS: secretDirs,
    MAINT_SECRET_ENV_PREFIX: secretEnvPrefix,
  })
  .superRefine((env, ctx) => {
    if ((env.TEMPORAL_TLS_CERT_PATH === undefined) !== (env.TEMPORAL_TLS_KEY_PATH === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TEMPORAL_TLS_CERT_PATH === undefined ? 'TEMPORAL_TLS_CERT_PATH' : 'TEMPORAL_TLS_KEY_PATH'],
        message: 'mTLS needs both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH',
      });
    }
    if (env.MAINT_METRICS_PROMETHEUS !== undefined && env.MAINT_METRICS_OTLP !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['MAINT_METRICS_OTLP'], message: 'set MAINT_METRICS_PROMETHEUS or MAINT_METRICS_OTLP, not both (the Temporal runtime exports metrics one way)' });
    }
    if (env.TEMPORAL_API_KEY !== undefined && env.TEMPORAL_API_KEY_FILE !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_API_KEY_FILE'], message: 'set TEMPORAL_API_KEY or TEMPORAL_API_KEY_FILE, not both' });
    }
    if (env.MAINT_CONSOLE_OIDC_ISSUER !== undefined) {
      if (env.MAINT_CONSOLE_OIDC_CLIENT_ID === undefined) ctx.addIssue({ code: 'custom', path: ['MAINT_CONSOLE_OIDC_CLIENT_ID'], message: 'OpenID Connect sign-in (MAINT_CONSOLE_OIDC_ISSUER) needs the console\'s client id' });
      if (env.MAINT_CONSOLE_OIDC_ROLES === undefined) ctx.addIssue({ code: 'custom', path: ['MAINT_CONSOLE_OIDC_ROLES'], message: 'OpenID Connect sign-in (MAINT_CONSOLE_OIDC_ISSUER) needs the claim values that give each role, e.g. maint-admins=admin,maint-operators=operator' });
      if (!env.MAINT_CONSOLE_OIDC_SCOPES.split(' ').includes('openid')) ctx.addIssue({ code: 'custom', path: ['MAINT_CONSOLE_OIDC_SCOPES'], message: 'expected the scope openid among them' });
    }
    if (env.MAINT_CONSOLE_OIDC_ROLES !== undefined) {
      const parsed = parseOidcRoleMapping(env.MAINT_CONSOLE_OIDC_ROLES);
      if ('error' in parsed) ctx.addIssue({ code: 'custom', path: ['MAINT_CONSOLE_OIDC_ROLES'], message: parsed.error });
    }
    for (const name of ['MAINT_PAYLOAD_KEY', 'MAINT_PAYLOAD_DECRYPT_KEYS', 'MAINT_CODEC_TOKEN', 'MAINT_CONSOLE_OIDC_CLIENT_SECRET'] as const) {
      if (env[name] !== undefined && env[`${name}_FILE`] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [`${name}_FILE`], message: `set ${name} or ${name}_FILE, not both` });
      }
    }
    if (env.MAINT_PAYLOAD_DECRYPT_KEYS !== undefined) {
      const list = payloadKeyList(env.MAINT_PAYLOAD_DECRYPT_KEYS);
      if ('error' in list) ctx.addIssue({ code: 'custom', path: ['MAINT_PAYLOAD_DECRYPT_KEYS'], message: list.error });
    }
    if ((env.MAINT_PAYLOAD_DECRYPT_KEYS !== undefined || env.MAINT_PAYLOAD_DECRYPT_KEYS_FILE !== undefined) && env.MAINT_PAYLOAD_KEY === undefined && env.MAINT_PAYLOAD_KEY_FILE === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [env.MAINT_PAYLOAD_DECRYPT_KEYS !== undefined ? 'MAINT_PAYLOAD_DECRYPT_KEYS' : 'MAINT_PAYLOAD_DECRYPT_KEYS_FILE'],
        message: 'decryption keys need MAINT_PAYLOAD_KEY (or MAINT_PAYLOAD_KEY_FILE), the key that encrypts',
      });
    }
  });

export type Environment = z.output<typeof environmentSchema>;

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/** Validates the environment; the error names each variable and what was expected. */
export function parseEnvironment(env: Record<string, string | undefined>): Environment {
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => (k.startsWith('TEMPORAL_') || k.startsWith('MAINT_')) && v !== undefined && v !== ''),
  );
  const result = environmentSchema.safeParse(relevant);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message.replace(/^Invalid input: /, '')}`);
  throw new EnvironmentError(`invalid environment:\n${lines.join('\n')}`);
}
