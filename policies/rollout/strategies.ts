import type { BaselinePackages, Strategy } from './policy';

/**
 * What a patch strategy declares for the workflows, which cannot import its activity code
 * (activities/patch/strategies/<kind>.ts). Pure data about the policy, no I/O.
 */
export interface StrategyDeclaration<S extends Strategy = Strategy> {
  /** The version health checks see as `{{target}}`; undefined when the strategy names none (apt, dnf patch to whatever is offered). */
  healthTarget(strategy: S): string | undefined;
  /** The PatchBaseline whose approved versions it installs (`packages: {baseline}`), if any. */
  baseline(strategy: S): BaselinePackages | undefined;
}

/** `packages` of apt and dnf: a baseline reference, or a list / all / security. */
function packagesBaseline(packages: Extract<Strategy, { kind: 'apt' }>['packages']): BaselinePackages | undefined {
  return typeof packages === 'object' && !Array.isArray(packages) ? packages : undefined;
}

/** Every `Strategy['kind']` declares itself here: a kind left out does not compile. */
export type StrategyDeclarations = { [K in Strategy['kind']]: StrategyDeclaration<Extract<Strategy, { kind: K }>> };

const DECLARATIONS: StrategyDeclarations = {
  apt: { healthTarget: () => undefined, baseline: (s) => packagesBaseline(s.packages) },
  dnf: { healthTarget: () => undefined, baseline: (s) => packagesBaseline(s.packages) },
  command: { healthTarget: (s) => s.target, baseline: () => undefined },
};

/** The `{{target}}` of `strategy`'s health checks, if it names one. */
export function healthTarget(strategy: Strategy): string | undefined {
  return (DECLARATIONS[strategy.kind] as StrategyDeclaration).healthTarget(strategy);
}

/** The strategy's baseline, when its packages name one. */
export function strategyBaseline(strategy: Strategy): BaselinePackages | undefined {
  return (DECLARATIONS[strategy.kind] as StrategyDeclaration).baseline(strategy);
}
