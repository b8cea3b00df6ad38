// Reading payloads out of what the Temporal CLI prints raw (`workflow show -o json`, `schedule describe -o json`).

/** Every payload (an object with metadata and data) in a history or schedule as the CLI prints it raw. */
export function payloadsIn(value: unknown, out: Array<{ metadata: Record<string, string>; data?: string }> = []): typeof out {
  if (Array.isArray(value)) value.forEach((v) => payloadsIn(v, out));
  else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.metadata !== undefined && typeof o.metadata === 'object' && ('data' in o || 'encoding' in (o.metadata as object))) out.push(o as never);
    else Object.values(o).forEach((v) => payloadsIn(v, out));
  }
  return out;
}

/** A base64 field (payload data or metadata) as text. */
export const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
