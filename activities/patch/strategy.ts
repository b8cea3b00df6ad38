import { createHash } from 'node:crypto';
import type { Strategy } from '../../policies/rollout/policy';
import type { VersionRecord } from '../../policies/rollout/types';
import type { TemplateHost } from '../../policies/common/templates';
import type { JobResult } from '../hosts/jobs';
import { HostCommandError, type CommandResult, type HostShell } from '../hosts/ssh';

export { HostCommandError };

export type { VersionRecord };

export interface PlannedChange {
  package: string;
  from: string;
  to: string;
}

export interface StrategyContext {
  shell: HostShell;
  host: TemplateHost;
  rolloutId: string;
  commandTimeoutSeconds: number;
  /** Reports progress to Temporal (a no-op outside an activity). */
  heartbeat(step: string): void;
  /**
   * Runs a command that changes the host (install, downgrade, remove) as a detached job keyed by
   * rollout, host and `step`: a retry after a worker crash waits for the first run instead of
   * running it twice. Use it for every changing command; read-only commands use `shell.run`.
   * `then`: a read-only command run once the change is done, in the same SSH session (its answer
   * is the result's `then`): the check after a quick change costs no session of its own.
   */
  runChange(step: string, command: string, then?: { command: string; timeoutSeconds: number }): Promise<JobResult>;
}

/**
 * What the rollout decided for this host beyond the policy: with `packages: {baseline}`, the exact
 * package=version set to install (the rollout's preflight scan, versions fixed for the rollout).
 */
export interface HostPlanOptions {
  pinned?: Record<string, string>;
}

/**
 * One way of patching a host (apt, dnf, user commands, …): one implementation per file in
 * strategies/, registered in strategies/index.ts. Every method must be safe to run twice: a retry
 * after a worker crash repeats whatever step was in flight.
 */
export interface PatchStrategy<S extends Strategy = Strategy> {
  /** What would change on this host, read-only (`--dry-run`). */
  preview(ctx: StrategyContext, strategy: S, options?: HostPlanOptions): Promise<PlannedChange[]>;
  /** Records installed versions of everything the patch will change, before anything changes. */
  record(ctx: StrategyContext, strategy: S, options?: HostPlanOptions): Promise<VersionRecord>;
  /** Installs `record.target`. Must detect "already installed" and then change nothing. Returns the versions now installed. */
  apply(ctx: StrategyContext, strategy: S, record: VersionRecord): Promise<{ installed: Record<string, string>; alreadyApplied: boolean; record: VersionRecord }>;
  /** Puts back exactly `record.before`. Safe to repeat. Returns the versions now installed. */
  rollback(ctx: StrategyContext, strategy: S, record: VersionRecord): Promise<Record<string, string>>;
  /** Whether the host asks for a reboot after the patch (/run/reboot-required, needs-restarting -r, …). */
  rebootRequired(ctx: StrategyContext, strategy: S): Promise<boolean>;
}

/** `result`'s stdout; throws {@link HostCommandError} unless `command` exited 0. */
function stdoutOf(ctx: StrategyContext, command: string, result: CommandResult): string {
  if (result.exitCode !== 0) throw new HostCommandError(ctx.host.name, command, result.exitCode, result.stderr || result.stdout);
  return result.stdout;
}

/**
 * Runs a read-only command and throws {@link HostCommandError} unless it exits 0. `become`: it needs
 * the host's privilege escalation all the same (apt-get update writes apt's lists).
 */
export async function runChecked(ctx: StrategyContext, command: string, timeoutSeconds = ctx.commandTimeoutSeconds, options: { become?: boolean } = {}): Promise<string> {
  return stdoutOf(ctx, command, await ctx.shell.run(command, { timeoutSeconds, ...options }));
}

/** Runs a host-changing command as a retry-safe job ({@link StrategyContext.runChange}); throws unless it exits 0. */
export async function changeChecked(ctx: StrategyContext, step: string, command: string): Promise<string> {
  return stdoutOf(ctx, command, await ctx.runChange(step, command));
}

/**
 * {@link changeChecked} with the job keyed by `step` and the exact command: a retry of the same step
 * attaches to the job already started, while a different command never gets the recorded result of
 * an earlier one (the same step of a rollout is reused for 14 days). For strategies whose commands
 * are decided at run time (apt, dnf).
 */
export function changeKeyedByCommand(ctx: StrategyContext, step: string, command: string): Promise<string> {
  return changeChecked(ctx, `${step}-${createHash('sha256').update(command).digest('hex').slice(0, 16)}`, command);
}

/**
 * {@link changeChecked}, then the read-only `check` in the same SSH session; returns what `check`
 * printed. Throws unless both exit 0.
 */
export async function changeThenRunChecked(ctx: StrategyContext, step: string, command: string, check: { command: string; timeoutSeconds: number }): Promise<string> {
  const result = await ctx.runChange(step, command, check);
  stdoutOf(ctx, command, result);
  return stdoutOf(ctx, check.command, result.then!);
}
