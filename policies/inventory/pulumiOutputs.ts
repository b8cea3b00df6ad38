import { z } from 'zod';
import type { Become } from './become';
import { addressSchema, hostKeySchema, hostNameSchema, portSchema, sshUserSchema, tagKeySchema, tagValueSchema, type ResolvedHost } from './hosts';

/**
 * One host as a Pulumi program exports it in its `inventory` stack output (the contract infra/
 * follows). `pulumi stack output --json` prints an object of all outputs; this is one element of
 * the array under the inventory output's name.
 */
export const pulumiHostSchema = z
  .object({
    id: z.string().min(1).describe('The cloud resource id, e.g. i-0abc123.'),
    name: hostNameSchema,
    address: addressSchema,
    port: portSchema.optional(),
    user: sshUserSchema.optional(),
    hostKeyFingerprint: hostKeySchema,
    tags: z.record(tagKeySchema, tagValueSchema).default({}),
    az: tagValueSchema.min(1).optional().describe('Availability zone; selectors see it as the tag `az`.'),
  })
  .describe('A host in the inventory output of a Pulumi stack.');

export type PulumiHost = z.output<typeof pulumiHostSchema>;

/** The whole file `pulumi stack output --json` writes, with the inventory under `output`. */
export function pulumiOutputsSchema(output: string) {
  return z
    .object({
      [output]: z
        .array(pulumiHostSchema, { error: (issue) => (issue.input === undefined ? `no output "${output}" in this stack's outputs` : undefined) })
        .superRefine((hosts, ctx) => {
          const seen = new Set<string>();
          hosts.forEach((h, i) => {
            if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate host name "${h.name}"` });
            seen.add(h.name);
          });
        }),
    })
    .describe('What `pulumi stack output --json` prints.');
}

export interface SourceDefaults {
  user?: string | undefined;
  port?: number | undefined;
  identityFile?: string | undefined;
  become?: Become | undefined;
}

export function pulumiHostsToResolved(hosts: PulumiHost[], defaults: SourceDefaults, fallbackUser: string): ResolvedHost[] {
  return hosts.map((h) => ({
    name: h.name,
    address: h.address,
    port: h.port ?? defaults.port ?? 22,
    user: h.user ?? defaults.user ?? fallbackUser,
    hostKey: h.hostKeyFingerprint,
    ...(defaults.identityFile !== undefined ? { identityFile: defaults.identityFile } : {}),
    ...(defaults.become !== undefined ? { become: defaults.become } : {}),
    tags: { ...(h.az !== undefined ? { az: h.az } : {}), ...h.tags },
  }));
}

