import { HOST_FACTS_SCRIPT, parseHostFacts, type HostFacts } from '../../policies/inventory/facts';
import type { HostShell, SshConnector, SshTarget } from './ssh';
import { tail } from './ssh';
import { withHost } from './withHost';

/** Runs the facts script over an open connection; read-only. */
export async function readHostFacts(shell: HostShell, host: string): Promise<HostFacts> {
  const result = await shell.run(HOST_FACTS_SCRIPT, { timeoutSeconds: 30 });
  if (result.exitCode !== 0) throw new Error(`${host}: facts script exited with ${result.exitCode}${tail(result.stderr)}`);
  return parseHostFacts(result.stdout);
}

export function createFactsActivities(deps: { ssh: SshConnector }) {
  return {
    /** Reads hostname, OS, kernel, uptime, boot id and free disk on / from one host. Read-only, so safe to retry. */
    async collectHostFacts(target: SshTarget): Promise<HostFacts> {
      return withHost(deps.ssh, target, (shell) => readHostFacts(shell, target.name));
    },
  };
}
