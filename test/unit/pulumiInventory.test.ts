import { InventoryUnavailableError, readInventorySource } from '../../inventory';
import { PolicyError } from '../../policies/common/errors';
import { parsePolicyText } from '../../policies/common/parse';
import { pulumiHostsToResolved, pulumiOutputsSchema } from '../../policies/inventory/pulumiOutputs';
import { rolloutPolicySchema } from '../../policies/rollout/policy';

const KEY = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const outputs = (hosts: unknown[], extra: object = {}) => JSON.stringify({ albDns: 'web-123.elb.amazonaws.com', inventory: hosts, ...extra }, null, 2);

function problems(text: string, output = 'inventory') {
  try {
    parsePolicyText(text, 'outputs.json', pulumiOutputsSchema(output));
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('expected the outputs to be rejected');
}

describe('inventory from `pulumi stack output --json`', () => {
  it('reads the inventory output; the AZ becomes a tag selectors can use; other outputs are ignored', () => {
    const parsed = parsePolicyText(outputs([
      { id: 'i-0a1', name: 'web-1', address: '10.0.1.5', hostKeyFingerprint: KEY, az: 'eu-west-1a', tags: { Role: 'web', PatchGroup: 'web-a' } },
      { id: 'i-0b2', name: 'web-2', address: '10.0.2.5', port: 2222, user: 'admin', hostKeyFingerprint: KEY, az: 'eu-west-1b', tags: { Role: 'web', PatchGroup: 'web-b' } },
    ]), 'outputs.json', pulumiOutputsSchema('inventory'));
    expect(pulumiHostsToResolved(parsed.inventory!, { user: 'ops', identityFile: '~/.ssh/fleet' }, 'me')).toEqual([
      { name: 'web-1', address: '10.0.1.5', port: 22, user: 'ops', hostKey: KEY, identityFile: '~/.ssh/fleet', tags: { az: 'eu-west-1a', Role: 'web', PatchGroup: 'web-a' } },
      { name: 'web-2', address: '10.0.2.5', port: 2222, user: 'admin', hostKey: KEY, identityFile: '~/.ssh/fleet', tags: { az: 'eu-west-1b', Role: 'web', PatchGroup: 'web-b' } },
    ]);
  });

  it('names the missing output, and each bad field by its path and line', () => {
    expect(problems(outputs([]), 'hosts')).toEqual([expect.objectContaining({ path: 'hosts', message: 'no output "hosts" in this stack\'s outputs' })]);
    const found = problems(outputs([
      { id: 'i-1', name: 'web-1', address: '10.0.1.5', hostKeyFingerprint: KEY },
      { id: 'i-2', name: 'web-2', address: '10.0.1.6', hostKeyFingerprint: '[secret]' },
    ]));
    expect(found).toEqual([expect.objectContaining({ path: 'inventory[1].hostKeyFingerprint', line: 14, column: 29, message: expect.stringContaining('SHA-256 host key fingerprint') })]);
  });

  it('rejects duplicate host names', () => {
    const found = problems(outputs([
      { id: 'i-1', name: 'web-1', address: '10.0.1.5', hostKeyFingerprint: KEY },
      { id: 'i-2', name: 'web-1', address: '10.0.1.6', hostKeyFingerprint: KEY },
    ]));
    expect(found).toEqual([expect.objectContaining({ path: 'inventory[1].name', message: 'duplicate host name "web-1"' })]);
  });

  it('a rollout policy names exactly one of inventory or source', () => {
    const base = 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: x\nstrategy: {kind: apt, packages: all}\n';
    const ok = parsePolicyText(`${base}targets: {source: {kind: pulumi-outputs-file, file: outputs.json}, selector: PatchGroup=web-a}\n`, 'p.yaml', rolloutPolicySchema);
    expect(ok.targets.source).toEqual({ kind: 'pulumi-outputs-file', file: 'outputs.json', output: 'inventory' });
    for (const targets of ['{selector: role=web}', '{inventory: i.yaml, source: {kind: static, file: i.yaml}}']) {
      expect(() => parsePolicyText(`${base}targets: ${targets}\n`, 'p.yaml', rolloutPolicySchema)).toThrow(/targets: expected exactly one of `inventory` \(a file\) or `source`/);
    }
  });
});

describe('the pulumi-stack source (Automation API)', () => {
  it('says clearly that the worker needs the Pulumi CLI, and how to do without it', async () => {
    const saved = { PATH: process.env.PATH, PULUMI_CLI_PATH: process.env.PULUMI_CLI_PATH };
    process.env.PATH = '/nonexistent';
    delete process.env.PULUMI_CLI_PATH;
    try {
      const attempt = readInventorySource({ kind: 'pulumi-stack', stack: 'acme/maint-fleet/prod', workDir: '/srv/infra', output: 'inventory' });
      await expect(attempt).rejects.toThrow(InventoryUnavailableError);
      await expect(attempt).rejects.toThrow(/pulumi stack acme\/maint-fleet\/prod \(\/srv\/infra\): the Pulumi CLI is not installed: install the Pulumi CLI on the worker .*or use a pulumi-outputs-file source: `pulumi stack output --json > outputs.json`/);
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.PULUMI_CLI_PATH !== undefined) process.env.PULUMI_CLI_PATH = saved.PULUMI_CLI_PATH;
    }
  });
});
