import { dnfPendingUpdates, parseDnfUpdateinfoText } from '../../../policies/compliance/dnfUpdateinfo';
import { checkUpdateHasUpdates, dnfCheckUpdateCommand, dnfRebootCheckCommand, parseDnfCheckUpdate, parseRpmQuery, rebootFromNeedsRestarting, rpmQueryCommand } from '../../../policies/rollout/packages/dnf';
import { HostCommandError } from '../../hosts/ssh';
import type { ComplianceScanner } from './scanner';

const UPDATEINFO_LIST = 'LC_ALL=C dnf -q updateinfo list --updates';
const UPDATEINFO_INFO = 'LC_ALL=C dnf -q updateinfo info --updates';

/**
 * RHEL family: `dnf check-update` for the candidates, `updateinfo` (dnf4's text, which dnf5 prints
 * too) for type, severity, CVEs and issued dates, `needs-restarting -r` for the reboot. Tested on
 * the test machine's real dnf 4 in a sandboxed installroot (test/activities/dnfStrategy.test.ts).
 */
export const dnfScanner: ComplianceScanner = {
  async scan(shell, host, { refresh, timeoutSeconds }) {
    const run = async (command: string, okCodes: number[] = [0], become = false) => {
      const result = await shell.run(command, { timeoutSeconds, become });
      if (!okCodes.includes(result.exitCode)) throw new HostCommandError(host, command, result.exitCode, result.stderr || result.stdout);
      return result;
    };
    const check = await run(dnfCheckUpdateCommand('all', { refresh }), [0, 100], refresh);
    const updates = checkUpdateHasUpdates(check.exitCode) ? parseDnfCheckUpdate(check.stdout) : [];
    const installed = Object.fromEntries(Object.entries(parseRpmQuery((await run(rpmQueryCommand())).stdout)).map(([k, v]) => [k, v[v.length - 1] ?? '']));
    const advisories = updates.length === 0 ? [] : parseDnfUpdateinfoText((await run(UPDATEINFO_LIST)).stdout, (await run(UPDATEINFO_INFO)).stdout);
    const reboot = await run(dnfRebootCheckCommand(), [0, 1]);
    return { updates: dnfPendingUpdates(updates, installed, advisories), rebootRequired: rebootFromNeedsRestarting(reboot.exitCode) };
  },
};
