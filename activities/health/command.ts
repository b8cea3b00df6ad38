import { renderCommand } from '../../policies/common/templates';
import type { HealthCheckRunner } from './check';

type CommandCheck = Extract<Parameters<HealthCheckRunner>[0], { kind: 'command' }>;

export const commandCheck: HealthCheckRunner<CommandCheck> = async (check, ctx) => {
  const command = renderCommand(check.command, ctx.values);
  const shell = await ctx.shell();
  const result = await shell.run(command, { timeoutSeconds: Math.max(1, Math.ceil(ctx.timeoutMs / 1000)) });
  const output = (result.stdout + result.stderr).trim().split('\n').slice(-1)[0]?.slice(0, 160) ?? '';
  return { ok: result.exitCode === 0, detail: `\`${command}\` exited ${result.exitCode}${output ? `: ${output}` : ''}` };
};
