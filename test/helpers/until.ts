/**
 * Polls `probe` every `pollMs` until it returns a value (anything but undefined), and fails naming
 * `what` after `timeoutMs`. A hang guard for a loaded machine, not a timing: make it generous.
 */
export async function until<T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
