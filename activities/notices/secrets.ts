import { readFileSync } from 'node:fs';

/** Reads a secret named by a channel (environment variable or file); the value is never logged. */
export function readSecret(ref: { env?: string; file?: string }, what: string): string | undefined {
  if (ref.env !== undefined) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') throw new Error(`${what}: environment variable ${ref.env} is not set on the worker`);
    return value;
  }
  if (ref.file !== undefined) {
    try {
      return readFileSync(ref.file, 'utf8').trim();
    } catch (err) {
      throw new Error(`${what}: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
  return undefined;
}

/** The URL a webhook or Slack channel posts to: written in the channel, or read now from the variable or file it names. */
export function channelUrl(channel: { name: string; url?: string; urlEnv?: string; urlFile?: string }): string {
  const url = channel.url ?? readSecret({ env: channel.urlEnv, file: channel.urlFile }, `channel ${channel.name}`);
  if (url === undefined) throw new Error(`channel ${channel.name}: names no url, urlEnv or urlFile`);
  return url;
}
