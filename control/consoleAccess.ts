/**
 * Who may use the console: local users with scrypt password hashes and bearer tokens for scripts,
 * both in one file (MAINT_CONSOLE_USERS). Passwords and tokens are never stored or logged in clear.
 */
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { ConsoleRole } from '../policies/console/roles';
import { consoleUsersSchema, SCRYPT_HASH, type ConsoleUsers } from '../policies/console/users';
import { InvalidInputError } from './errors';
import { readPolicyFile } from './files';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

/** OWASP's minimum for scrypt (N=2^17, r=8, p=1) costs 128 MiB per sign-in; 2^15 keeps a small machine responsive. */
const COST = { N: 32_768, r: 8, p: 1 };

export async function hashPassword(password: string): Promise<string> {
  if (password.length < 8) throw new InvalidInputError('a console password has at least 8 characters');
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...COST, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = SCRYPT_HASH.exec(hash);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scrypt(password, Buffer.from(m[4]!, 'base64'), expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The users file; a missing one holds nobody. Problems name the file and the path inside it. */
export function readConsoleUsers(file: string): ConsoleUsers {
  if (!existsSync(file)) return { users: [], tokens: [] };
  return readPolicyFile(file, consoleUsersSchema);
}

function writeConsoleUsers(file: string, users: ConsoleUsers): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `# maint console users and tokens: hashes only (maint console user add / token add)\n${stringify(users)}`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Adds the user, or sets the role and password of the one with that name. */
export async function setConsoleUser(file: string, user: { name: string; role: ConsoleRole; password: string }): Promise<void> {
  const current = readConsoleUsers(file);
  const entry = { name: user.name, role: user.role, password: await hashPassword(user.password) };
  const users = [...current.users.filter((u) => u.name !== user.name), entry];
  writeConsoleUsers(file, consoleUsersSchema.parse({ ...current, users }));
}

/** Makes a bearer token for a script and returns it (only its SHA-256 is kept). */
export function addConsoleToken(file: string, token: { name: string; role: ConsoleRole }): string {
  const current = readConsoleUsers(file);
  const secret = `mct_${randomBytes(24).toString('base64url')}`;
  const tokens = [...current.tokens.filter((t) => t.name !== token.name), { ...token, sha256: sha256(secret) }];
  writeConsoleUsers(file, consoleUsersSchema.parse({ ...current, tokens }));
  return secret;
}

/**
 * The first run: a file without any admin gets one (`admin`, a random password), returned to be
 * shown once. Undefined when an admin exists.
 */
export async function ensureFirstAdmin(file: string): Promise<{ name: string; password: string } | undefined> {
  const current = readConsoleUsers(file);
  if (current.users.some((u) => u.role === 'admin')) return undefined;
  const password = randomBytes(12).toString('base64url');
  await setConsoleUser(file, { name: 'admin', role: 'admin', password });
  return { name: 'admin', password };
}

export interface ConsoleIdentity {
  name: string;
  role: ConsoleRole;
  /** How they proved it: a password or OpenID Connect (a session), or a bearer token (a script). */
  via: 'password' | 'token' | 'oidc';
  /** OpenID Connect: `<sub>@<provider host>`, the identity the provider vouches for (the name is its e-mail or user name). */
  subject?: string;
}

/** Checks sign-ins against the file, re-read when it changes (so `user add` needs no restart). */
export class ConsoleAccess {
  private cached: { mtimeMs: number; users: ConsoleUsers } | undefined;
  constructor(readonly file: string) {}

  private users(): ConsoleUsers {
    const stamp = existsSync(this.file) ? statSync(this.file).mtimeMs : 0;
    if (this.cached?.mtimeMs !== stamp) this.cached = { mtimeMs: stamp, users: readConsoleUsers(this.file) };
    return this.cached.users;
  }

  async signIn(name: string, password: string): Promise<ConsoleIdentity | undefined> {
    const user = this.users().users.find((u) => u.name === name);
    // An unknown name costs as much as a wrong password: the answer time does not tell names apart.
    const ok = await verifyPassword(password, user?.password ?? DUMMY_HASH);
    return user && ok ? { name: user.name, role: user.role, via: 'password' } : undefined;
  }

  bearer(token: string): ConsoleIdentity | undefined {
    const digest = Buffer.from(sha256(token), 'hex');
    const match = this.users().tokens.find((t) => timingSafeEqual(Buffer.from(t.sha256, 'hex'), digest));
    return match ? { name: match.name, role: match.role, via: 'token' } : undefined;
  }
}

const DUMMY_HASH = `scrypt$${COST.N}$${COST.r}$${COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(32).toString('base64')}`;
