import type { HostPhase, RolloutProgress } from '../rollout/types';
import { readRolloutStatus } from '../rollout/types';

export type RolloutControlAction = 'pause' | 'resume' | 'approve' | 'abort';

/** A control the rollout accepts now, and what it does, in words shown before a person confirms. */
export interface OfferedControl {
  action: RolloutControlAction;
  consequence: string;
}

/** States of a host whose change has begun (in flight or done): what an abort of its batch rolls back. */
const CHANGED: ReadonlySet<HostPhase> = new Set(['draining', 'patching', 'rebooting', 'verifying', 'healthy', 'failed']);

const waveName = (p: RolloutProgress, index: number) => `wave ${index}${p.waves[index]?.canary ? ' (canary)' : ''}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The controls a rollout in this state accepts, each with its consequence ("abort rolls back 4
 * hosts in wave 3"). A finished rollout accepts none.
 */
export function offeredControls(p: RolloutProgress): OfferedControl[] {
  const status = readRolloutStatus(p.status);
  if (status !== 'running' && status !== 'paused' && status !== 'awaiting-approval') return [];
  const untouched = p.hosts.filter((h) => h.state === 'pending' || h.state === 'waiting').length;
  const inWave = p.hosts.filter((h) => h.wave === p.currentWave && CHANGED.has(h.state)).length;
  const batchInFlight = status !== 'awaiting-approval' && (p.runningBatches ?? []).length > 0 && inWave > 0;
  const abort: OfferedControl = {
    action: 'abort',
    consequence: batchInFlight
      ? `abort rolls back ${plural(inWave, 'host')} in ${waveName(p, p.currentWave)} and skips the ${plural(untouched, 'host')} not yet started; hosts of earlier waves keep their new version`
      : `abort skips the ${plural(untouched, 'host')} not yet started; hosts already patched keep their new version`,
  };
  const out: OfferedControl[] = [];
  if (status === 'awaiting-approval') {
    out.push({ action: 'approve', consequence: `approve lets the rollout go on after ${waveName(p, p.currentWave)}: ${plural(untouched, 'host')} still to patch` });
  }
  if (status === 'paused') out.push({ action: 'resume', consequence: `resume lets the rollout start hosts again (${plural(untouched, 'host')} still to patch)` });
  else out.push({ action: 'pause', consequence: 'pause lets the hosts being changed finish and starts no other until resumed' });
  out.push(abort);
  return out;
}
