import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { connectClient } from '../control/connection';
import { addConsoleToken, ConsoleAccess, ensureFirstAdmin, setConsoleUser } from '../control/consoleAccess';
import { OidcSignIn, oidcSettings } from '../control/consoleOidc';
import { loadOrganisation } from '../control/organisation';
import { parseEnvironment, type Environment } from '../policies/common/environment';
import { consoleRoleSchema, type ConsoleRole } from '../policies/console/roles';
import { openStore, storeConfig } from '../store';
import { startConsole } from '../web/console/server';
import { defaultDataDir } from '../worker';
import { CliError, EXIT } from './errors';

/** The users file: MAINT_CONSOLE_USERS, else console-users.yaml in the data directory. */
export function consoleUsersFile(env: Environment): string {
  return env.MAINT_CONSOLE_USERS ?? join(defaultDataDir(env), 'console-users.yaml');
}

function role(value: string): ConsoleRole {
  const parsed = consoleRoleSchema.safeParse(value);
  if (!parsed.success) throw new CliError(EXIT.invalidInput, `--role: expected viewer, operator or admin, got "${value}"`);
  return parsed.data;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

export interface ConsoleCommandOptions {
  port: number;
  host: string;
  publicUrl?: string;
  files?: string[];
}

export interface RunningConsole {
  url: string;
  usersFile: string;
  /** OpenID Connect sign-in's provider, when configured. */
  oidcIssuer?: string;
  /** Made on the first run (the file had no admin): shown once. */
  firstAdmin?: { name: string; password: string };
  close(): Promise<void>;
}

/** Starts the console on the environment's Temporal and store (`maint console`, `maint dev`). */
export async function startConsoleFor(opts: ConsoleCommandOptions, envVars: NodeJS.ProcessEnv = process.env): Promise<RunningConsole> {
  if (opts.publicUrl !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(opts.publicUrl)) throw new CliError(EXIT.invalidInput, `--public-url: expected an origin such as https://console.example.com, got "${opts.publicUrl}"`);
  const env = parseEnvironment(envVars);
  const usersFile = consoleUsersFile(env);
  const oidc = oidcSettings(env);
  const firstAdmin = await ensureFirstAdmin(usersFile);
  const organisation = opts.files ? await loadOrganisation(opts.files) : undefined;
  const temporal = await connectClient(envVars);
  const store = await openStore(storeConfig(env, defaultDataDir(env))).catch(async (err: unknown) => {
    await temporal.close();
    throw err;
  });
  const publicUrl = opts.publicUrl?.replace(/\/$/, '');
  const server = await startConsole({
    context: { temporal, store, ...(organisation ? { organisation } : {}) },
    access: new ConsoleAccess(usersFile), host: opts.host, port: opts.port,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(oidc ? { oidc: new OidcSignIn(oidc) } : {}),
  });
  return {
    url: publicUrl ?? server.url, usersFile, ...(oidc ? { oidcIssuer: oidc.issuer } : {}), ...(firstAdmin ? { firstAdmin } : {}),
    async close() {
      await server.close();
      await store.close();
      await temporal.close();
    },
  };
}

/** The lines that tell a person where the console is and, on the first run, how to sign in. */
export function consoleBanner(running: RunningConsole): string[] {
  return [
    `Operations console   ${running.url}/  (users: ${running.usersFile}${running.oidcIssuer ? `; OpenID Connect: ${running.oidcIssuer}, redirect URI ${running.url}/login/oidc/callback` : ''})`,
    ...(running.firstAdmin ? [`                     first run: sign in as "${running.firstAdmin.name}" with password ${running.firstAdmin.password} (shown once; \`maint console user add\` for more)`] : []),
  ];
}

/** `maint console`: serves until SIGINT/SIGTERM. */
export async function runConsole(opts: ConsoleCommandOptions): Promise<number> {
  const running = await startConsoleFor(opts);
  for (const line of consoleBanner(running)) process.stderr.write(`${line}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return EXIT.ok;
}

export function registerConsoleCommands(program: Command, integer: (name: string, min: number, max: number) => (value: string) => number): void {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const consoleCommand = program
    .command('console')
    .description('The operations console: rollouts in flight with their controls, windows, incidents, hosts, services and the audit trail (sign-in required).')
    .option('--port <port>', 'port', integer('--port', 1, 65535), 7281)
    .option('--host <address>', 'address to listen on (anything but loopback: put TLS in front and set --public-url)', '127.0.0.1')
    .option('--public-url <url>', 'the URL people use (https: Secure cookies; forms must come from it)')
    .option('-f, --file <maint.yaml>', 'organisation files: service tiers, budgets and windows for the pages', collect)
    .action(async (opts: { port: number; host: string; publicUrl?: string; file?: string[] }) => {
      process.exitCode = await runConsole({ port: opts.port, host: opts.host, ...(opts.publicUrl !== undefined ? { publicUrl: opts.publicUrl } : {}), ...(opts.file ? { files: opts.file } : {}) });
    });
  consoleCommand
    .command('user')
    .description('Console users (MAINT_CONSOLE_USERS).')
    .command('add <name>')
    .description('Add a user or set their role and password: the password is read from stdin, or made up and printed when stdin is a terminal.')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .action(async (name: string, opts: { role: string }) => {
      const file = consoleUsersFile(parseEnvironment(process.env));
      const made = process.stdin.isTTY ? randomBytes(12).toString('base64url') : undefined;
      const password = made ?? (await readStdin());
      await setConsoleUser(file, { name, role: role(opts.role), password });
      process.stdout.write(made ? `${name} (${opts.role}) in ${file}; password: ${made}\n` : `${name} (${opts.role}) in ${file}\n`);
      process.exitCode = EXIT.ok;
    });
  consoleCommand
    .command('token')
    .description('Bearer tokens for scripts (MAINT_CONSOLE_USERS).')
    .command('add <name>')
    .description('Make a token for a script and print it once (only its SHA-256 is kept): send it as `Authorization: Bearer <token>`.')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .action((name: string, opts: { role: string }) => {
      const file = consoleUsersFile(parseEnvironment(process.env));
      process.stdout.write(`${addConsoleToken(file, { name, role: role(opts.role) })}\n`);
      process.exitCode = EXIT.ok;
    });
}
