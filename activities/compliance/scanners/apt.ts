import { aptScanCommand, parseAptScan } from '../../../policies/compliance/aptScan';
import { aptUpdateCommand } from '../../../policies/rollout/packages/apt';
import { HostCommandError } from '../../hosts/ssh';
import type { ComplianceScanner } from './scanner';

/** Debian/Ubuntu: `apt list --upgradable`, holds, Release dates and the reboot check, in one command. */
export const aptScanner: ComplianceScanner = {
  async scan(shell, host, { refresh, timeoutSeconds }) {
    if (refresh) {
      const update = await shell.run(aptUpdateCommand(), { timeoutSeconds, become: true });
      if (update.exitCode !== 0) throw new HostCommandError(host, aptUpdateCommand(), update.exitCode, update.stderr || update.stdout);
    }
    const command = aptScanCommand();
    const result = await shell.run(command, { timeoutSeconds });
    if (result.exitCode !== 0) throw new HostCommandError(host, 'the apt compliance scan', result.exitCode, result.stderr || result.stdout);
    return parseAptScan(result.stdout);
  },
};
