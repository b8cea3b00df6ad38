import type { Become } from '../../policies/inventory/become';
import { hostFactsScript, parseHostFacts, type HostFacts } from '../../policies/inventory/facts';
import type { HostShell, SshConnector, SshTarget } from './ssh';
import { HostCommandError } from './ssh';
import { withHost } from './withHost';

/**
 * Runs the facts script over an open connection; read-only. With `become`, it also tries it
 * (`sudo -n true`), which {@link hostReadiness} turns into the reason a host cannot be patched.
 * The one facts read of the rollout's preflight, the window's pre-flight and `maint hosts facts`.
 */
export async function readHostFacts(shell: HostShell, host: { name: string; become?: Become | undefined }): Promise<HostFacts> {
  const script = hostFactsScript(host.become);
  const result = await shell.run(script, { timeoutSeconds: 30 });
  if (result.exitCode !== 0) throw new HostCommandError(host.name, 'the host facts script', result.exitCode, result.stderr);
  return parseHostFacts(result.stdout);
}

export function createFactsActivities(deps: { ssh: SshConnector }) {
  return {
    /** Reads hostname, OS, kernel, uptime, boot id and free disk on / from one host. Read-only, so safe to retry. */
    async collectHostFacts(target: SshTarget): Promise<HostFacts> {
      return withHost(deps.ssh, target, (shell) => readHostFacts(shell, target));
    },
  };
}
