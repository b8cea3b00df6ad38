import { z } from 'zod';
import { durationSchema, timeoutSchema, timerDurationSchema } from '../common/durations';
import { lowerName, regexSchema } from '../common/fields';
import { patchBaselineSchema } from '../compliance/baseline';
import { hostSourceSchema } from '../inventory/sources';
import { tagKeySchema } from '../inventory/hosts';
import { becomeSchema } from '../inventory/become';
import { parseSelector } from '../inventory/selector';
import type { PolicyProblem } from '../common/errors';
import { templateTags, unknownTemplateVariables } from '../common/templates';
import { countOrPercentSchema, orderByZone, positiveCountOrPercentSchema, waveProblems, waveSettings, ZONE_TAG } from './waves';

/** A command template: `{{host.name}}`-style variables only (see templates.ts); values are shell-quoted. */
const commandTemplate = z
  .string()
  .min(1)
  .max(8192)
  .superRefine((text, ctx) => {
    const unknown = unknownTemplateVariables(text);
    if (unknown.length > 0) ctx.addIssue({ code: 'custom', message: `unknown variable ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: {{host.name}}, {{host.address}}, {{host.port}}, {{host.user}}, {{host.tags.NAME}}, {{target}}, {{previous}}, {{rolloutId}}` });
  });

/** A Debian/RPM package name, optionally pinned (`nginx`, `openssl=3.0.15-1~deb12u1`); no shell metacharacters. */
export const packageSpecSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9+._-]*(=[A-Za-z0-9.+~:_-]+)?$/, 'expected a package name like "openssl" or "openssl=3.0.15-1~deb12u1" (lower-case letters, digits, "+", ".", "-"; no spaces or shell characters)');

/**
 * `{baseline: web-default}`: what a PatchBaseline approves, computed per host at preflight and
 * installed pinned. `maint` reads the baseline file when it reads the policy and carries it in
 * `definition` (written by hand, it is a baseline section inside the policy).
 */
export const baselinePackagesSchema = z.strictObject({
  baseline: lowerName('web-default').describe('The PatchBaseline\'s name (its `name`).'),
  file: z.string().min(1).optional().describe('The PatchBaseline file, relative to this policy file. Default: baselines/NAME.yaml beside the policy file.'),
  definition: patchBaselineSchema.optional().describe('The baseline itself, as a section (then no file is read); filled in from `file` when the policy is read.'),
});
export type BaselinePackages = z.output<typeof baselinePackagesSchema>;

const packagesSchema = z
  .union([z.literal('all'), z.literal('security'), z.array(packageSpecSchema).min(1), baselinePackagesSchema])
  .describe('"all" upgradable packages, only "security" updates, an explicit list, or {baseline: NAME}: what that PatchBaseline approves, pinned.');


export const aptStrategySchema = z.strictObject({
  kind: z.literal('apt'),
  packages: packagesSchema,
});

export const dnfStrategySchema = z.strictObject({
  kind: z.literal('dnf'),
  packages: packagesSchema,
});

/**
 * A version label the command strategy puts in commands as {{target}} / {{previous}}: one shell word
 * (templates quote it) that cannot be read as an option either, so it never begins with "-".
 */
export const VERSION_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:+~-]{0,127}$/;

export const commandStrategySchema = z
  .strictObject({
    kind: z.literal('command'),
    target: z.string().regex(VERSION_LABEL, 'expected a version label like 2.0.0 (letters, digits and . _ : + ~ -, beginning with a letter or digit)').describe('The version every host should end on; {{target}} in the commands.'),
    check: commandTemplate.describe('Prints the installed version (first line of stdout). A host already at the target is not patched again.'),
    apply: commandTemplate.describe('Installs {{target}}.'),
    rollback: commandTemplate.describe('Puts back {{previous}}, the version `check` printed before apply.'),
  })
  .describe('User-provided commands, for anything that is not apt or dnf.');

export const strategySchema = z.discriminatedUnion('kind', [aptStrategySchema, dnfStrategySchema, commandStrategySchema]);

const urlTemplate = commandTemplate.refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL');

export const healthCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    url: urlTemplate.describe('Fetched from the worker, e.g. http://{{host.address}}:8080/health'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyMatches: regexSchema.optional().describe('Regular expression the body must match, e.g. "version={{target}}" is not expanded: write the literal.'),
  }),
  z.strictObject({
    kind: z.literal('tcp'),
    host: commandTemplate.default('{{host.address}}'),
    port: z.number().int().min(1).max(65535),
  }),
  z.strictObject({
    kind: z.literal('command'),
    command: commandTemplate.describe('Run on the host over SSH; exit code 0 means healthy.'),
  }),
]);

