import { matchesSelector, parseSelector, SelectorSyntaxError } from '../../policies/inventory/selector';

const web = { role: 'web', patchGroup: 'a', az: 'eu-1a' };
const db = { role: 'db', patchGroup: 'b' };
const pick = (sel: string) => [web, db].filter((t) => matchesSelector(t, parseSelector(sel)));

describe('tag selectors', () => {
  it('matches equality, inequality, set membership and presence', () => {
    expect(pick('role=web')).toEqual([web]);
    expect(pick('role==web')).toEqual([web]);
    expect(pick('role!=web')).toEqual([db]);
    expect(pick('patchGroup in (a, b)')).toEqual([web, db]);
    expect(pick('patchGroup notin (a)')).toEqual([db]);
    expect(pick('az')).toEqual([web]);
    expect(pick('!az')).toEqual([db]);
    expect(pick('role=web,patchGroup in (b,c)')).toEqual([]);
    expect(pick('')).toEqual([web, db]);
  });

  it('rejects what it cannot read, naming the term', () => {
    expect(() => parseSelector('role=web,role=$(id)')).toThrow(SelectorSyntaxError);
    expect(() => parseSelector('role=web,role=$(id)')).toThrow(/"role=\$\(id\)"/);
    expect(() => parseSelector('role in web')).toThrow(/expected key=value/);
  });
});
