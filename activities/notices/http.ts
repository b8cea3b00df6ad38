import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE, type FailureType } from '../../policies/common/failures';
import { redact } from '../../policies/common/redact';

/**
 * A webhook URL as errors may show it: scheme and host only. Slack's and most webhooks' URLs carry
 * their secret in the path or query, and errors end up in workflow histories and operators' alerts.
 */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(an invalid URL)';
  }
}

/**
 * The signature headers of a webhook body: `X-Maint-Signature: t=<unix seconds>,v1=<hex
 * HMAC-SHA256 of "t.body">` (receivers refuse old timestamps, so a captured request cannot be
 * replayed), and for one release the old `X-Maint-Signature-256: sha256=<HMAC of the body>`.
 */
export function signatureHeaders(secret: string, body: string, unixSeconds: number): Record<string, string> {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return {
    'x-maint-signature': `t=${unixSeconds},v1=${v1}`,
    'x-maint-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
}

/**
 * Takes the URL and any other secret out of an error and its causes (message and stack) in place:
 * the error becomes the cause of ours, and causes are kept in failures, so in histories.
 */
function scrub(err: unknown, url: string): void {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    e.message = redact(e.message.split(url).join(describeUrl(url)));
    if (e.stack !== undefined) e.stack = redact(e.stack.split(url).join(describeUrl(url)));
  }
}

/**
 * POSTs JSON. 2xx is delivered; 408/429/5xx and network errors are retried by the activity's
 * retry policy (backoff); any other 4xx is the receiver refusing for good.
 */
export async function postJson(url: string, body: unknown, options: { secret?: string; deliveryId: string; what: string; rejected?: FailureType }): Promise<number> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'maint-notices/1', 'x-maint-delivery': options.deliveryId };
  if (options.secret !== undefined) Object.assign(headers, signatureHeaders(options.secret, payload, Math.floor(Date.now() / 1000)));
  let response: Response;
  try {
    // Never followed: a redirect would take the notice (and its signature) where the channel does not say.
    response = await fetch(url, { method: 'POST', headers, body: payload, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    scrub(err, url);
    throw new Error(`${options.what}: ${describeUrl(url)} did not answer (${(err as Error).cause ? String((err as Error).cause) : (err as Error).message})`, { cause: err });
  }
  await response.body?.cancel();
  if (response.ok) return response.status;
  if (response.status >= 300 && response.status < 400) {
    throw ApplicationFailure.nonRetryable(`${options.what}: ${describeUrl(url)} answered with a redirect (HTTP ${response.status}), which is not followed; give the channel the final URL`, options.rejected ?? FAILURE.NoticeRejected);
  }
  const message = `${options.what}: ${describeUrl(url)} answered HTTP ${response.status}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw ApplicationFailure.nonRetryable(message, options.rejected ?? FAILURE.NoticeRejected);
  }
  throw new Error(message);
}
