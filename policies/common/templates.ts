import { shellQuote } from './shell';

/**
 * `{{…}}` variables in user commands and URLs. Only these exist; anything else is rejected when
 * the policy is read, never at run time on a host.
 */
export const TEMPLATE_VARIABLES = ['host.name', 'host.address', 'host.port', 'host.user', 'target', 'previous', 'rolloutId'] as const;
const TAG_VARIABLE = /^host\.tags\.[A-Za-z][A-Za-z0-9._/-]*$/;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export function unknownTemplateVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(TEMPLATE_VARIABLES as readonly string[]).includes(name) && !TAG_VARIABLE.test(name));
}

export interface TemplateHost {
  name: string;
  address: string;
  port: number;
  user: string;
  tags: Record<string, string>;
}

export interface TemplateValues {
  host: TemplateHost;
  target?: string;
  previous?: string;
  rolloutId?: string;
}

/** The tag names a template uses as `{{host.tags.NAME}}`. */
export function templateTags(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '').filter((name) => TAG_VARIABLE.test(name)).map((name) => name.slice('host.tags.'.length));
}

function lookup(name: string, values: TemplateValues): string {
  if (name.startsWith('host.tags.')) {
    const key = name.slice('host.tags.'.length);
    // The host's own tags only: {{host.tags.constructor}} is no tag, whatever Object.prototype holds.
    if (!Object.hasOwn(values.host.tags, key)) throw new Error(`{{${name}}}: host ${values.host.name} has no tag "${key}"`);
    return values.host.tags[key]!;
  }
  const value = ({
    'host.name': values.host.name,
    'host.address': values.host.address,
    'host.port': String(values.host.port),
    'host.user': values.host.user,
    target: values.target,
    previous: values.previous,
    rolloutId: values.rolloutId,
  } as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`{{${name}}} has no value here`);
  return value;
}

/** Fills a shell command: every value becomes exactly one shell word, whatever it contains. */
export function renderCommand(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => shellQuote(lookup(name, values)));
}

/** An IPv6 address, bare or in brackets (`::1`, `[fe80::1]`, `::ffff:10.0.0.1`): hex digits, colons and dots only. */
const IPV6 = /^\[?([0-9A-Fa-f]*:[0-9A-Fa-f:.]*)\]?$/;
/** A URL up to its host (`http://`, `https://user@`): a value placed here names the host. */
const UP_TO_HOST = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*$/;

/**
 * Fills a URL: values are percent-encoded so they cannot change its structure; an IPv6 address
 * where the URL names its host is written in brackets (`http://[::1]:8080/`), as RFC 3986 wants.
 */
export function renderUrl(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_m, name: string, offset: number) => {
    const value = lookup(name, values);
    const ipv6 = IPV6.exec(value);
    return ipv6 && UP_TO_HOST.test(template.slice(0, offset)) ? `[${ipv6[1]}]` : encodeURIComponent(value);
  });
}

/** Fills a host name to connect to (a tcp check's `host`): percent-encoded like a URL's, but an IPv6 address bare (`::1`). */
export function renderHost(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const value = lookup(name, values);
    return IPV6.exec(value)?.[1] ?? encodeURIComponent(value);
  });
}
