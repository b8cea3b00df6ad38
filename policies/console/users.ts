import { z } from 'zod';
import { consoleRoleSchema } from './roles';

/** `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`, as `maint console user add` writes it. */
export const SCRYPT_HASH = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

const name = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/, 'expected a name of letters, digits, ".", "_", "@" or "-" (at most 64)');

/** The console's local users and script tokens (the file MAINT_CONSOLE_USERS names). */
export const consoleUsersSchema = z.strictObject({
  users: z.array(z.strictObject({
    name: name.describe('What the audit trail records as the actor.'),
    role: consoleRoleSchema,
    password: z.string().regex(SCRYPT_HASH, 'expected an scrypt hash as `maint console user add` writes it (scrypt$N$r$p$salt$key), never a password').describe('The scrypt hash of the password.'),
  })).default([]),
  tokens: z.array(z.strictObject({
    name: name.describe('What the audit trail records as the actor (the script).'),
    role: consoleRoleSchema,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the hex SHA-256 of the token, as `maint console token add` writes it').describe('SHA-256 of the bearer token (the token itself is shown once, when made).'),
  })).default([]),
}).prefault({});
export type ConsoleUsers = z.output<typeof consoleUsersSchema>;
