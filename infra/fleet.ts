import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as tls from '@pulumi/tls';
import { fingerprintOfPublicKey, hostKeyParameterName, hostKeyUserData, regionOfArn } from './hostKeys';

/** The stack configuration (see Pulumi.example.yaml). */
export interface FleetConfig {
  service: string;
  role: string;
  maintenanceWindow: string;
  availabilityZones: string[];
  hostsPerZone: number;
  patchGroups: string[];
  ami: string;
  instanceType: string;
  sshCidr: string;
  sshUser: string;
  sshPublicKey: string;
  healthCheckPath: string;
  appPort: number;
}

export function readConfig(): FleetConfig {
  const c = new pulumi.Config();
  return {
    service: c.require('service'),
    role: c.get('role') ?? 'web',
    maintenanceWindow: c.require('maintenanceWindow'),
    availabilityZones: c.requireObject<string[]>('availabilityZones'),
    hostsPerZone: c.getNumber('hostsPerZone') ?? 1,
    patchGroups: c.getObject<string[]>('patchGroups') ?? ['default'],
    ami: c.require('ami'),
    instanceType: c.get('instanceType') ?? 't3.small',
    sshCidr: c.require('sshCidr'),
    sshUser: c.get('sshUser') ?? 'admin',
    sshPublicKey: c.require('sshPublicKey'),
    healthCheckPath: c.get('healthCheckPath') ?? '/healthz',
    appPort: c.getNumber('appPort') ?? 8080,
  };
}

/**
 * A patchable fleet: hosts spread over the zones, IMDSv2 only, tagged for patch groups and windows,
 * SSH only from the orchestrator's CIDR, behind an ALB target group with a health check, with SSH
 * host keys generated here so the `inventory` output pins them. Each private host key lives only in
 * its host's SSM SecureString; the host reads it at first boot with a role allowed that one parameter.
 */
