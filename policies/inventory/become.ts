import { z } from 'zod';
import { shellQuote } from '../common/shell';

/** Unix user names, as the inventory's `user`. */
const unixUser = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'expected a Unix user name (letters, digits, "_", "." or "-")');

/**
 * Privilege escalation on a host (Ansible's `become`): commands that change the host run as
 * `user` through `method`, never asking for a password (`sudo -n`, `doas -n`): a host whose sudo
 * or doas wants one is failed in preflight instead of hanging.
 */
export const becomeSchema = z
  .strictObject({
    method: z.enum(['sudo', 'doas']).default('sudo').describe('How to become `user`: sudo or doas (OpenBSD\'s, Debian package opendoas), always non-interactively (`-n`).'),
    user: unixUser.default('root').describe('The user commands that change the host run as (default root).'),
  })
  .describe('Run commands that change the host (apt, dnf, jobs, reboot, version records) through sudo or doas as `user`. Needs a NOPASSWD sudoers rule (`permit nopass` doas rule) for the SSH user.');

export type Become = z.output<typeof becomeSchema>;

/** The job directory of hosts that become root, unless their $MAINT_JOB_DIR names another: root's own. */
export const PRIVATE_JOB_DIR = '/var/lib/maint';

/**
 * `command` as the become user, for the host's shell. sudo's env_reset (and doas, which keeps only
 * a few variables unless told) drops the SSH session's
 * environment, so the job directory ($MAINT_JOB_DIR, where the session sets it; as root by default
 * {@link PRIVATE_JOB_DIR}) is passed on explicitly, with MAINT_JOB_DIR_PRIVATE: the job runner then
 * refuses a directory that is not the become user's own (mode 0700, no symlink). Everything else
 * the command needs it names itself.
 */
export function becomeCommand(command: string, become: Become | undefined): string {
  if (become === undefined) return command;
  const jobDir = become.user === 'root' ? `\${MAINT_JOB_DIR:-${PRIVATE_JOB_DIR}}` : '${MAINT_JOB_DIR:-}';
  return `${become.method} -n -u ${shellQuote(become.user)} -- env "MAINT_JOB_DIR=${jobDir}" MAINT_JOB_DIR_PRIVATE=1 sh -c ${shellQuote(command)}`;
}

/** The rule that lets `user` become `become.user` without a password, and where it goes. */
function passwordlessRule(user: string, become: Become): string {
  return become.method === 'doas'
    ? `\`permit nopass ${user} as ${become.user}\` in /etc/doas.conf`
    : `\`${user} ALL=(${become.user}) NOPASSWD: ALL\` in /etc/sudoers.d/maint`;
}

/** A script printing `become=ok`, `become=missing` (no sudo/doas) or `become=failed <its first line>`. */
export function becomeProbeScript(become: Become): string {
  return `if ! command -v ${become.method} >/dev/null 2>&1; then echo become=missing; elif b=$(${becomeCommand('true', become)} 2>&1 < /dev/null); then echo become=ok; else printf 'become=failed %s\\n' "$(printf '%s\\n' "$b" | head -n 1)"; fi`;
}

/**
 * Why `user` cannot become on `host`, from what {@link becomeProbeScript} printed; undefined when it can.
 * One sentence that says what to change on the host.
 */
export function becomeProblem(host: string, user: string, become: Become, probe: string | undefined): string | undefined {
  if (probe === 'ok') return undefined;
  const m = become.method;
  const rule = passwordlessRule(user, become);
  const what = m === 'doas' ? 'a nopass rule' : 'a NOPASSWD rule';
  if (probe === 'missing') return `${host}: ${m} is not installed, and the inventory says to become ${become.user} with it: install ${m === 'doas' ? 'doas (Debian: opendoas)' : 'sudo'} and add ${what} for ${user} (e.g. ${rule})`;
  const said = (probe ?? '').replace(/^failed ?/, '').trim();
  // sudo: "a password is required"; doas -n with a rule that is not nopass: "Authentication required".
  if (/password is required|a terminal is required|authentication required/i.test(said)) {
    return `${m} needs a password for ${user} on ${host}: add ${what} for ${user} (e.g. ${rule})`;
  }
  return `${m} -n refused to run commands as ${become.user} for ${user} on ${host}${said ? ` (${said})` : ''}: add ${what} for ${user} (e.g. ${rule})`;
}
