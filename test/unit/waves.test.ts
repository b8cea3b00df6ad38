import { parsePolicyText } from '../../policies/common/parse';
import { rolloutPolicySchema, targetProblems } from '../../policies/rollout/policy';
import { batchSize, failuresTolerated, orderByZone, planTargetWaves, planWaves, waveProblems } from '../../policies/rollout/waves';

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

describe('zone-aware waves (waves.byZone)', () => {
  const settings = (canary: number, batches: Array<number | string>, maxUnavailable: number | string = 1000) =>
    ({ canary, batches: batches as never, maxUnavailable: maxUnavailable as never, byZone: true });
  /** Zones as one letter per host, e.g. 'aaabbc'; the waves as [zone, size]. */
  const zoneWaves = (zones: string, canary: number, batches: Array<number | string>) =>
    planWaves(zones.length, settings(canary, batches), [...zones]).map((w) => [w.zone, w.size]);

  it('orders hosts zone by zone, zones in the order of their first host, hosts in their own order within a zone', () => {
    const hosts = ['w1:b', 'w2:a', 'w3:b', 'w4:c', 'w5:a', 'w6:b'].map((s) => ({ name: s.split(':')[0]!, az: s.split(':')[1]! }));
    expect(orderByZone(hosts, (h) => h.az).map((h) => h.name)).toEqual(['w1', 'w3', 'w6', 'w2', 'w5', 'w4']);
    expect(orderByZone([], () => 'a')).toEqual([]);
  });

  it('ends a wave at a zone boundary; the next wave, with the next size, starts in the next zone', () => {
    expect(zoneWaves('aaaabbbb', 1, [2, '100%'])).toEqual([['a', 1], ['a', 2], ['a', 1], ['b', 4]]);
    // Sizes stay percentages of all 10 hosts: 50% is 5, cut at each zone's end.
    expect(zoneWaves('aaaaaaabbb', 0, ['50%'])).toEqual([['a', 5], ['a', 2], ['b', 3]]);
  });

  it('one zone: the same waves as without zones', () => {
    const zones = [...'aaaaaaaaaa'];
    const plain = planWaves(10, settings(1, [1, '10%', '50%', '100%']));
    expect(planWaves(10, settings(1, [1, '10%', '50%', '100%']), zones)).toEqual(plain.map((w) => ({ ...w, zone: 'a' })));
  });

  it('a zone of 1 host is a wave of its own', () => {
    expect(zoneWaves('abbbc', 0, ['100%'])).toEqual([['a', 1], ['b', 3], ['c', 1]]);
    expect(zoneWaves('abbb', 1, ['100%'])).toEqual([['a', 1], ['b', 3]]);
  });

  it('parallelism is capped by maxUnavailable of all targets, and by the (cut) wave', () => {
    const waves = planWaves(6, settings(0, ['100%'], 2), [...'aaabcc']);
    expect(waves.map((w) => [w.zone, w.start, w.size, w.parallelism])).toEqual([['a', 0, 3, 2], ['b', 3, 1, 1], ['c', 4, 2, 2]]);
  });

  it('never puts two zones in a wave and covers every host once, whatever the sizes', () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let run = 0; run < 200; run++) {
      const total = 1 + random(40);
      const zones = orderByZone(Array.from({ length: total }, () => 'abcd'[random(4)]!), (z) => z);
      const batches = Array.from({ length: 1 + random(3) }, () => (random(2) === 0 ? 1 + random(10) : `${1 + random(100)}%`));
      const waves = planWaves(total, settings(Math.min(random(3), zones.filter((z) => z === zones[0]).length), batches), zones);
      let next = 0;
      for (const w of waves) {
        expect(w.start).toBe(next);
        expect(new Set(zones.slice(w.start, w.start + w.size))).toEqual(new Set([w.zone]));
        next += w.size;
      }
      expect(next).toBe(total);
    }
  });

  it('planTargetWaves orders the hosts only with byZone', () => {
    const hosts = [{ n: 'x', z: 'b' }, { n: 'y', z: 'a' }, { n: 'z', z: 'b' }];
    const zoned = planTargetWaves(hosts, settings(1, ['100%']), (h) => h.z);
    expect(zoned.hosts.map((h) => h.n)).toEqual(['x', 'z', 'y']);
    expect(zoned.waves.map((w) => [w.zone, w.size, w.canary])).toEqual([['b', 1, true], ['b', 1, false], ['a', 1, false]]);
    const plain = planTargetWaves(hosts, { ...settings(1, ['100%']), byZone: false }, (h) => h.z);
    expect(plain.hosts.map((h) => h.n)).toEqual(['x', 'y', 'z']);
    expect(plain.waves.map((w) => [w.zone, w.size])).toEqual([[undefined, 1], [undefined, 2]]);
  });

  it('refuses a canary bigger than the first zone (it would be clipped or span two zones)', () => {
    expect(waveProblems(5, settings(3, ['100%']), [...'aabbb'])).toEqual([
      { path: 'waves.canary', message: 'with waves.byZone the canary comes from the first zone, "a", which has 2 hosts: a canary of 3 would span two zones; expected at most 2' },
    ]);
    expect(waveProblems(5, settings(2, ['100%']), [...'aabbb'])).toEqual([]);
    expect(waveProblems(5, settings(6, ['100%']), [...'aabbb'])[0]!.message).toMatch(/more than the 5 hosts the targets select/);
  });
});

describe('zone-aware waves: refused before anything starts (targetProblems)', () => {
  const POLICY = 'apiVersion: maint/v1\nkind: RolloutPolicy\nname: p\ntargets: {inventory: inventory.yaml}\nstrategy: {kind: apt, packages: security}\n';
  const hosts = (azs: Array<string | undefined>) => azs.map((az, i) => ({ name: `web-${i + 1}`, tags: az === undefined ? { role: 'web' } : { role: 'web', az } as Record<string, string> }));
  const problems = (waves: string, azs: Array<string | undefined>) =>
    targetProblems(parsePolicyText(`${POLICY}waves: ${waves}\n`, 'policy.yaml', rolloutPolicySchema), hosts(azs));

  it('names waves.byZone, how many hosts have no az tag, and up to 5 of them', () => {
    const azs = [undefined, 'a', undefined, undefined, undefined, undefined, undefined, 'b'];
    expect(problems('{byZone: true}', azs)).toEqual([{
      path: 'waves.byZone',
      message: 'zone-aware waves need the zone of every host: 6 of the 8 targeted hosts have no tag "az" (web-1, web-3, web-4, web-5, web-6 and 1 more)',
    }]);
    expect(problems('{byZone: true}', ['a', undefined])[0]!.message).toContain('1 of the 2 targeted hosts has no tag "az" (web-2)');
    expect(problems('{byZone: false}', [undefined, undefined])).toEqual([]);
  });

  it('counts the first zone in zone order: hosts of it later in the targets belong to it', () => {
    expect(problems('{byZone: true, canary: 2}', ['a', 'b', 'a'])).toEqual([]);
    expect(problems('{byZone: true, canary: 3}', ['a', 'b', 'a'])[0]!.path).toBe('waves.canary');
  });
});