export function createFleet(cfg: FleetConfig) {
  const name = cfg.service;
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: '10.0.0.0/16', enableDnsHostnames: true, tags: { Name: `${name}-vpc`, Service: cfg.service } });
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Service: cfg.service } });
  const routes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: { Service: cfg.service } });
  const subnets = cfg.availabilityZones.map((az, i) => {
    const subnet = new aws.ec2.Subnet(`${name}-${az}`, { vpcId: vpc.id, availabilityZone: az, cidrBlock: `10.0.${i}.0/24`, mapPublicIpOnLaunch: true, tags: { Name: `${name}-${az}`, Service: cfg.service } });
    new aws.ec2.RouteTableAssociation(`${name}-${az}`, { subnetId: subnet.id, routeTableId: routes.id });
    return { az, subnet };
  });

  const albSg = new aws.ec2.SecurityGroup(`${name}-alb`, {
    vpcId: vpc.id,
    description: `${name} load balancer`,
    ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, cidrBlocks: ['0.0.0.0/0'] }],
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
    tags: { Service: cfg.service },
  });
  const hostSg = new aws.ec2.SecurityGroup(`${name}-hosts`, {
    vpcId: vpc.id,
    description: `${name} hosts: SSH from the orchestrator only, the app from the load balancer`,
    ingress: [
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrBlocks: [cfg.sshCidr], description: 'SSH from the maintenance orchestrator' },
      { protocol: 'tcp', fromPort: cfg.appPort, toPort: cfg.appPort, securityGroups: [albSg.id], description: 'app from the ALB' },
    ],
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'package mirrors' }],
    tags: { Service: cfg.service },
  });
  const keyPair = new aws.ec2.KeyPair(`${name}-workers`, { publicKey: cfg.sshPublicKey, tags: { Service: cfg.service } });

  const targetGroup = new aws.lb.TargetGroup(`${name}-tg`, {
    vpcId: vpc.id, port: cfg.appPort, protocol: 'HTTP', targetType: 'instance',
    deregistrationDelay: 30,
    healthCheck: { path: cfg.healthCheckPath, port: 'traffic-port', protocol: 'HTTP', matcher: '200', interval: 10, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 2 },
    tags: { Service: cfg.service },
  });
  const alb = new aws.lb.LoadBalancer(`${name}-alb`, { loadBalancerType: 'application', securityGroups: [albSg.id], subnets: subnets.map((s) => s.subnet.id), tags: { Service: cfg.service } });
  new aws.lb.Listener(`${name}-http`, { loadBalancerArn: alb.arn, port: 80, protocol: 'HTTP', defaultActions: [{ type: 'forward', targetGroupArn: targetGroup.arn }] });

  const hosts = subnets.flatMap(({ az, subnet }, zoneIndex) =>
    Array.from({ length: cfg.hostsPerZone }, (_, j) => {
      const index = zoneIndex * cfg.hostsPerZone + j;
      const hostName = `${cfg.service}-${index + 1}`;
      const hostKey = new tls.PrivateKey(`${hostName}-hostkey`, { algorithm: 'ED25519' });
      const tags = {
        Name: hostName,
        Role: cfg.role,
        Service: cfg.service,
        // AWS requires tag keys without spaces when instance metadata tags are on.
        PatchGroup: cfg.patchGroups[index % cfg.patchGroups.length]!,
        MaintenanceWindow: cfg.maintenanceWindow,
      };
      // The private key goes to one place: this SecureString (encrypted with the account's default
      // aws/ssm KMS key). User data names the parameter; the instance role may read only it.
      const hostKeyParameter = new aws.ssm.Parameter(`${hostName}-hostkey`, {
        name: hostKeyParameterName(cfg.service, hostName),
        type: 'SecureString',
        value: pulumi.secret(hostKey.privateKeyOpenssh),
        description: `SSH host private key (ed25519) of ${hostName}, read by its cloud-init`,
        tags: { Service: cfg.service, Name: hostName },
      });
      const role = new aws.iam.Role(`${hostName}-host`, {
        description: `${hostName}: reads its own SSH host key from SSM Parameter Store`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        tags: { Service: cfg.service, Name: hostName },
      });
      // No kms:Decrypt statement: the AWS managed key aws/ssm lets SSM decrypt for any principal of
      // the account that may read the parameter.
      new aws.iam.RolePolicy(`${hostName}-hostkey`, {
        role: role.id,
        policy: hostKeyParameter.arn.apply((arn) => JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: arn }],
        })),
      });
      const profile = new aws.iam.InstanceProfile(`${hostName}-host`, { role: role.name, tags: { Service: cfg.service, Name: hostName } });
      const instance = new aws.ec2.Instance(hostName, {
        ami: cfg.ami,
        instanceType: cfg.instanceType,
        subnetId: subnet.id,
        vpcSecurityGroupIds: [hostSg.id],
        keyName: keyPair.keyName,
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', instanceMetadataTags: 'enabled' },
        iamInstanceProfile: profile.name,
        userData: pulumi.all([hostKeyParameter.name, hostKeyParameter.arn, hostKey.publicKeyOpenssh])
          .apply(([parameterName, arn, publicKeyOpenssh]) => hostKeyUserData({ parameterName, region: regionOfArn(arn), publicKeyOpenssh })),
        userDataReplaceOnChange: false,
        tags,
      }, {
        // Hosts are patched in place by the orchestrator: a newer AMI in config must not replace them.
        ignoreChanges: ['ami'],
      });
      new aws.lb.TargetGroupAttachment(hostName, { targetGroupArn: targetGroup.arn, targetId: instance.id, port: cfg.appPort });
      return { hostName, az, tags, instance, hostKey, hostKeyParameter, role };
    }),
  );

  /** The inventory contract of policies/inventory/sources.ts: what the orchestrator reads. */
  const inventory = pulumi.all(hosts.map((h) => pulumi.all([h.instance.id, h.instance.publicIp, h.hostKey.publicKeyOpenssh]).apply(([id, ip, pub]) => ({
    id, name: h.hostName, address: ip, port: 22, user: cfg.sshUser,
    hostKeyFingerprint: fingerprintOfPublicKey(pub), tags: h.tags, az: h.az,
  }))));

  return { inventory, albDnsName: alb.dnsName, targetGroupArn: targetGroup.arn, hosts, hostSecurityGroup: hostSg, targetGroup };
}
