import { PolicyError } from '../../policies/common/errors';
import { inventorySchema, resolveInventory } from '../../policies/inventory/hosts';
import { parsePolicyText } from '../../policies/common/parse';

const KEY = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

function problemsOf(text: string) {
  try {
    parsePolicyText(text, 'inv.yaml', inventorySchema);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected the inventory to be rejected');
}

describe('inventory files', () => {
  it('accepts the documented example and applies defaults', () => {
    const inv = parsePolicyText(
      [
        'apiVersion: maint/v1',
        'kind: Inventory',
        'defaults: {user: ops, port: 22, identityFile: ~/.ssh/id_ed25519}   # an ssh-agent also works',
        'hosts:',
        `  - {name: web-1, address: 10.0.0.5, hostKey: '${KEY}', tags: {role: web, patchGroup: a}}`,
        `  - {name: db-1, address: db1.example.net, port: 2222, user: root, hostKey: '${KEY}'}`,
      ].join('\n'),
      'inv.yaml',
      inventorySchema,
    );
    expect(resolveInventory(inv, 'fallback')).toEqual([
      { name: 'web-1', address: '10.0.0.5', port: 22, user: 'ops', hostKey: KEY, identityFile: '~/.ssh/id_ed25519', tags: { role: 'web', patchGroup: 'a' } },
      { name: 'db-1', address: 'db1.example.net', port: 2222, user: 'root', hostKey: KEY, identityFile: '~/.ssh/id_ed25519', tags: {} },
    ]);
  });

  it('falls back to the given user when the file names none', () => {
    const inv = parsePolicyText(`apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: a, address: 127.0.0.1, hostKey: '${KEY}'}\n`, 'inv.yaml', inventorySchema);
    expect(resolveInventory(inv, 'alice')[0]).toMatchObject({ user: 'alice', port: 22 });
    expect(resolveInventory(inv, 'alice')[0]).not.toHaveProperty('identityFile');
  });

  it('names the file, the path, the line and what was expected for an unknown key', () => {
    const err = problemsOf(`apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - name: web-1\n    address: 10.0.0.5\n    hostKey: '${KEY}'\n    colour: blue\n`);
    expect(err.problems).toEqual([{ path: 'hosts[0].colour', line: 7, column: 5, message: expect.stringContaining('unknown key "colour"') }]);
    expect(err.message).toContain('inv.yaml:7:5: hosts[0].colour: unknown key "colour"');
  });

  it('reports a wrong type and a missing field together, each at its place', () => {
    const err = problemsOf(`apiVersion: maint/v1\nkind: Inventory\ndefaults:\n  port: "22"\nhosts:\n  - {address: 10.0.0.5, hostKey: '${KEY}'}\n`);
    expect(err.problems).toEqual([
      { path: 'defaults.port', line: 4, column: 9, message: 'expected number, received string' },
      { path: 'hosts[0].name', line: 6, column: 5, message: 'is required (expected string)' },
    ]);
  });

  it('explains the fingerprint format when a host key is not one', () => {
    const err = problemsOf(`apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: a, address: 10.0.0.5, hostKey: 'ssh-ed25519 AAAAC3Nz'}\n`);
    expect(err.problems[0]).toMatchObject({ path: 'hosts[0].hostKey', line: 4 });
    expect(err.problems[0]!.message).toMatch(/ssh-keygen -lf.*SHA256:/);
  });

  it('rejects duplicate host names, a wrong apiVersion, out-of-range ports and hostile addresses', () => {
    const err = problemsOf(
      `apiVersion: maint/v2\nkind: Inventory\nhosts:\n  - {name: a, address: 10.0.0.5, hostKey: '${KEY}'}\n  - {name: a, address: 'x; rm -rf /', port: 70000, hostKey: '${KEY}'}\n`,
    );
    expect(err.problems.map((p) => p.path).sort()).toEqual(['apiVersion', 'hosts[1].address', 'hosts[1].port'].sort());
    // Refinements (duplicate names) only run once the shape is valid.
    const dup = problemsOf(`apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: a, address: 10.0.0.5, hostKey: '${KEY}'}\n  - {name: a, address: 10.0.0.6, hostKey: '${KEY}'}\n`);
    expect(dup.problems).toEqual([expect.objectContaining({ path: 'hosts[1].name', line: 5, message: 'duplicate host name "a" (also hosts[0])' })]);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = problemsOf('apiVersion: maint/v1\nkind: Inventory\nhosts:\n  - {name: a, address: [\n');
    expect(err.problems[0]).toMatchObject({ path: '', line: expect.any(Number), message: expect.stringMatching(/^not valid YAML/) });
  });

  it('rejects an empty file with the fields it needs', () => {
    const err = problemsOf('');
    expect(err.problems.map((p) => p.path)).toEqual(['apiVersion', 'kind', 'hosts']);
  });
});
