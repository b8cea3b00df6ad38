import { hashesFromSimplePage, replaceRequirementHashes } from '../../policies/deps/managers/python';

const h = (c: string) => c.repeat(64);

describe('requirement hashes', () => {
  it('a PEP 503 page gives the sha256 of the version\'s wheels and sdists, by normalised name', () => {
    const page = `<a href="../../files/Tiny_Beta-2.0.1-py3-none-any.whl#sha256=${h('a')}">w</a>
<a href="https://files.example/tiny-beta-2.0.1.tar.gz#sha256=${h('b')}" data-requires-python="&gt;=3.8">s</a>
<a href="tiny_beta-2.0.10-py3-none-any.whl#sha256=${h('c')}">newer</a>
<a href="tiny_beta_extra-2.0.1-py3-none-any.whl#sha256=${h('d')}">other package</a>
<a href="tiny_beta-2.0.1-py2-none-any.whl">no hash</a>`;
    expect(hashesFromSimplePage(page, 'tiny.beta', '2.0.1')).toEqual([h('a'), h('b')]);
  });

  it('hashes are replaced in the layout of the file: continued lines or one line', () => {
    const continued = `a==1 \\\n    --hash=sha256:${h('1')} \\\n    --hash=sha256:${h('2')}\n    # via b\nc==2 --hash=sha256:${h('3')}\n`;
    expect(replaceRequirementHashes('r.txt', continued, 'a', '==1', [h('4'), h('5'), h('6')]))
      .toBe(`a==1 \\\n    --hash=sha256:${h('4')} \\\n    --hash=sha256:${h('5')} \\\n    --hash=sha256:${h('6')}\n    # via b\nc==2 --hash=sha256:${h('3')}\n`);
    expect(replaceRequirementHashes('r.txt', continued, 'c', '==2', [h('7'), h('8')])).toBe(continued.replace(`c==2 --hash=sha256:${h('3')}`, `c==2 --hash=sha256:${h('7')} --hash=sha256:${h('8')}`));
  });
});
