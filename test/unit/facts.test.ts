import { execFileSync } from 'node:child_process';
import { HOST_FACTS_SCRIPT, hostReadiness, MIN_FREE_BYTES, parseHostFacts, type HostFacts } from '../../policies/inventory/facts';

describe('host facts', () => {
  it('parses what the facts script prints on a real machine', () => {
    const facts = parseHostFacts(execFileSync('sh', ['-c', HOST_FACTS_SCRIPT], { encoding: 'utf8' }));
    expect(facts.hostname).toBe(execFileSync('cat', ['/proc/sys/kernel/hostname'], { encoding: 'utf8' }).trim());
    expect(facts.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(facts.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(facts.uptimeSeconds).toBeGreaterThan(0);
    expect(facts.rootFreeBytes).toBeGreaterThan(0);
  });

  it('says which fact is missing or malformed', () => {
    expect(() => parseHostFacts('hostname=a\n')).toThrow(/"os_id" missing/);
    expect(() => parseHostFacts('hostname=a\nos_id=debian\nos_version=12\nkernel=6\nuptime=abc\nboot_id=x\nroot_free_kb=1')).toThrow(/"uptime" is not a number/);
  });

  it('names what stands in the way of patching: low disk on / and a pending reboot (one check for the rollout and the window)', () => {
    const facts: HostFacts = { hostname: 'a', osId: 'debian', osVersion: '12', kernel: '6', uptimeSeconds: 1, bootId: 'b', rootFreeBytes: MIN_FREE_BYTES };
    expect(hostReadiness('web-1', facts)).toEqual({});
    expect(hostReadiness('web-1', { ...facts, rootFreeBytes: 50 * 1048576, rebootRequired: true })).toEqual({
      lowDisk: 'web-1: only 50 MiB free on /, at least 200 MiB needed',
      rebootPending: 'web-1: a reboot is pending (/run/reboot-required) from an earlier change',
    });
  });
});
