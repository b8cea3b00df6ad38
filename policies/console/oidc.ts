import { CONSOLE_ROLES, type ConsoleRole } from './roles';

/**
 * OpenID Connect sign-in: which role a person gets from the claims of their ID token. The mapping
 * is written `group=role,other-group=role` (MAINT_CONSOLE_OIDC_ROLES); the claim is a name or a
 * dotted path (`groups`, `roles`, Keycloak's `realm_access.roles`) holding a list or one string.
 */
export type OidcRoleMapping = ReadonlyArray<{ value: string; role: ConsoleRole }>;

/** `maint-admins=admin, maint-ops=operator` → the mapping; an entry that is not one is named by position. */
export function parseOidcRoleMapping(text: string): { mapping: OidcRoleMapping } | { error: string } {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return { error: 'expected group=role pairs separated by commas, e.g. maint-admins=admin,maint-operators=operator,staff=viewer' };
  const mapping: Array<{ value: string; role: ConsoleRole }> = [];
  for (const [i, entry] of entries.entries()) {
    const at = entry.lastIndexOf('=');
    const value = at > 0 ? entry.slice(0, at).trim() : '';
    const role = at > 0 ? entry.slice(at + 1).trim() : '';
    if (value === '' || !(CONSOLE_ROLES as readonly string[]).includes(role)) {
      return { error: `entry ${i + 1} ("${entry}"): expected group=role with role one of ${CONSOLE_ROLES.join(', ')}` };
    }
    mapping.push({ value, role: role as ConsoleRole });
  }
  return { mapping };
}

/** A claim path as written: `groups`, `realm_access.roles`. */
export const OIDC_CLAIM_PATH = /^[A-Za-z_][A-Za-z0-9_:/-]*(\.[A-Za-z_][A-Za-z0-9_:/-]*)*$/;

/** The values of a claim: a list of strings, or one string (split on spaces and commas). */
export function claimValues(claims: Record<string, unknown>, path: string): string[] {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The highest role any of the claim's values maps to; undefined: none maps (the sign-in is refused). */
export function roleFromClaims(claims: Record<string, unknown>, path: string, mapping: OidcRoleMapping): ConsoleRole | undefined {
  const values = new Set(claimValues(claims, path));
  let best: ConsoleRole | undefined;
  for (const { value, role } of mapping) {
    if (values.has(value) && (best === undefined || CONSOLE_ROLES.indexOf(role) > CONSOLE_ROLES.indexOf(best))) best = role;
  }
  return best;
}

/** What the pages and the audit trail call them: their e-mail, else their user name, else the subject. */
export function oidcDisplayName(claims: Record<string, unknown>): string {
  for (const key of ['email', 'preferred_username', 'upn', 'sub']) {
    const value = claims[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 100);
  }
  return 'unknown';
}
