import { toOutcome, type HostReport } from '../../policies/rollout/types';
import { batchWorkflowId, MAX_HOSTS_PER_BATCH_WORKFLOW, type RolloutCarry } from '../../workflows/patchRollout';

// Temporal rejects payloads over 2 MB (and warns above 256 KB); a rollout of 10,000 hosts must fit.
const TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024;

describe('what a rollout carries across continue-as-new', () => {
  it('stays well under Temporal\'s payload limit for 10,000 hosts, even with long errors on many', () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `web-${String(i).padStart(5, '0')}.eu-west-1`);
    const reports = names.map((name, i): HostReport => ({
      name, wave: Math.floor(i / 500), state: i % 10 === 0 ? 'rolled-back' : 'healthy', attempts: 1,
      record: { before: { openssl: '3.0.15-1~deb12u1', libssl3: '3.0.15-1~deb12u1' }, target: { openssl: '3.0.16-1~deb12u1', libssl3: '3.0.16-1~deb12u1' } },
      after: { openssl: '3.0.16-1~deb12u1', libssl3: '3.0.16-1~deb12u1' },
      ...(i % 10 === 0 ? { error: `${name}: unhealthy: ${'HTTP 503 '.repeat(400)}` } : {}),
    }));
    const carry: RolloutCarry = {
      nextWave: 12, reports: reports.map(toOutcome), failures: 1000, approvedWaves: [0], paused: false,
      batches: Array.from({ length: 10_000 / MAX_HOSTS_PER_BATCH_WORKFLOW }, (_, i) => batchWorkflowId('web-security-20261123-101500-ab12', Math.floor(i / 10), i % 10)),
    };
    const bytes = Buffer.byteLength(JSON.stringify(carry));
    expect(bytes).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT / 2);
    // Versions stay in the batch results, not in the rollout.
    expect(carry.reports[0]).toEqual({ name: names[0], wave: 0, state: 'rolled-back', attempts: 1, error: expect.any(String) });
    expect(carry.reports[0]!.error!.length).toBeLessThanOrEqual(200);
  });
});
