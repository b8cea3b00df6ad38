/** What a redacted secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Each rule finds one shape of secret in free text; the secret part is replaced, the context kept
 * (so an error still says which host answered or which header was refused).
 */
const RULES: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // Slack incoming webhooks: the path is the secret.
  [/\bhooks\.slack\.com\/(services|workflows|triggers)\/[^\s"'<>]+/gi, (_m, kind) => `hooks.slack.com/${kind}/${REDACTED}`],
  // user:password@ (or a token as the user) in any URL.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  // A query string may carry tokens and signatures: kept only as "?…".
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]+/gi, (_m, base) => `${base}?${REDACTED}`],
  // Authorization / Proxy-Authorization / X-…-Token / X-…-Key / X-…-Secret headers, as "Name: value" or "name=value".
  [/\b((?:proxy-)?authorization|x-[a-z0-9-]*(?:token|key|secret|signature)|cookie)(["']?\s*[:=]\s*["']?)[^\r\n"',;]+/gi, (_m, name, sep) => `${name}${sep}${REDACTED}`],
  // Bearer / Basic credentials wherever they stand.
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // Known token shapes: GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), Slack (xoxb-, xoxp-, xoxa-, xoxs-, xapp-).
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abps]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,})/g, () => REDACTED],
  // password=… / token=… / secret=… / api_key=… outside URLs (command output, config dumps), quoted or not.
  [/\b([a-z0-9_]*?(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key))(["']?\s*[:=]\s*["']?)(?!\[redacted\])[^\s"',;&]+/gi, (_m, name, sep) => `${name}${sep}${REDACTED}`],
];

/**
 * Removes the secrets an error message, log line or command output may carry: credentials and
 * query strings of URLs, Authorization and token headers, Bearer/Basic credentials, GitHub and
 * Slack token shapes and Slack webhook paths. Pure and idempotent; text without secrets is
 * returned unchanged. Everything that can end up in a workflow history, an alert or a log passes it.
 */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace as (match: string, ...rest: unknown[]) => string);
  return out;
}
