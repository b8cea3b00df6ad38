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

function lookup(name: string, values: TemplateValues): string {
  if (name.startsWith('host.tags.')) {
    const tag = values.host.tags[name.slice('host.tags.'.length)];
    if (tag === undefined) throw new Error(`{{${name}}}: host ${values.host.name} has no tag "${name.slice('host.tags.'.length)}"`);
    return tag;
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

/** Fills a URL or host name: values are percent-encoded so they cannot change its structure. */
export function renderUrl(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => encodeURIComponent(lookup(name, values)));
}
