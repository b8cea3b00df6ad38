import type { Strategy } from './policy';

/**
 * What a patch strategy declares for the workflows, which cannot import its activity code
 * (activities/patch/strategies/<kind>.ts). Pure data about the policy, no I/O.
 */
export interface StrategyDeclaration<S extends Strategy = Strategy> {
  /** The version health checks see as `{{target}}`; undefined when the strategy names none (apt, dnf patch to whatever is offered). */
  healthTarget(strategy: S): string | undefined;
}

/** Every `Strategy['kind']` declares itself here: a kind left out does not compile. */
export type StrategyDeclarations = { [K in Strategy['kind']]: StrategyDeclaration<Extract<Strategy, { kind: K }>> };

const DECLARATIONS: StrategyDeclarations = {
  apt: { healthTarget: () => undefined },
  dnf: { healthTarget: () => undefined },
  command: { healthTarget: (s) => s.target },
};

/** The `{{target}}` of `strategy`'s health checks, if it names one. */
export function healthTarget(strategy: Strategy): string | undefined {
  return (DECLARATIONS[strategy.kind] as StrategyDeclaration).healthTarget(strategy);
}
