import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oidcSettings } from '../../control/consoleOidc';
import { parseEnvironment } from '../../policies/common/environment';
import { claimValues, oidcDisplayName, parseOidcRoleMapping, roleFromClaims } from '../../policies/console/oidc';

describe('OpenID Connect sign-in: roles from claims, and its configuration', () => {
  const mapping = (text: string) => {
    const parsed = parseOidcRoleMapping(text);
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.mapping;
  };

  it('gives the highest role any value of the claim maps to, and none when no value maps', () => {
    const m = mapping('maint-admins=admin, maint-operators=operator,staff=viewer');
    expect(roleFromClaims({ groups: ['staff', 'maint-operators'] }, 'groups', m)).toBe('operator');
    expect(roleFromClaims({ groups: ['maint-admins', 'staff'] }, 'groups', m)).toBe('admin');
    expect(roleFromClaims({ groups: ['staff'] }, 'groups', m)).toBe('viewer');
    expect(roleFromClaims({ groups: ['finance'] }, 'groups', m)).toBeUndefined();
    expect(roleFromClaims({}, 'groups', m)).toBeUndefined();
    expect(roleFromClaims({ groups: 'maint-operators' }, 'groups', m)).toBe('operator');
    // Keycloak's realm roles are nested; Entra ID's app roles are `roles`.
    expect(roleFromClaims({ realm_access: { roles: ['offline_access', 'maint-admins'] } }, 'realm_access.roles', m)).toBe('admin');
    expect(claimValues({ realm_access: ['x'] }, 'realm_access.roles')).toEqual([]);
    expect(claimValues({ roles: 'a b,c' }, 'roles')).toEqual(['a', 'b', 'c']);
    expect(claimValues({ groups: ['a', 7, 'b'] }, 'groups')).toEqual(['a', 'b']);
  });

  it('names them by e-mail, else user name, else subject', () => {
    expect(oidcDisplayName({ sub: 's1', email: 'oscar@ops.example', preferred_username: 'oscar' })).toBe('oscar@ops.example');
    expect(oidcDisplayName({ sub: 's1', preferred_username: 'oscar' })).toBe('oscar');
    expect(oidcDisplayName({ sub: 's1' })).toBe('s1');
  });

  it('refuses a mapping that is not one, naming the entry', () => {
    expect(parseOidcRoleMapping('')).toEqual({ error: expect.stringMatching(/^expected group=role pairs/) });
    expect(parseOidcRoleMapping('ops=operator,staff=reader')).toEqual({ error: 'entry 2 ("staff=reader"): expected group=role with role one of viewer, operator, admin' });
    expect(parseOidcRoleMapping('=admin')).toEqual({ error: expect.stringMatching(/^entry 1/) });
    // A group name may hold "="; the role is after the last one.
    expect(mapping('team=a=operator')).toEqual([{ value: 'team=a', role: 'operator' }]);
  });

  it('reads its settings from the environment, the client secret from a file if so, and names what is missing or wrong', () => {
    const base = { MAINT_CONSOLE_OIDC_ISSUER: 'https://keycloak.example.com/realms/ops', MAINT_CONSOLE_OIDC_CLIENT_ID: 'maint-console', MAINT_CONSOLE_OIDC_ROLES: 'maint-operators=operator' };
    expect(oidcSettings(parseEnvironment({}))).toBeUndefined();
    expect(oidcSettings(parseEnvironment(base))).toEqual({
      issuer: 'https://keycloak.example.com/realms/ops', clientId: 'maint-console', rolesClaim: 'groups',
      mapping: [{ value: 'maint-operators', role: 'operator' }], scopes: 'openid email profile',
    });
    const secret = join(mkdtempSync(join(tmpdir(), 'maint-oidc-')), 'secret');
    writeFileSync(secret, 's3cret-of-the-client\n');
    expect(oidcSettings(parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: secret }))?.clientSecret).toBe('s3cret-of-the-client');
    expect(() => oidcSettings(parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: `${secret}.missing` }))).toThrow(`MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE=${secret}.missing: cannot read the file (ENOENT)`);
    expect(() => parseEnvironment({ MAINT_CONSOLE_OIDC_ISSUER: base.MAINT_CONSOLE_OIDC_ISSUER })).toThrow(/MAINT_CONSOLE_OIDC_CLIENT_ID: OpenID Connect sign-in .* needs the console's client id\n {2}MAINT_CONSOLE_OIDC_ROLES: /);
    expect(() => parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_ISSUER: 'http://idp.example.com' })).toThrow(/MAINT_CONSOLE_OIDC_ISSUER: expected the issuer URL .*http:\/\/ only on 127\.0\.0\.1 or localhost/);
    expect(parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_ISSUER: 'http://127.0.0.1:8080' }).MAINT_CONSOLE_OIDC_ISSUER).toBe('http://127.0.0.1:8080');
    expect(() => parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_ROLES: 'ops=root' })).toThrow('MAINT_CONSOLE_OIDC_ROLES: entry 1 ("ops=root"): expected group=role');
    expect(() => parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_SCOPES: 'email profile' })).toThrow('MAINT_CONSOLE_OIDC_SCOPES: expected the scope openid among them');
    expect(() => parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_CLIENT_SECRET: 'x', MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: secret })).toThrow('MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE: set MAINT_CONSOLE_OIDC_CLIENT_SECRET or MAINT_CONSOLE_OIDC_CLIENT_SECRET_FILE, not both');
    expect(() => parseEnvironment({ ...base, MAINT_CONSOLE_OIDC_ROLES_CLAIM: 'realm access' })).toThrow(/MAINT_CONSOLE_OIDC_ROLES_CLAIM: expected a claim name or dotted path/);
  });
});
