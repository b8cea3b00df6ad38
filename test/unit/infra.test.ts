// The infra/ Pulumi program under Pulumi's mocks: no CLI, no cloud, no plugin. Mocks answer like the
// providers would (ids, public IPs, real ed25519 host keys) so the exported inventory is checkable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { utils, type ParsedKey } from 'ssh2';
import { sha256Fingerprint } from '../../activities/hosts/fingerprint';
import { readInventorySource, selectHosts } from '../../inventory';
import { parsePolicyText } from '../../policies/common/parse';
import { pulumiOutputsSchema } from '../../policies/inventory/pulumiOutputs';
import { generateEd25519 } from '../../simulator/fleet';
// fleet.ts creates nothing until createFleet() is called, after the mocks are set.
import { createFleet, type FleetConfig } from '../../infra/fleet';

interface Registered { type: string; name: string; inputs: Record<string, unknown> }
const registered: Registered[] = [];
const hostPublicKeys = new Map<string, string>();

const CONFIG: FleetConfig = {
  service: 'shop-web', role: 'web', maintenanceWindow: 'weekly-tue-0200',
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], hostsPerZone: 2, patchGroups: ['web-a', 'web-b'],
  ami: 'ami-0abcdef1234567890', instanceType: 't3.small', sshCidr: '203.0.113.0/24', sshUser: 'admin',
  sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMaintWorkerKeyForTestsOnly0000000000000 maint-worker',
  healthCheckPath: '/healthz', appPort: 8080,
};

const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply((v) => resolve(v)));

