import { hostScope, LineLogger } from '../../activities/log';
import { warn } from '../../activities/context';
import { redact } from '../../policies/common/redact';

describe('redact', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text stays', 'host web-1 answered HTTP 503', 'host web-1 answered HTTP 503'],
    ['URL without secrets stays', 'POST https://hooks.example.com/notice failed', 'POST https://hooks.example.com/notice failed'],
    ['userinfo', 'cannot reach https://alice:hunter2@git.example.com/repo.git', 'cannot reach https://[redacted]@git.example.com/repo.git'],
    ['token as user', 'fetch https://x-access-token:ghs_abc@github.com/o/r', 'fetch https://[redacted]@github.com/o/r'],
    ['query string', 'GET http://10.0.0.1:8080/hook?token=abc&sig=def answered 401', 'GET http://10.0.0.1:8080/hook?[redacted] answered 401'],
    ['slack webhook path', 'https://hooks.slack.com/services/T0001/B0001/XXXXsecretXXXX did not answer', 'https://hooks.slack.com/services/[redacted] did not answer'],
    ['authorization header', 'Authorization: Bearer abc.def.ghi', 'Authorization: [redacted]'],
    ['authorization in JSON', '{"authorization":"token ghp_x"}', '{"authorization":"[redacted]"}'],
    ['x-…-token header', 'X-Vault-Token: s.8H3jk2l', 'X-Vault-Token: [redacted]'],
    ['x-api-key header', 'x-api-key=abcdef123456', 'x-api-key=[redacted]'],
    ['bearer anywhere', 'curl -H "auth: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"', 'curl -H "auth: Bearer [redacted]"'],
    ['github classic token', 'remote: invalid credentials ghp_0123456789abcdefghijABCDEFGHIJ0123', 'remote: invalid credentials [redacted]'],
    ['github fine-grained token', 'token github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'token [redacted]'],
    ['slack bot token', 'invalid_auth for xoxb-1234-5678-abcdefABCDEF', 'invalid_auth for [redacted]'],
    ['slack user token', 'xoxp-1111-2222-3333-aaaa', '[redacted]'],
    ['password= in command output', 'mysql: [Warning] using password=Secr3t! on the command line', 'mysql: [Warning] using password=[redacted] on the command line'],
    ['env-style assignment', 'MAINT_CODEC_TOKEN=0123456789abcdef0123', 'MAINT_CODEC_TOKEN=[redacted]'],
    ['yaml-style secret', 'smtp_password: hunter2', 'smtp_password: [redacted]'],
    ['quoted secret', 'config: {"password": "hunter2", "api_key":\'k-123\'}', 'config: {"password": "[redacted]", "api_key":\'[redacted]\'}'],
    ['several in one line', 'https://u:p@a.example/x?k=v and Authorization: Basic dXNlcjpwYXNz', 'https://[redacted]@a.example/x?[redacted] and Authorization: [redacted]'],
    ['multi-line output keeps other lines', 'line 1\nX-Auth-Token: abc\nline 3', 'line 1\nX-Auth-Token: [redacted]\nline 3'],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const [, input] of cases) expect(redact(redact(input))).toBe(redact(input));
  });
});

describe('the worker\'s log lines are redacted', () => {
  it('LineLogger (the Temporal runtime\'s logger, so every activity\'s Context.log): message and error', () => {
    const lines: string[] = [];
    const logger = new LineLogger('INFO', (line) => lines.push(line));
    logger.warn('notice to https://hooks.slack.com/services/T0/B0/s3cretpath failed', { activityType: 'sendNotices', attempt: 2 });
    logger.error('lookup failed', { error: new Error('GET https://npm.acme.example/lodash?token=abc123 answered 401; Authorization: Bearer abcdef.ghijkl') });
    logger.info('renovate: fetching https://x-access-token:ghs_0123456789abcdefghijABCDEF@github.com/acme/web.git');
    logger.debug('not written at INFO');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ WARN notice to https:\/\/hooks\.slack\.com\/services\/\[redacted\] failed activityType=sendNotices attempt=2$/);
    expect(lines[1]).toContain('error="GET https://npm.acme.example/lodash?[redacted] answered 401; Authorization: [redacted]');
    expect(lines[2]).toContain('fetching https://[redacted]@github.com/acme/web.git');
    expect(lines.join('\n')).not.toMatch(/s3cretpath|abc123|abcdef\.ghijkl|ghs_0123/);
  });

  it('MAINT_LOG_FORMAT=json: one JSON object a line with the rollout, batch and host it is about, redacted', () => {
    const lines: string[] = [];
    const logger = new LineLogger('INFO', (line) => lines.push(line), 'json');
    hostScope.run('web-3', () => logger.warn('hook drain answered: token=abc123 "quoted"', {
      workflowId: 'rollout-web-security-20261202-ab12-wave-2-part-1', workflowType: 'patchBatchWorkflow', activityType: 'runHostHook', attempt: 1, taskToken: 'never-logged',
    }));
    logger.info('rollout started', { workflowId: 'rollout-web-security-20261202-ab12', error: new Error('password="hunter2"\\') });
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: 'warn', msg: 'hook drain answered: token=[redacted] "quoted"',
      workflowId: 'rollout-web-security-20261202-ab12-wave-2-part-1', workflowType: 'patchBatchWorkflow', activityType: 'runHostHook', attempt: 1,
      rolloutId: 'rollout-web-security-20261202-ab12', batch: 'wave-2-part-1', host: 'web-3',
    });
    expect(second).toMatchObject({ level: 'info', rolloutId: 'rollout-web-security-20261202-ab12', error: 'password="[redacted]"\\' });
    expect(second).not.toHaveProperty('host');
  });

  it('warn() outside an activity (CLI, tests) writes the redacted text to stderr', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      warn('registry https://maint:hunter2@npm.acme.example/ is slow');
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual(['registry https://[redacted]@npm.acme.example/ is slow\n']);
  });
});
