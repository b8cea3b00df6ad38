import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE, type FailureType } from '../../policies/common/failures';

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
 * POSTs JSON. 2xx is delivered; 408/429/5xx and network errors are retried by the activity's
 * retry policy (backoff); any other 4xx is the receiver refusing for good.
 */
export async function postJson(url: string, body: unknown, options: { secret?: string; deliveryId: string; what: string; rejected?: FailureType }): Promise<number> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'maint-notices/1', 'x-maint-delivery': options.deliveryId };
  if (options.secret !== undefined) headers['x-maint-signature'] = `sha256=${createHmac('sha256', options.secret).update(payload).digest('hex')}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new Error(`${options.what}: ${describeUrl(url)} did not answer (${(err as Error).cause ? String((err as Error).cause) : (err as Error).message})`, { cause: err });
  }
  await response.body?.cancel();
  if (response.ok) return response.status;
  const message = `${options.what}: ${describeUrl(url)} answered HTTP ${response.status}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw ApplicationFailure.nonRetryable(message, options.rejected ?? FAILURE.NoticeRejected);
  }
  throw new Error(message);
}
