import { z } from 'zod';
import { becomeSchema, type Become } from './become';

/** `SHA256:` + 43 base64 characters: exactly what `ssh-keygen -lf` and `ssh-keyscan | ssh-keygen -lf -` print. */
export const HOST_KEY_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export const hostNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected a host name: letters, digits, ".", "_" or "-", at most 63 characters');

export const sshUserSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'expected a Unix user name (letters, digits, "_", "." or "-")');

export const addressSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:]+\]?$/, 'expected a DNS name or an IP address');

export const portSchema = z.number().int().min(1).max(65535);

export const tagKeySchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9._/-]{0,62}$/, 'expected a tag name: a letter, then letters, digits, ".", "_", "/" or "-"');

/**
 * A tag value. Values reach hook and check commands as `{{host.tags.NAME}}`, quoted as one shell
 * word but still read as an option by the command if they begin with "-" (`lbctl remove -rf`);
 * only the policy's author can put `--` before them, so such values are refused here.
 */
export const tagValueSchema = z
  .string()
  .max(256)
  .refine((value) => !value.startsWith('-'), 'a tag value cannot begin with "-": commands would read it as an option')
  // In a URL path ({{host.tags.pool}} in a health URL) "." and ".." are dot segments, removed by
  // every URL parser however they are encoded: /hosts/../health would become /health.
  .refine((value) => !/^(\.|\.\.)$/.test(value), 'a tag value cannot be "." or "..": in a URL path it would move to another path');

export const tagsSchema = z
  .record(tagKeySchema, tagValueSchema)
  .describe('Free-form labels used by selectors, e.g. {role: web, patchGroup: a, az: eu-west-1a}.');

export const hostKeySchema = z
  .string()
  .regex(HOST_KEY_FINGERPRINT, 'expected a SHA-256 host key fingerprint as `ssh-keygen -lf` prints it: "SHA256:" and 43 characters')
  .describe('The pinned host key fingerprint. A host that presents another key is failed and sent nothing.');

export const identityFileSchema = z
  .string()
  .min(1)
  .describe('Private key file for SSH (a leading ~ means the home directory of the worker user). Without it the worker uses SSH_AUTH_SOCK or MAINT_SSH_IDENTITY_FILE.');

export const inventoryHostSchema = z
  .strictObject({
    name: hostNameSchema.describe('Unique name of the host in this inventory.'),
    address: addressSchema.describe('DNS name or IP address to connect to.'),
    port: portSchema.optional().describe('SSH port (default: defaults.port, else 22).'),
    user: sshUserSchema.optional().describe('SSH user (default: defaults.user).'),
    identityFile: identityFileSchema.optional(),
    become: becomeSchema.optional().describe('Privilege escalation on this host (default: defaults.become, else none).'),
    hostKey: hostKeySchema,
    tags: tagsSchema.default({}),
  })
  .describe('One host reachable over SSH.');

export const inventoryDefaultsSchema = z
  .strictObject({
    user: sshUserSchema.optional(),
    port: portSchema.optional(),
    identityFile: identityFileSchema.optional(),
    become: becomeSchema.optional().describe('Privilege escalation for every host that sets none (default: none; the SSH user runs everything).'),
  })
  .describe('Values used for every host that does not set its own.');

export const inventorySchema = z
  .strictObject({
    apiVersion: z.literal('maint/v1').describe('Schema version of this file.'),
    kind: z.literal('Inventory'),
    defaults: inventoryDefaultsSchema.default({}),
    hosts: z.array(inventoryHostSchema).describe('The hosts; names must be unique.'),
  })
  .superRefine((inv, ctx) => {
    const seen = new Map<string, number>();
    inv.hosts.forEach((host, index) => {
      const first = seen.get(host.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['hosts', index, 'name'], message: `duplicate host name "${host.name}" (also hosts[${first}])` });
      } else seen.set(host.name, index);
    });
  })
  .describe('A static list of hosts (apiVersion maint/v1, kind Inventory).');

export type Inventory = z.output<typeof inventorySchema>;
export type InventoryHost = z.output<typeof inventoryHostSchema>;

/** A host with every connection setting decided: what workflows and activities receive. */
export interface ResolvedHost {
  name: string;
  address: string;
  port: number;
  user: string;
  hostKey: string;
  /** Path on the worker; the key itself never travels in a payload. */
  identityFile?: string;
  /** Commands that change the host run through this (sudo as root); absent: as `user`. */
  become?: Become;
  tags: Record<string, string>;
}

/** Applies the inventory's defaults; `fallbackUser` is the SSH user when neither host nor defaults name one. */
export function resolveInventory(inv: Inventory, fallbackUser: string): ResolvedHost[] {
  return inv.hosts.map((h) => {
    const identityFile = h.identityFile ?? inv.defaults.identityFile;
    const become = h.become ?? inv.defaults.become;
    return {
      name: h.name,
      address: h.address,
      port: h.port ?? inv.defaults.port ?? 22,
      user: h.user ?? inv.defaults.user ?? fallbackUser,
      hostKey: h.hostKey,
      ...(identityFile !== undefined ? { identityFile } : {}),
      ...(become !== undefined ? { become } : {}),
      tags: h.tags,
    };
  });
}
