import type { z } from 'zod';
import type { commandStrategySchema } from '../../../policies/rollout';
import { renderCommand } from '../../../policies/templates';
import { changeChecked, runChecked, type PatchStrategy, type StrategyContext, type VersionRecord } from '../strategy';

type CommandStrategy = z.output<typeof commandStrategySchema>;

/** The component name used in version records of the command strategy. */
export const COMPONENT = 'version';

async function installed(ctx: StrategyContext, s: CommandStrategy): Promise<string> {
  const out = await runChecked(ctx, renderCommand(s.check, { host: ctx.host, target: s.target, rolloutId: ctx.rolloutId }), 60);
  return (out.split('\n')[0] ?? '').trim();
}

/** User-provided check/apply/rollback commands: `check` prints the installed version. */
export const commandStrategy: PatchStrategy<CommandStrategy> = {
  async preview(ctx, s) {
    const current = await installed(ctx, s);
    return current === s.target ? [] : [{ package: COMPONENT, from: current, to: s.target }];
  },

  async record(ctx, s): Promise<VersionRecord> {
    const current = await installed(ctx, s);
    return { before: { [COMPONENT]: current }, target: current === s.target ? {} : { [COMPONENT]: s.target } } satisfies VersionRecord;
  },

  async apply(ctx, s, record) {
    const current = await installed(ctx, s);
    if (current === s.target) return { installed: { [COMPONENT]: current }, alreadyApplied: true, record };
    ctx.heartbeat('applying');
    await changeChecked(ctx, `apply-${s.target}`, renderCommand(s.apply, { host: ctx.host, target: s.target, previous: record.before[COMPONENT] ?? '', rolloutId: ctx.rolloutId }));
    const after = await installed(ctx, s);
    if (after !== s.target) throw new Error(`${ctx.host.name}: after apply, \`check\` prints "${after}", expected "${s.target}"`);
    return { installed: { [COMPONENT]: after }, alreadyApplied: false, record };
  },

  async rollback(ctx, s, record: VersionRecord) {
    const previous = record.before[COMPONENT] ?? '';
    const current = await installed(ctx, s);
    if (current !== previous) {
      ctx.heartbeat('rolling back');
      await changeChecked(ctx, `rollback-to-${previous}`, renderCommand(s.rollback, { host: ctx.host, target: s.target, previous, rolloutId: ctx.rolloutId }));
    }
    const after = await installed(ctx, s);
    if (after !== previous) throw new Error(`${ctx.host.name}: after rollback, \`check\` prints "${after}", expected "${previous}"`);
    return { [COMPONENT]: after };
  },

  async rebootRequired(ctx) {
    const result = await ctx.shell.run('test -f /run/reboot-required', { timeoutSeconds: 30 });
    return result.exitCode === 0;
  },
};
