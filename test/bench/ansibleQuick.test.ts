import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CaseResult, FloorResult, SummaryRow } from '../../bench/ansible/report';

const ROOT = join(__dirname, '..', '..');
const ANSIBLE_PLAYBOOK = ['/usr/bin/ansible-playbook', '/usr/local/bin/ansible-playbook'].find((p) => existsSync(p));

// Keeps the Ansible comparison working end to end (bench/README.md); its numbers are not judged here.
describe('bench/ansible --quick', () => {
  it('both tools patch 4 real sshd hosts, and both restore the bad host\'s batch to 1.0.0', async () => {
    if (!ANSIBLE_PLAYBOOK) throw new Error('ansible-playbook is not installed, so the Ansible comparison cannot run: `apt-get install -y ansible-core` (scripts/test.sh installs it)');
    // ~90 s on a quiet machine; several times that next to other test files on 2 cores (a hang guard, not a timing).
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'ansible', 'run.js'), '--quick', '--json'], { timeout: 420_000, maxBuffer: 10 * 2 ** 20 });
    const { results, floors, summary } = JSON.parse(stdout) as { results: CaseResult[]; floors: FloorResult[]; summary: SummaryRow[] };

    const run = (tool: string, c: string) => results.find((r) => r.tool === tool && r.case === c)!;
    for (const tool of ['ours', 'ansible']) {
      // Happy case: every host ends on the new version, and the tool says it succeeded.
      expect(run(tool, 'happy')).toMatchObject({ hosts: 4, versions: ['2.0.0', '2.0.0', '2.0.0', '2.0.0'], exitCode: 0 });
      // Bad host (host 2, its own batch of 1 of 4 hosts): back on 1.0.0, the canary keeps 2.0.0, the last wave is never touched, and the tool reports failure.
      const bad = run(tool, 'bad-host');
      expect(bad.versions).toEqual(['2.0.0', '1.0.0', '1.0.0', '1.0.0']);
      expect(bad.exitCode).not.toBe(0);
      for (const r of [run(tool, 'happy'), bad]) {
        for (const metric of [r.wallSeconds, r.cpuSeconds, r.peakRssMb, r.peakPssMb]) expect(metric).toBeGreaterThan(0);
      }
      // It took at least the health deadline to give up on the bad host, then restored it.
      expect(bad.restoredSeconds).toBeGreaterThan(0);
      expect(bad.reactionSeconds).toBeGreaterThanOrEqual(bad.restoredSeconds!);
    }
    expect(run('ours', 'happy').serverCpuSeconds).toBeGreaterThan(0);
    expect(floors).toHaveLength(1);
    expect(floors[0]!.seconds).toBeGreaterThan(0);
    expect(summary.map((s) => [s.tool, s.allOutcomesOk])).toEqual([['ours', true], ['ansible', true]]);
    for (const s of summary) {
      // Overhead may be negative only if a tool beat plain ssh, which it cannot; the ratio is a real number.
      expect(s.overheadPerHostMs).toBeGreaterThan(0);
      expect(s.wallRatioToAnsible).toBeGreaterThan(0);
    }
  }, 450_000);
});
