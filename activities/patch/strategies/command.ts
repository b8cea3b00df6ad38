import type { z } from 'zod';
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../../policies/common/failures';
import type { commandStrategySchema } from '../../../policies/rollout/policy';
import { renderCommand } from '../../../policies/common/templates';
import { changeThenRunChecked, runChecked, type PatchStrategy, type StrategyContext, type VersionRecord } from '../strategy';

type CommandStrategy = z.output<typeof commandStrategySchema>;

/** The component name used in version records of the command strategy. */
export const COMPONENT = 'version';

const CHECK_TIMEOUT_SECONDS = 60;

function checkCommand(ctx: StrategyContext, s: CommandStrategy): string {
  return renderCommand(s.check, { host: ctx.host, target: s.target, rolloutId: ctx.rolloutId });
}

function version(checkOutput: string): string {
  return (checkOutput.split('\n')[0] ?? '').trim();
}

async function installed(ctx: StrategyContext, s: CommandStrategy): Promise<string> {
  return version(await runChecked(ctx, checkCommand(ctx, s), CHECK_TIMEOUT_SECONDS));
}

/** Runs `command` as a retry-safe job, then `check` in the same SSH session; returns the version it prints. */
async function changeThenCheck(ctx: StrategyContext, s: CommandStrategy, step: string, command: string): Promise<string> {
  return version(await changeThenRunChecked(ctx, step, command, { command: checkCommand(ctx, s), timeoutSeconds: CHECK_TIMEOUT_SECONDS }));
}

/** User-provided check/apply/rollback commands: `check` prints the installed version. */
export const commandStrategy: PatchStrategy<CommandStrategy> = {
  async preview(ctx, s) {
    const current = await installed(ctx, s);
    return current === s.target ? [] : [{ package: COMPONENT, from: current, to: s.target }];
  },

  async record(ctx, s): Promise<VersionRecord> {
    const current = await installed(ctx, s);
    // What `check` prints now is what a rollback puts back as {{previous}}: one shell word whatever
    // it holds (templates quote it), but one beginning with "-" a command would take for an option.
    if (current.startsWith('-')) {
      throw ApplicationFailure.nonRetryable(
        `${ctx.host.name}: \`check\` printed ${JSON.stringify(current.slice(0, 80))}, which begins with "-": a rollback would pass it to your rollback command as {{previous}}, where it would read as an option; refusing before anything changes`,
        FAILURE.HostStateInvalid,
      );
    }
    return { before: { [COMPONENT]: current }, target: current === s.target ? {} : { [COMPONENT]: s.target } } satisfies VersionRecord;
  },

  async apply(ctx, s, record) {
    const current = await installed(ctx, s);
    if (current === s.target) return { installed: { [COMPONENT]: current }, alreadyApplied: true, record };
    ctx.heartbeat('applying');
    const after = await changeThenCheck(ctx, s, `apply-${s.target}`, renderCommand(s.apply, { host: ctx.host, target: s.target, previous: record.before[COMPONENT] ?? '', rolloutId: ctx.rolloutId }));
    if (after !== s.target) throw new Error(`${ctx.host.name}: after apply, \`check\` prints "${after}", expected "${s.target}"`);
    return { installed: { [COMPONENT]: after }, alreadyApplied: false, record };
  },

  async rollback(ctx, s, record: VersionRecord) {
    const previous = record.before[COMPONENT] ?? '';
    let after = await installed(ctx, s);
    if (after !== previous) {
      ctx.heartbeat('rolling back');
      after = await changeThenCheck(ctx, s, `rollback-to-${previous}`, renderCommand(s.rollback, { host: ctx.host, target: s.target, previous, rolloutId: ctx.rolloutId }));
    }
    if (after !== previous) throw new Error(`${ctx.host.name}: after rollback, \`check\` prints "${after}", expected "${previous}"`);
    return { [COMPONENT]: after };
  },

  async rebootRequired(ctx) {
    const result = await ctx.shell.run('test -f /run/reboot-required', { timeoutSeconds: 30 });
    return result.exitCode === 0;
  },
};
