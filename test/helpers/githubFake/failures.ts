import type { Reply } from './http';

/** A failure the fake answers instead of (or, with `afterApply`, after) handling matching requests. */
export interface InjectedFailure {
  method: string;
  /** Tested against the API path without query and without `/api/v3`, e.g. `/repos/acme/web/pulls`. */
  pathRegex: RegExp;
  status: 403 | 429 | 500 | 502;
  /** How many matching requests fail; afterwards requests pass again. */
  times: number;
  /** 403/429: a secondary rate limit with this `retry-after` (default 1 s). */
  retryAfterSeconds?: number;
  /** 403/429: a primary rate limit (`x-ratelimit-remaining: 0`) that resets at this epoch second. */
  rateLimitReset?: number;
  /**
   * The request is handled (its change lands) and the answer is then replaced by the failure: a POST whose
   * response was lost after GitHub applied it, which the client will retry.
   */
  afterApply?: boolean;
}

const DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

/** GitHub's answers for rate limits and gateway errors, headers included. */
export function failureReply(failure: InjectedFailure): Reply {
  if (failure.status === 403 || failure.status === 429) {
    if (failure.rateLimitReset !== undefined) {
      return {
        status: failure.status,
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-resource': 'core', 'x-ratelimit-reset': String(failure.rateLimitReset) },
        body: { message: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.', documentation_url: DOCS, status: String(failure.status) },
      };
    }
    return {
      status: failure.status,
      headers: { 'retry-after': String(failure.retryAfterSeconds ?? 1) },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.', documentation_url: DOCS, status: String(failure.status) },
    };
  }
  if (failure.status === 502) {
    return { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1>Server got itself in trouble</body></html>' };
  }
  return { status: 500, body: { message: 'Server Error', documentation_url: 'https://docs.github.com/rest', status: '500' } };
}
