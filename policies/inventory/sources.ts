import { z } from 'zod';
import { becomeSchema } from './become';
import { identityFileSchema, portSchema, sshUserSchema } from './hosts';

/**
 * Where a rollout's hosts come from (`targets.source`): an Inventory file, saved Pulumi outputs or a
 * live Pulumi stack; every source feeds the same selectors. A new kind is a member here plus one
 * unit in inventory/ (see inventory/index.ts).
 */
export const hostSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('static'),
    file: z.string().min(1).describe('An Inventory file (apiVersion maint/v1, kind Inventory), relative to the policy file.'),
  }),
  z.strictObject({
    kind: z.literal('pulumi-outputs-file'),
    file: z.string().min(1).describe('What `pulumi stack output --json` printed, saved to a file (relative to the policy file).'),
    output: z.string().min(1).default('inventory').describe('The stack output holding the host list.'),
    user: sshUserSchema.optional().describe('SSH user for hosts whose output names none.'),
    port: portSchema.optional(),
    identityFile: identityFileSchema.optional(),
    become: becomeSchema.optional().describe('Privilege escalation on every host of the stack (default: none).'),
  }),
  z.strictObject({
    kind: z.literal('pulumi-stack'),
    stack: z.string().regex(/^[A-Za-z0-9._/-]{1,200}$/, 'expected a stack name like prod or acme/maint-fleet/prod').describe('Read live with the Automation API; the worker needs the pulumi CLI and backend credentials.'),
    workDir: z.string().min(1).describe('The Pulumi project folder (with Pulumi.yaml), relative to the policy file.'),
    output: z.string().min(1).default('inventory'),
    user: sshUserSchema.optional(),
    port: portSchema.optional(),
    identityFile: identityFileSchema.optional(),
    become: becomeSchema.optional().describe('Privilege escalation on every host of the stack (default: none).'),
  }),
]);

export type HostSource = z.output<typeof hostSourceSchema>;
export type HostSourceKind = HostSource['kind'];
export type HostSourceOf<K extends HostSourceKind> = Extract<HostSource, { kind: K }>;
