import { renderUrl } from '../../policies/common/templates';
import type { HealthCheckRunner } from './check';
import { redact } from '../../policies/common/redact';

type HttpCheck = Extract<Parameters<HealthCheckRunner>[0], { kind: 'http' }>;

export const httpCheck: HealthCheckRunner<HttpCheck> = async (check, ctx) => {
  const url = renderUrl(check.url, ctx.values);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(ctx.timeoutMs), redirect: 'manual' });
    const body = (await res.text()).slice(0, 4096);
    const summary = redact(`${url} → HTTP ${res.status} ${body.trim().split('\n')[0]?.slice(0, 120) ?? ''}`.trim());
    if (res.status !== check.expectStatus) return { ok: false, detail: `${summary} (expected ${check.expectStatus})` };
    if (check.bodyMatches !== undefined && !new RegExp(check.bodyMatches).test(body)) {
      return { ok: false, detail: `${summary} (body does not match /${check.bodyMatches}/)` };
    }
    return { ok: true, detail: summary };
  } catch (err) {
    // Duck-typed: the timeout is a DOMException, which need not be an `Error` of this realm.
    const e = err as { name?: string; message?: string; cause?: { message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${ctx.timeoutMs} ms` : (e.cause?.message ?? e.message ?? String(err));
    return { ok: false, detail: redact(`${url}: ${reason}`) };
  }
};
