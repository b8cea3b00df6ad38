import { z } from 'zod';
import { shellQuote } from '../common/shell';

/** Unix user names, as the inventory's `user`. */
const unixUser = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'expected a Unix user name (letters, digits, "_", "." or "-")');

/**
 * Privilege escalation on a host (Ansible's `become`): commands that change the host run as
 * `user` through `method`, never asking for a password (`sudo -n`): a host whose sudo wants one
 * is failed in preflight instead of hanging.
 */
export const becomeSchema = z
  .strictObject({
    method: z.literal('sudo').default('sudo').describe('How to become `user`: sudo (run non-interactively, `sudo -n`).'),
    user: unixUser.default('root').describe('The user commands that change the host run as (default root).'),
  })
  .describe('Run commands that change the host (apt, dnf, jobs, reboot, version records) through sudo as `user`. Needs a NOPASSWD sudoers rule for the SSH user.');

export type Become = z.output<typeof becomeSchema>;

/** The job directory of hosts that become root, unless their $MAINT_JOB_DIR names another: root's own. */
export const PRIVATE_JOB_DIR = '/var/lib/maint';

/**
 * `command` as the become user, for the host's shell. sudo's env_reset drops the SSH session's
 * environment, so the job directory ($MAINT_JOB_DIR, where the session sets it; as root by default
 * {@link PRIVATE_JOB_DIR}) is passed on explicitly, with MAINT_JOB_DIR_PRIVATE: the job runner then
 * refuses a directory that is not the become user's own (mode 0700, no symlink). Everything else
 * the command needs it names itself.
 */
export function becomeCommand(command: string, become: Become | undefined): string {
  if (become === undefined) return command;
  const jobDir = become.user === 'root' ? `\${MAINT_JOB_DIR:-${PRIVATE_JOB_DIR}}` : '${MAINT_JOB_DIR:-}';
  return `sudo -n -u ${shellQuote(become.user)} -- env "MAINT_JOB_DIR=${jobDir}" MAINT_JOB_DIR_PRIVATE=1 sh -c ${shellQuote(command)}`;
}

/** A script printing `become=ok`, `become=missing` (no sudo) or `become=failed <sudo's first line>`. */
export function becomeProbeScript(become: Become): string {
  return `if ! command -v sudo >/dev/null 2>&1; then echo become=missing; elif b=$(${becomeCommand('true', become)} 2>&1 < /dev/null); then echo become=ok; else printf 'become=failed %s\\n' "$(printf '%s\\n' "$b" | head -n 1)"; fi`;
}

/**
 * Why `user` cannot become on `host`, from what {@link becomeProbeScript} printed; undefined when it can.
 * One sentence that says what to change on the host.
 */
export function becomeProblem(host: string, user: string, become: Become, probe: string | undefined): string | undefined {
  if (probe === 'ok') return undefined;
  const rule = `\`${user} ALL=(${become.user}) NOPASSWD: ALL\` in /etc/sudoers.d/maint`;
  if (probe === 'missing') return `${host}: sudo is not installed, and the inventory says to become ${become.user} with it: install sudo and add a NOPASSWD rule for ${user} (e.g. ${rule})`;
  const said = (probe ?? '').replace(/^failed ?/, '').trim();
  if (/password is required|a terminal is required/i.test(said)) {
    return `sudo needs a password for ${user} on ${host}: add a NOPASSWD rule for ${user} (e.g. ${rule})`;
  }
  return `sudo -n refused to run commands as ${become.user} for ${user} on ${host}${said ? ` (${said})` : ''}: add a NOPASSWD rule for ${user} (e.g. ${rule})`;
}