export const rolloutPolicySchema = z
  .strictObject({
    apiVersion: z.literal('maint/v1'),
    kind: z.literal('RolloutPolicy'),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lower-case name with digits and "-", like web-security'),
    description: z.string().max(2000).optional(),
    targets: z.strictObject({
      inventory: z.string().min(1).optional().describe('Inventory file, relative to this policy file (short for source: {kind: static, file}).'),
      source: hostSourceSchema.optional().describe('Where the hosts come from: static or pulumi-outputs-file.'),
      selector: z
        .string()
        .superRefine((s, ctx) => {
          try {
            if (parseSelector(s).length === 0) ctx.addIssue({ code: 'custom', message: 'an empty selector would match every host: omit selector to target all hosts' });
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        })
        .optional()
        .describe('Tag selector, e.g. "role=web,patchGroup in (a,b)".'),
    }).superRefine((t, ctx) => {
      if ((t.inventory === undefined) === (t.source === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'expected exactly one of `inventory` (a file) or `source`' });
      }
    }),
    strategy: strategySchema,
    waves: z
      .strictObject({
        canary: z.number().int().nonnegative().default(0).describe('Hosts in the first, canary wave.'),
        batches: z.array(positiveCountOrPercentSchema).min(1).default(['100%']).describe('Batch sizes after the canary, Ansible-style: [1, "10%", "50%", "100%"]; the last repeats.'),
        byZone: z.boolean().default(false).describe('Zone by zone (GCP-style): hosts ordered by their `az` tag (zones in the order of their first host), no wave holds hosts of two zones, so at most one zone is touched at a time; the canary comes from the first zone. Every targeted host needs an `az` tag.'),
      })
      .prefault({}),
    maxUnavailable: positiveCountOrPercentSchema.default(1).describe('At most this many hosts out of service at once.'),
    failureThreshold: countOrPercentSchema.default(0).describe('Failed hosts tolerated; one more halts the rollout.'),
    bakeTime: durationSchema.prefault(0).describe('Wait after each wave before the next starts.'),
    health: z
      .strictObject({
        checks: z.array(healthCheckSchema).default([]),
        interval: timerDurationSchema.prefault(2),
        timeout: timeoutSchema.prefault(5).describe('Per check attempt.'),
        consecutiveSuccesses: z.number().int().min(1).max(100).default(3),
        deadline: durationSchema.refine((ms) => ms > 0, 'expected a deadline above 0: a host must have time to turn healthy (omit it for the default, 2m)').prefault(120).describe('A host not healthy by then has failed.'),
      })
      .prefault({}),
    hooks: z
      .strictObject({
        drain: commandTemplate.optional().describe('Run on the host before it is touched, e.g. take it out of the load balancer.'),
        undrain: commandTemplate.optional().describe('Run on the host once it is healthy again (also after a rollback).'),
        pre: commandTemplate.optional(),
        post: commandTemplate.optional(),
      })
      .prefault({}),
    reboot: z
      .strictObject({
        mode: z.enum(['never', 'ifRequired', 'always']).default('never'),
        command: commandTemplate.default('systemctl reboot'),
        timeout: timeoutSchema.prefault(600).describe('How long a host may take to answer SSH again with a new boot id.'),
      })
      .prefault({}),
    rollback: z.strictObject({ scope: z.enum(['batch', 'all-patched', 'none']).default('batch') }).prefault({}),
    approval: z
      .strictObject({
        after: z.union([z.literal('canary'), z.literal('every-wave'), z.array(z.number().int().nonnegative()).min(1)]).describe('Wait for `maint rollout approve` after the canary, after every wave, or after the listed wave numbers (0 is the first).'),
      })
      .optional(),
    commandTimeout: timeoutSchema.prefault(600).describe('Longest a single apply/rollback/hook command may run.'),
    disruptionBudget: z
      .strictObject({
        groupBy: tagKeySchema.describe('Hosts with the same value of this tag form one group, e.g. service (service=web, service=api).'),
        maxUnavailable: z.number().int().min(1).max(100_000).describe('Hosts of a group out of service at once, across every rollout that declares the group (the smallest limit declared applies). A count, not a percentage: it must mean the same whichever hosts a rollout targets.'),
      })
      .optional()
      .describe("Kubernetes' PodDisruptionBudget for hosts: shared by concurrent rollouts, and a host left out of service (failed restore, scope none) keeps counting until `maint hosts release`."),
    serviceGate: z
      .strictObject({
        checks: z.array(healthCheckSchema).min(1).describe('http or tcp checks of the service as its customers reach it (the load balancer, not a host).'),
        interval: timerDurationSchema.prefault(2),
        timeout: timeoutSchema.prefault(3).describe('Per check.'),
        failuresInARow: z.number().int().min(1).max(100).default(2).describe('Rounds in a row with a failing check that trip the gate.'),
        settle: timerDurationSchema.optional().describe("How long the service is watched after a wave's last host (default: 3 intervals)."),
      })
      .superRefine((gate, ctx) => {
        gate.checks.forEach((check, i) => {
          if (check.kind === 'command') ctx.addIssue({ code: 'custom', path: ['checks', i, 'kind'], message: 'a service gate watches the service from the worker: http or tcp checks only' });
          else if (JSON.stringify(check).includes('{{host.')) {
            ctx.addIssue({ code: 'custom', path: ['checks', i, check.kind === 'http' ? 'url' : 'host'], message: 'a service gate watches the whole service, not one host: no {{host.…}} (a tcp check needs its `host`)' });
          }
        });
      })
      .optional()
      .describe("Watch the service while each wave runs and settles: when its checks fail (each host's own checks may pass), the wave is rolled back and the rollout halts."),
    become: becomeSchema.optional().describe('`become` for the targeted hosts whose inventory (host or defaults) sets none, as a play-level `become` in Ansible.'),
    onBusyHost: z.enum(['wait', 'skip', 'fail']).default('wait').describe('A host another rollout is changing: wait for its lease, skip it (reported), or fail it.'),
  })
  .describe('How to roll a patch across hosts (apiVersion maint/v1, kind RolloutPolicy).');

