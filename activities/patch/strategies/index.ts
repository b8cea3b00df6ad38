import type { Strategy } from '../../../policies/rollout/policy';
import type { PatchStrategy } from '../strategy';
import { aptStrategy } from './apt';
import { commandStrategy } from './command';
import { dnfStrategy } from './dnf';

/** One implementation per `Strategy['kind']`: a kind left out does not compile. */
export type StrategyRegistry = { [K in Strategy['kind']]: PatchStrategy<Extract<Strategy, { kind: K }>> };

/** The strategy implementations by `strategy.kind`; adding one is a new file plus one line here. */
const STRATEGIES: StrategyRegistry = {
  apt: aptStrategy,
  dnf: dnfStrategy,
  command: commandStrategy,
};

export function strategyFor<S extends Strategy>(strategy: S): PatchStrategy<S> {
  return STRATEGIES[strategy.kind] as unknown as PatchStrategy<S>;
}
