import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addConsoleToken, ConsoleAccess, ensureFirstAdmin, hashPassword, readConsoleUsers, setConsoleUser, verifyPassword } from '../../control/consoleAccess';

const file = () => join(mkdtempSync(join(tmpdir(), 'maint-console-users-')), 'users.yaml');

describe('console users and tokens', () => {
  it('keeps scrypt hashes and token digests only, and signs in with the right password alone', async () => {
    const users = file();
    await setConsoleUser(users, { name: 'olivia', role: 'operator', password: 'correct horse' });
    const token = addConsoleToken(users, { name: 'deploy-bot', role: 'viewer' });
    const text = readFileSync(users, 'utf8');
    expect(text).not.toContain('correct horse');
    expect(text).not.toContain(token);
    expect(text).toMatch(/password: scrypt\$32768\$8\$1\$/);
    expect(statSync(users).mode & 0o777).toBe(0o600);
    const access = new ConsoleAccess(users);
    expect(await access.signIn('olivia', 'correct horse')).toEqual({ name: 'olivia', role: 'operator', via: 'password' });
    expect(await access.signIn('olivia', 'correct horsE')).toBeUndefined();
    expect(await access.signIn('nobody', 'correct horse')).toBeUndefined();
    expect(access.bearer(token)).toEqual({ name: 'deploy-bot', role: 'viewer', via: 'token' });
    expect(access.bearer(`${token}x`)).toBeUndefined();
    // A changed password counts at once (the file is read again when it changes).
    await setConsoleUser(users, { name: 'olivia', role: 'admin', password: 'battery staple' });
    expect(await access.signIn('olivia', 'battery staple')).toMatchObject({ role: 'admin' });
    expect(readConsoleUsers(users).users).toHaveLength(1);
  });

  it('refuses short passwords, and verifies nothing against a malformed hash', async () => {
    await expect(hashPassword('short')).rejects.toThrow('at least 8 characters');
    expect(await verifyPassword('anything', 'plain-text')).toBe(false);
  });

  it('makes a first admin once, with a password it returns', async () => {
    const users = file();
    const first = await ensureFirstAdmin(users);
    expect(first?.name).toBe('admin');
    expect(await new ConsoleAccess(users).signIn('admin', first!.password)).toMatchObject({ role: 'admin' });
    expect(await ensureFirstAdmin(users)).toBeUndefined();
  });

  it('a bad file is named with the path inside it and what was expected', () => {
    const users = file();
    writeFileSync(users, 'users:\n  - name: eve\n    role: root\n    password: hunter2\n');
    expect(() => readConsoleUsers(users)).toThrow(new RegExp(`${users}:3:11: users\\[0\\]\\.role: .*viewer.*operator.*admin`));
    expect(() => readConsoleUsers(users)).toThrow(/users\[0\]\.password: expected an scrypt hash .*never a password/);
  });
});
