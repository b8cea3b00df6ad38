import { batchSize, failuresTolerated, planWaves } from '../../policies/rollout/waves';

const sizes = (total: number, canary: number, batches: Array<number | string>, maxUnavailable: number | string = 1000) =>
  planWaves(total, { canary, batches: batches as never, maxUnavailable: maxUnavailable as never }).map((w) => w.size);

describe('wave planning', () => {
  it('plans nothing for no hosts', () => {
    expect(planWaves(0, { canary: 1, batches: [1, '10%'], maxUnavailable: 1 })).toEqual([]);
  });

  it('handles a single host: the canary is the whole fleet', () => {
    expect(sizes(1, 1, [1, '10%', '50%', '100%'])).toEqual([1]);
    expect(sizes(1, 0, ['50%'])).toEqual([1]);
  });

  it('handles 3 hosts with percentages that round to 0 (a batch is never empty)', () => {
    expect(sizes(3, 1, [1, '10%', '50%', '100%'])).toEqual([1, 1, 1]);
    expect(sizes(3, 0, ['10%'])).toEqual([1, 1, 1]);
  });

  it('repeats the last batch size until every host has a wave (Ansible serial)', () => {
    expect(sizes(10, 0, [2, 3])).toEqual([2, 3, 3, 2]);
    expect(sizes(10, 1, [1, '10%', '50%', '100%'])).toEqual([1, 1, 1, 5, 2]);
  });

  it('plans 1000 hosts: percentages are of all targeted hosts', () => {
    const waves = planWaves(1000, { canary: 1, batches: [1, '10%', '50%', '100%'], maxUnavailable: '5%' });
    expect(waves.map((w) => w.size)).toEqual([1, 1, 100, 500, 398]);
    expect(waves.map((w) => w.start)).toEqual([0, 1, 2, 102, 602]);
    expect(waves.reduce((n, w) => n + w.size, 0)).toBe(1000);
    expect(waves.map((w) => w.parallelism)).toEqual([1, 1, 50, 50, 50]);
    expect(waves[0]!.canary).toBe(true);
    expect(waves.slice(1).every((w) => !w.canary)).toBe(true);
  });

  it('caps how many hosts of a wave are out of service at once with maxUnavailable', () => {
    const waves = planWaves(6, { canary: 0, batches: ['100%'], maxUnavailable: 2 });
    expect(waves).toEqual([{ index: 0, start: 0, size: 6, parallelism: 2, canary: false }]);
    expect(planWaves(6, { canary: 0, batches: [3], maxUnavailable: '10%' }).map((w) => w.parallelism)).toEqual([1, 1]);
  });

  it('rounds batch percentages down and thresholds down (possibly to zero)', () => {
    expect(batchSize('33%', 10)).toBe(3);
    expect(batchSize('0%', 10)).toBe(1);
    expect(failuresTolerated('10%', 9)).toBe(0);
    expect(failuresTolerated('10%', 20)).toBe(2);
    expect(failuresTolerated(3, 20)).toBe(3);
  });
});
