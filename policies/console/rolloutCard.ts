import { readRolloutStatus, type HostPhase, type RolloutProgress, type RolloutStatus } from '../rollout/types';
import { offeredControls, type OfferedControl } from './rolloutControls';

/** A host as the console's grid shows it. */
export interface HostCell {
  name: string;
  wave: number;
  state: HostPhase;
  /** `1.0.0`, or `nginx 1.24, openssl 3.0` for several packages; absent before it was read. */
  before?: string;
  /** What it has now (after its work), else what it is being moved to; for a rolled-back host, what it was moved to before it went back. */
  after?: string;
  error?: string;
  waiting?: string;
}

export interface WaveBar {
  index: number;
  size: number;
  canary: boolean;
  state: RolloutProgress['waves'][number]['state'];
  /** Hosts of the wave per outcome, for the bar's segments. */
  done: number;
  failed: number;
  rolledBack: number;
  active: number;
}

/** One rollout as the Now page and the rollout page show it (the JSON of /api/rollouts/:id). */
export interface RolloutCard {
  rolloutId: string;
  policy: string;
  status: RolloutStatus;
  finished: boolean;
  currentWave: number;
  message?: string;
  failures: number;
  failuresTolerated: number;
  waves: WaveBar[];
  hosts: HostCell[];
  controls: OfferedControl[];
}

const ACTIVE: ReadonlySet<HostPhase> = new Set(['preflight', 'draining', 'patching', 'rebooting', 'verifying', 'rolling-back']);

/** `1.0.0` for one package (or the command strategy's `version`), `a 1, b 2` for several. */
export function versionText(versions: Record<string, string> | undefined): string | undefined {
  if (!versions) return undefined;
  const entries = Object.entries(versions);
  if (entries.length === 0) return undefined;
  if (entries.length === 1) return entries[0]![1] || '(none)';
  return entries.map(([pkg, v]) => `${pkg} ${v || '(none)'}`).join(', ');
}

export function rolloutCard(p: RolloutProgress, finished: boolean): RolloutCard {
  const hosts: HostCell[] = p.hosts.map((h) => {
    const before = versionText(h.record?.before);
    const after = (h.state === 'rolled-back' ? undefined : versionText(h.after)) ?? versionText(h.record?.target);
    return {
      name: h.name, wave: h.wave, state: h.state,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
      ...(h.error !== undefined ? { error: h.error } : {}),
      ...(h.waiting !== undefined ? { waiting: h.waiting } : {}),
    };
  });
  const waves = p.waves.map((w) => {
    const of = hosts.filter((h) => h.wave === w.index);
    return {
      index: w.index, size: w.size, canary: w.canary, state: w.state,
      done: of.filter((h) => h.state === 'healthy').length,
      failed: of.filter((h) => h.state === 'failed').length,
      rolledBack: of.filter((h) => h.state === 'rolled-back').length,
      active: of.filter((h) => ACTIVE.has(h.state)).length,
    };
  });
  return {
    rolloutId: p.rolloutId, policy: p.policy, status: readRolloutStatus(p.status), finished, currentWave: p.currentWave,
    ...(p.message !== undefined ? { message: p.message } : {}),
    failures: p.failures, failuresTolerated: p.failuresTolerated, waves, hosts,
    controls: finished ? [] : offeredControls(p),
  };
}
