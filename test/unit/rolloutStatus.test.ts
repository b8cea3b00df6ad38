import { publishedRolloutStatus, readRolloutStatus } from '../../policies/rollout/types';

describe('rollout status spelling', () => {
  it('reads the old spelling of recorded rollouts as the one the code uses', () => {
    expect(readRolloutStatus('rolled_back')).toBe('rolled-back');
    expect(readRolloutStatus('rolled-back')).toBe('rolled-back');
    expect(readRolloutStatus('cut-off')).toBe('cut-off');
  });

  it('publishes rolled-back as users and scripts have always seen it', () => {
    expect(publishedRolloutStatus('rolled-back')).toBe('rolled_back');
    expect(publishedRolloutStatus('rolled_back')).toBe('rolled_back');
    expect(publishedRolloutStatus('completed-with-failures')).toBe('completed-with-failures');
  });
});
