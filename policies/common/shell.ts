/**
 * Quotes one argument for a POSIX shell. Everything we send to a host goes through this: the
 * result is a single word whatever the input holds (spaces, quotes, `$()`, `;`, newlines).
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `timeout` on the remote side, so a hung command ends even if our local timer cannot reach it. */
export function withRemoteTimeout(command: string, timeoutSeconds: number): string {
  const seconds = Math.max(1, Math.ceil(timeoutSeconds));
  return `timeout -k 10s ${seconds}s sh -c ${shellQuote(command)}`;
}
