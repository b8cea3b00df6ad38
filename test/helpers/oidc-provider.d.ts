// oidc-provider ships no types: the little of it test/helpers/oidcProvider.ts uses.
declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }
  interface Configuration {
    clients: Array<Record<string, unknown>>;
    findAccount(ctx: unknown, sub: string): Promise<Account | undefined> | Account | undefined;
    claims?: Record<string, string[]>;
    scopes?: string[];
    cookies?: { keys: string[] };
    pkce?: { required?: () => boolean };
    features?: Record<string, { enabled: boolean }>;
    [key: string]: unknown;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    listen(port: number): Server;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