export type RolloutPolicy = z.output<typeof rolloutPolicySchema>;
export type Strategy = z.output<typeof strategySchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;

/** Every command and URL template of a policy, by its path. */
function policyTemplates(policy: RolloutPolicy): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (policy.strategy.kind === 'command') for (const key of ['check', 'apply', 'rollback'] as const) out.push([`strategy.${key}`, policy.strategy[key]]);
  policy.health.checks.forEach((check, i) => {
    const [key, template] = check.kind === 'http' ? ['url', check.url] : check.kind === 'tcp' ? ['host', check.host] : ['command', check.command];
    out.push([`health.checks[${i}].${key}`, template]);
  });
  for (const [hook, template] of Object.entries(policy.hooks)) if (template !== undefined) out.push([`hooks.${hook}`, template]);
  if (policy.reboot.mode !== 'never') out.push(['reboot.command', policy.reboot.command]);
  return out;
}

type TaggedHost = { name: string; tags: Record<string, string> };

/** "N of the M targeted hosts has/have no tag "T" (up to 5 names)", or undefined when every host has it. */
function missingTag(hosts: readonly TaggedHost[], tag: string): string | undefined {
  const without = hosts.filter((h) => !Object.hasOwn(h.tags, tag)).map((h) => h.name);
  if (without.length === 0) return undefined;
  const names = without.length > 5 ? `${without.slice(0, 5).join(', ')} and ${without.length - 5} more` : without.join(', ');
  return `${without.length} of the ${hosts.length} targeted hosts ${without.length === 1 ? 'has' : 'have'} no tag "${tag}" (${names})`;
}

/** With `waves.byZone`, the hosts that have no zone, as a problem at that path (the worker checks targets it reads itself too). */
export function missingZones(hosts: readonly TaggedHost[]): PolicyProblem | undefined {
  const missing = missingTag(hosts, ZONE_TAG);
  return missing === undefined ? undefined : { path: 'waves.byZone', message: `zone-aware waves need the zone of every host: ${missing}` };
}

/**
 * What the policy cannot do with these hosts, found before anything starts: a canary larger than
 * the fleet (with `waves.byZone`: than the first zone, or hosts without a zone), and
 * `{{host.tags.NAME}}` where a targeted host has no such tag (it would fail there at run time).
 */
export function targetProblems(policy: RolloutPolicy, hosts: readonly TaggedHost[]): PolicyProblem[] {
  const unzoned = policy.waves.byZone ? missingZones(hosts) : undefined;
  const zones = policy.waves.byZone && !unzoned ? orderByZone(hosts.map((h) => h.tags[ZONE_TAG]!), (zone) => zone) : undefined;
  const problems = [...(unzoned ? [unzoned] : []), ...waveProblems(hosts.length, waveSettings(policy), zones)];
  for (const [path, template] of policyTemplates(policy)) {
    for (const tag of new Set(templateTags(template))) {
      const missing = missingTag(hosts, tag);
      if (missing !== undefined) problems.push({ path, message: `{{host.tags.${tag}}}: ${missing}` });
    }
  }
  return problems;
}
