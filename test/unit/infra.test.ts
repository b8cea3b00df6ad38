// The infra/ Pulumi program under Pulumi's mocks: no CLI, no cloud, no plugin. Mocks answer like the
// providers would (ids, public IPs, real ed25519 host keys) so the exported inventory is checkable.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { utils, type ParsedKey } from 'ssh2';
import { parse as parseYaml } from 'yaml';
import { sha256Fingerprint } from '../../activities/hosts/fingerprint';
import { readInventorySource, selectHosts } from '../../inventory';
import { parsePolicyText } from '../../policies/common/parse';
import { pulumiOutputsSchema } from '../../policies/inventory/pulumiOutputs';
import { generateEd25519 } from '../../simulator/fleet';
// fleet.ts creates nothing until createFleet() is called, after the mocks are set.
import { createFleet, type FleetConfig } from '../../infra/fleet';
import { HOST_KEY_SCRIPT, hostKeyUserData } from '../../infra/hostKeys';

interface Registered { type: string; name: string; inputs: Record<string, unknown> }
const registered: Registered[] = [];
const hostPublicKeys = new Map<string, string>();
const hostPrivateKeys = new Map<string, string>();
const ACCOUNT = '123456789012';

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
          hostPrivateKeys.set(args.name.replace(/-hostkey$/, ''), pair.private);
          Object.assign(state, { privateKeyOpenssh: pair.private, publicKeyOpenssh: `${pair.public}\n` });
        }
        if (args.type === 'aws:ec2/instance:Instance') state.publicIp = `198.51.100.${ip++}`;
        if (args.type === 'aws:lb/loadBalancer:LoadBalancer') Object.assign(state, { dnsName: `${args.name}.eu-west-1.elb.amazonaws.com`, arn: `arn:aws:elasticloadbalancing:::loadbalancer/${args.name}` });
        if (args.type === 'aws:lb/targetGroup:TargetGroup') state.arn = `arn:aws:elasticloadbalancing:::targetgroup/${args.name}`;
        if (args.type === 'aws:ec2/keyPair:KeyPair') state.keyName = args.name;
        if (args.type === 'aws:ssm/parameter:Parameter') state.arn = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter${args.inputs.name as string}`;
        if (args.type === 'aws:iam/role:Role' || args.type === 'aws:iam/instanceProfile:InstanceProfile') {
          Object.assign(state, { name: args.name, arn: `arn:aws:iam::${ACCOUNT}:${args.type === 'aws:iam/role:Role' ? 'role' : 'instance-profile'}/${args.name}` });
        }
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

  /** Every string anywhere in a resource's inputs, with its path. */
  const strings = (v: unknown, path = ''): Array<[string, string]> => {
    if (typeof v === 'string') return [[path, v]];
    if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
    if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
    return [];
  };
  /**
   * What gives a private key away, however it is wrapped: its base64 body without whitespace, and
   * its 32-byte ed25519 seed (the bytes just before the public key's last copy) in base64 and hex.
   */
  const keyMaterial = (pem: string, publicLine: string): string[] => {
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const raw = Buffer.from(body, 'base64');
    const pub = Buffer.from(publicLine.trim().split(/\s+/)[1]!, 'base64').subarray(-32);
    const at = raw.lastIndexOf(pub);
    expect(at).toBeGreaterThan(32);
    const seed = raw.subarray(at - 32, at);
    return [body, seed.toString('base64').slice(0, 40), seed.toString('hex')];
  };
  const holdsKey = (value: string, material: string[]) => {
    const flat = value.replace(/\s+/g, '');
    return material.some((m) => flat.includes(m) || flat.toLowerCase().includes(m));
  };
  const parameters = () => registered.filter((r) => r.type === 'aws:ssm/parameter:Parameter');
  const parameterArn = (p: Registered) => `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter${p.inputs.name as string}`;

  it('keeps every private host key out of every resource input but its own SecureString parameter', () => {
    expect(hostPrivateKeys.size).toBe(6);
    for (const [host, pem] of hostPrivateKeys) {
      const material = keyMaterial(pem, hostPublicKeys.get(host)!);
      const holders = registered.flatMap((r) => strings(r.inputs)
        .filter(([, v]) => holdsKey(v, material))
        .map(([path]) => `${r.type} ${r.name} ${path}`));
      expect(holders).toEqual([`aws:ssm/parameter:Parameter ${host}-hostkey value.value`]);
    }
    // Nothing else carries private key material of any kind either.
    const pemHolders = registered.flatMap((r) => strings(r.inputs).filter(([, v]) => v.includes('PRIVATE KEY')).map(([path]) => `${r.type} ${r.name} ${path}`));
    expect(pemHolders.sort()).toEqual([...hostPrivateKeys.keys()].map((h) => `aws:ssm/parameter:Parameter ${h}-hostkey value.value`).sort());
  });

  it('stores each host key as a SecureString under the default KMS key, one parameter per host', () => {
    expect(parameters()).toHaveLength(6);
    for (const p of parameters()) {
      const host = p.name.replace(/-hostkey$/, '');
      expect(p.inputs).toMatchObject({ type: 'SecureString', name: `/maint-fleet/shop-web/${host}/ssh-host-ed25519-key` });
      // A Pulumi secret: encrypted in the stack's state and masked in `pulumi preview`/`up` output.
      expect(p.inputs.value).toEqual({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: hostPrivateKeys.get(host) });
      expect(p.inputs.keyId).toBeUndefined(); // aws/ssm, the account's default key
    }
  });

  it('gives each instance a role that may only read its own parameter', () => {
    const policies = registered.filter((r) => r.type === 'aws:iam/rolePolicy:RolePolicy');
    expect(policies).toHaveLength(6);
    expect(registered.filter((r) => r.type === 'aws:iam/rolePolicyAttachment:RolePolicyAttachment' || r.type === 'aws:iam/policyAttachment:PolicyAttachment')).toEqual([]);
    for (const i of instances()) {
      const profile = registered.find((r) => r.type === 'aws:iam/instanceProfile:InstanceProfile' && r.name === i.inputs.iamInstanceProfile)!;
      expect(profile).toBeDefined();
      const role = registered.find((r) => r.type === 'aws:iam/role:Role' && r.name === profile.inputs.role)!;
      expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
      const own = policies.filter((p) => p.inputs.role === `${role.name}-id`);
      expect(own).toHaveLength(1);
      const parameter = parameters().find((p) => p.name === `${i.name}-hostkey`)!;
      expect(JSON.parse(own[0]!.inputs.policy as string)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn(parameter) }],
      });
    }
  });

  it('user data names the parameter and the pinned public key, holds no private key, and fetches it at boot', () => {
    for (const i of instances()) {
      const userData = i.inputs.userData as string;
      expect(userData).not.toContain('PRIVATE KEY');
      expect(userData).toMatch(/^#cloud-config\nssh_deletekeys: true\nssh_genkeytypes: \[\]\n/);
      const doc = parseYaml(userData) as { write_files: Array<{ path: string; permissions: string; content: string }>; runcmd: unknown[] };
      expect(doc.runcmd).toEqual([[HOST_KEY_SCRIPT]]);
      const [file] = doc.write_files;
      expect(file).toMatchObject({ path: HOST_KEY_SCRIPT, permissions: '0700' });
      expect(file!.content).toContain(`PARAMETER='/maint-fleet/shop-web/${i.name}/ssh-host-ed25519-key'`);
      expect(file!.content).toContain("REGION='eu-west-1'");
      expect(file!.content).toContain(`PUBLIC_KEY='${hostPublicKeys.get(i.name)!.trim()}'`);
      expect(file!.content).toContain('aws ssm get-parameter --region "$REGION" --name "$PARAMETER" --with-decryption');
    }
  });

  describe('the boot script, run for real (a stand-in `aws` answers as SSM would)', () => {
    /** Runs the user data's script with /etc/ssh moved to a temporary directory. */
    const runScript = (publicKey: string, served: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'maint-hostkey-'));
      const etc = join(dir, 'etc-ssh');
      const bin = join(dir, 'bin');
      mkdirSync(etc);
      mkdirSync(bin);
      writeFileSync(join(dir, 'served'), served);
      writeFileSync(join(bin, 'aws'), `#!/bin/sh\necho "$@" >>'${dir}/aws-args'\ncat '${dir}/served'\n`);
      writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$@" >>'${dir}/systemctl-args'\n`);
      for (const f of ['aws', 'systemctl']) chmodSync(join(bin, f), 0o755);
      const userData = hostKeyUserData({ parameterName: '/maint-fleet/shop-web/shop-web-1/ssh-host-ed25519-key', region: 'eu-west-1', publicKeyOpenssh: publicKey });
      const { write_files: [file] } = parseYaml(userData) as { write_files: Array<{ content: string }> };
      const script = join(dir, 'install-host-key');
      writeFileSync(script, file!.content.replaceAll('/etc/ssh/', `${etc}/`), { mode: 0o700 });
      const run = spawnSync('sh', [script], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
      return { run, dir, etc };
    };

    it('installs the key with mode 0600, the pinned public key beside it, and restarts sshd', () => {
      const pair = generateEd25519();
      const { run, dir, etc } = runScript(pair.public, `${pair.private.trim()}\n`);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(statSync(join(etc, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(etc, 'ssh_host_ed25519_key'), 'utf8').trim()).toBe(pair.private.trim());
      const fingerprint = execFileSync('ssh-keygen', ['-lf', join(etc, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' }).split(' ')[1];
      expect(fingerprint).toBe(sha256Fingerprint((utils.parseKey(pair.public) as ParsedKey).getPublicSSH()));
      expect(readFileSync(join(dir, 'aws-args'), 'utf8')).toBe('ssm get-parameter --region eu-west-1 --name /maint-fleet/shop-web/shop-web-1/ssh-host-ed25519-key --with-decryption --query Parameter.Value --output text\n');
      expect(readFileSync(join(dir, 'systemctl-args'), 'utf8')).toBe('restart ssh\n');
    });

    it('refuses a parameter that does not hold the pinned key: nothing installed, sshd untouched', () => {
      const pinned = generateEd25519();
      const other = generateEd25519();
      const { run, dir, etc } = runScript(pinned.public, other.private);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('does not hold the pinned host key');
      expect(existsSync(join(etc, 'ssh_host_ed25519_key'))).toBe(false);
      expect(existsSync(join(dir, 'systemctl-args'))).toBe(false);
    });
  });

  it('refuses values that would break out of the boot script', () => {
    const ok = { parameterName: '/maint-fleet/a/b', region: 'eu-west-1', publicKeyOpenssh: hostPublicKeys.values().next().value! };
    expect(() => hostKeyUserData({ ...ok, parameterName: "/x';reboot;'" })).toThrow(/host key parameter name .*expected/);
    expect(() => hostKeyUserData({ ...ok, region: 'eu-west-1; id' })).toThrow(/region .*expected an AWS region/);
    expect(() => hostKeyUserData({ ...ok, publicKeyOpenssh: "ssh-ed25519 AAAA x'y" })).toThrow(/host public key .*expected/);
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