describe('infra/: the patchable fleet program (Pulumi mocks)', () => {
  let fleet: ReturnType<typeof createFleet>;
  let inventory: unknown[];
  let ip = 10;

  beforeAll(async () => {
    await pulumi.runtime.setMocks({
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'tls:index/privateKey:PrivateKey') {
          const pair = generateEd25519();
          hostPublicKeys.set(args.name.replace(/-hostkey$/, ''), pair.public);
          Object.assign(state, { privateKeyOpenssh: pair.private, publicKeyOpenssh: `${pair.public}\n` });
        }
        if (args.type === 'aws:ec2/instance:Instance') state.publicIp = `198.51.100.${ip++}`;
        if (args.type === 'aws:lb/loadBalancer:LoadBalancer') Object.assign(state, { dnsName: `${args.name}.eu-west-1.elb.amazonaws.com`, arn: `arn:aws:elasticloadbalancing:::loadbalancer/${args.name}` });
        if (args.type === 'aws:lb/targetGroup:TargetGroup') state.arn = `arn:aws:elasticloadbalancing:::targetgroup/${args.name}`;
        if (args.type === 'aws:ec2/keyPair:KeyPair') state.keyName = args.name;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    }, 'maint-fleet', 'test');
    fleet = createFleet(CONFIG);
    inventory = await value(fleet.inventory as pulumi.Output<unknown[]>);
    await value(fleet.albDnsName);
  });

  const instances = () => registered.filter((r) => r.type === 'aws:ec2/instance:Instance');

  it('spreads hosts evenly over the availability zones', () => {
    expect(instances()).toHaveLength(6);
    const subnetAz = new Map(registered.filter((r) => r.type === 'aws:ec2/subnet:Subnet').map((s) => [`${s.name}-id`, s.inputs.availabilityZone]));
    const perZone = new Map<unknown, number>();
    for (const i of instances()) perZone.set(subnetAz.get(i.inputs.subnetId as string), (perZone.get(subnetAz.get(i.inputs.subnetId as string)) ?? 0) + 1);
    expect(Object.fromEntries(perZone)).toEqual({ 'eu-west-1a': 2, 'eu-west-1b': 2, 'eu-west-1c': 2 });
  });

  it('tags every instance for patching (keys without spaces) and requires IMDSv2', () => {
    for (const i of instances()) {
      const tags = i.inputs.tags as Record<string, string>;
      expect(Object.keys(tags).sort()).toEqual(['MaintenanceWindow', 'Name', 'PatchGroup', 'Role', 'Service']);
      expect(Object.keys(tags).every((k) => !/\s/.test(k))).toBe(true);
      expect(tags).toMatchObject({ Name: i.name, Role: 'web', Service: 'shop-web', MaintenanceWindow: 'weekly-tue-0200' });
      expect(i.inputs.metadataOptions).toMatchObject({ httpTokens: 'required' });
      expect(i.inputs.ami).toBe(CONFIG.ami);
    }
    expect(instances().map((i) => (i.inputs.tags as Record<string, string>).PatchGroup)).toEqual(['web-a', 'web-b', 'web-a', 'web-b', 'web-a', 'web-b']);
  });

  it('allows SSH only from the configured CIDR', () => {
    const groups = registered.filter((r) => r.type === 'aws:ec2/securityGroup:SecurityGroup');
    const sshRules = groups.flatMap((g) => (g.inputs.ingress as Array<{ fromPort: number; toPort: number; cidrBlocks?: string[] }>).filter((rule) => rule.fromPort <= 22 && rule.toPort >= 22));
    expect(sshRules).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 22, toPort: 22, cidrBlocks: ['203.0.113.0/24'] })]);
  });

  it('puts the hosts behind an ALB target group with a health check', () => {
    const [tg] = registered.filter((r) => r.type === 'aws:lb/targetGroup:TargetGroup');
    expect(tg!.inputs).toMatchObject({ port: 8080, protocol: 'HTTP', healthCheck: { path: '/healthz', matcher: '200', healthyThreshold: 3, unhealthyThreshold: 2, interval: 10 } });
    const attachments = registered.filter((r) => r.type === 'aws:lb/targetGroupAttachment:TargetGroupAttachment');
    expect(attachments.map((a) => a.inputs.targetId).sort()).toEqual(instances().map((i) => `${i.name}-id`).sort());
  });

  it('installs host keys generated in the program through user data, so they can be pinned', () => {
    for (const i of instances()) {
      const userData = i.inputs.userData as string;
      expect(userData).toMatch(/^#cloud-config\nssh_deletekeys: true/);
      expect(userData).toContain(`ed25519_public: ${hostPublicKeys.get(i.name)!.trim()}`);
      expect(userData).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
    }
  });

  it('exports an inventory that validates against the contract, with the real fingerprints', () => {
    const parsed = parsePolicyText(JSON.stringify({ inventory }), 'outputs.json', pulumiOutputsSchema('inventory'));
    expect(parsed.inventory).toHaveLength(6);
    for (const h of parsed.inventory!) {
      const expected = sha256Fingerprint((utils.parseKey(hostPublicKeys.get(h.name)!) as ParsedKey).getPublicSSH());
      expect(h).toMatchObject({ id: `${h.name}-id`, address: expect.stringMatching(/^198\.51\.100\.\d+$/), port: 22, user: 'admin', hostKeyFingerprint: expected });
    }
  });

  it('round trip: exported inventory → outputs JSON → pulumi-outputs-file source → the same hosts and pins', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'maint-infra-')), 'outputs.json');
    // Exactly the shape `pulumi stack output --json` prints: every output by name.
    writeFileSync(file, JSON.stringify({ inventory, albDnsName: await value(fleet.albDnsName) }, null, 2));
    const hosts = await readInventorySource({ kind: 'pulumi-outputs-file', file, output: 'inventory', identityFile: '~/.ssh/maint' });
    expect(hosts.map((h) => [h.name, h.hostKey])).toEqual((inventory as Array<{ name: string; hostKeyFingerprint: string }>).map((h) => [h.name, h.hostKeyFingerprint]));
    const webA = selectHosts(hosts, 'PatchGroup=web-a,az in (eu-west-1a,eu-west-1b)');
    expect(webA.map((h) => [h.name, h.tags.az])).toEqual([['shop-web-1', 'eu-west-1a'], ['shop-web-3', 'eu-west-1b']]);
    // Host names select too, the same way for every source.
    expect(selectHosts(hosts, 'name in (shop-web-2,shop-web-6)').map((h) => h.name)).toEqual(['shop-web-2', 'shop-web-6']);
    expect(hosts[0]).toMatchObject({ user: 'admin', port: 22, identityFile: '~/.ssh/maint' });
  });
});
