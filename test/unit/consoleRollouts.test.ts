import { allows } from '../../policies/console/roles';
import { rolloutCard, versionText } from '../../policies/console/rolloutCard';
import { offeredControls } from '../../policies/console/rolloutControls';
import type { HostReport, RolloutProgress } from '../../policies/rollout/types';

function progress(over: Partial<RolloutProgress>, states: Array<[wave: number, state: HostReport['state']]>): RolloutProgress {
  const waves = [...new Set(states.map(([w]) => w))].map((index) => ({ index, size: states.filter(([w]) => w === index).length, canary: index === 0, state: 'pending' as const }));
  return {
    rolloutId: 'r-1', policy: 'web', status: 'running', currentWave: 0, waves, batches: [], failures: 0, failuresTolerated: 0,
    hosts: states.map(([wave, state], i) => ({ name: `host-${i + 1}`, wave, state, attempts: 0 })),
    ...over,
  };
}

describe('the controls a rollout offers, with their consequences', () => {
  it('abort while a batch is in flight rolls back the hosts of that wave that were touched', () => {
    const p = progress({ currentWave: 3, runningBatches: ['b'] }, [[0, 'healthy'], [1, 'healthy'], [2, 'healthy'], [3, 'healthy'], [3, 'verifying'], [3, 'patching'], [3, 'draining'], [3, 'pending'], [4, 'pending']]);
    expect(offeredControls(p)).toEqual([
      { action: 'pause', consequence: 'pause lets the hosts being changed finish and starts no other until resumed' },
      { action: 'abort', consequence: 'abort rolls back 4 hosts in wave 3 and skips the 2 hosts not yet started; hosts of earlier waves keep their new version' },
    ]);
  });

  it('at an approval gate: approve names the wave and what is left; abort rolls nothing back', () => {
    const p = progress({ status: 'awaiting-approval', currentWave: 0 }, [[0, 'healthy'], [1, 'pending'], [1, 'pending']]);
    expect(offeredControls(p).map((c) => c.consequence)).toEqual([
      'approve lets the rollout go on after wave 0 (canary): 2 hosts still to patch',
      'pause lets the hosts being changed finish and starts no other until resumed',
      'abort skips the 2 hosts not yet started; hosts already patched keep their new version',
    ]);
  });

  it('paused offers resume instead of pause; a finished rollout offers nothing', () => {
    expect(offeredControls(progress({ status: 'paused' }, [[0, 'pending']])).map((c) => c.action)).toEqual(['resume', 'abort']);
    for (const status of ['completed', 'rolled_back', 'aborted', 'failed'] as const) expect(offeredControls(progress({ status }, [[0, 'healthy']]))).toEqual([]);
  });
});

describe('a rollout card', () => {
  it('counts each wave by outcome and shows versions before → after (the target while in flight)', () => {
    const p = progress({ currentWave: 1, runningBatches: ['b'] }, [[0, 'healthy'], [1, 'rolled-back'], [1, 'patching'], [1, 'failed']]);
    p.hosts[0] = { ...p.hosts[0]!, record: { before: { version: '1.0.0' }, target: { version: '2.0.0' } }, after: { version: '2.0.0' } };
    p.hosts[1] = { ...p.hosts[1]!, record: { before: { version: '1.0.0' }, target: { version: '2.0.0' } }, after: { version: '1.0.0' } };
    p.hosts[2] = { ...p.hosts[2]!, record: { before: { nginx: '1.24', openssl: '' }, target: { nginx: '1.26' } }, error: 'boom' };
    const card = rolloutCard(p, false);
    expect(card.waves.map(({ index, done, failed, rolledBack, active }) => [index, done, failed, rolledBack, active])).toEqual([[0, 1, 0, 0, 0], [1, 0, 1, 1, 1]]);
    expect(card.hosts[0]).toMatchObject({ before: '1.0.0', after: '2.0.0' });
    // Back on 1.0.0: the cell says what it went back from ("↩ rolled-back 1.0.0 (back from 2.0.0)"), not "1.0.0 → 1.0.0".
    expect(card.hosts[1]).toMatchObject({ state: 'rolled-back', before: '1.0.0', after: '2.0.0' });
    expect(card.hosts[2]).toMatchObject({ before: 'nginx 1.24, openssl (none)', after: '1.26', error: 'boom' });
    expect(rolloutCard({ ...p, status: 'rolled_back' }, true)).toMatchObject({ status: 'rolled-back', controls: [] });
    expect(versionText({})).toBeUndefined();
  });
});

describe('roles', () => {
  it('each role may do what the roles before it may, and no more', () => {
    expect([allows('viewer', 'read'), allows('viewer', 'control-rollout'), allows('operator', 'control-rollout'), allows('operator', 'apply'), allows('admin', 'override')]).toEqual([true, false, true, false, true]);
  });
});
