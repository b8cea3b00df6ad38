import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Unix user made for one test (unique name, its own home), and its sudoers drop-in if it gets
 * one: both removed by `remove()`, and by a process-exit hook if the test file crashes first, so
 * no test depends on a user an earlier run left. Needs root (the tests run as root) and Debian's
 * sudo (scripts/test.sh installs it).
 */
export interface HostUser {
  name: string;
  home: string;
  /** The drop-in in /etc/sudoers.d, if the user has a rule. */
  sudoersFile?: string;
  /** Whether the user has a rule in /etc/doas.conf (one line, marked with the user's name). */
  doasRule?: boolean;
  remove(): void;
}

const made = new Set<HostUser>();
process.once('exit', () => {
  for (const user of made) user.remove();
});

/**
 * doas has one configuration file (no drop-in directory): each test user's rule is one line of it,
 * ending in `# NAME`, added and removed by editing the file in place; the file is checked with
 * `doas -C` before it replaces the old one (root's, mode 0600, as doas insists) and removed when no
 * rule is left, so a machine without one is left without one.
 */
const DOAS_CONF = '/etc/doas.conf';
function editDoasConf(edit: (lines: string[]) => string[]): void {
  const lines = edit(existsSync(DOAS_CONF) ? readFileSync(DOAS_CONF, 'utf8').split('\n').filter((l) => l !== '') : []);
  if (lines.length === 0) {
    rmSync(DOAS_CONF, { force: true });
    return;
  }
  const draft = `${DOAS_CONF}.maint-test-${process.pid}`;
  writeFileSync(draft, `${lines.join('\n')}\n`, { mode: 0o600 });
  try {
    execFileSync('doas', ['-C', draft], { stdio: 'pipe' });
    renameSync(draft, DOAS_CONF);
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * `sudo`: the rule to give the user (`NOPASSWD`: `NAME ALL=(root) NOPASSWD: ALL`, as the README
 * tells operators; `password`: the same rule without NOPASSWD, so sudo -n refuses; none: no rule).
 * `doas`: a line in /etc/doas.conf (`permit nopass NAME as root`, or without nopass so doas -n refuses).
 * `keepEnv`: variables the test fleet's sessions carry (sshd SetEnv) that the hosts' commands
 * read, kept through sudo's env_reset for this user only: the tests' stand-ins for a host's files.
 * Never MAINT_JOB_DIR: the runner must pass the job directory on itself.
 */
export function createHostUser(options: { sudo?: 'NOPASSWD' | 'password'; doas?: 'nopass' | 'password'; keepEnv?: string[] } = {}): HostUser {
  if (process.getuid?.() !== 0) throw new Error('createHostUser: the tests that make users run as root');
  if (!existsSync('/usr/bin/sudo')) throw new Error('sudo is not installed: scripts/test.sh installs Debian\'s sudo; or `apt-get install sudo`');
  if (options.keepEnv?.includes('MAINT_JOB_DIR')) throw new Error('createHostUser: MAINT_JOB_DIR must not be kept by sudoers; the runner passes it');
  const name = `mt-${randomBytes(5).toString('hex')}`;
  const parent = mkdtempSync(join(tmpdir(), 'maint-user-'));
  chmodSync(parent, 0o755); // sshd enters the home as the user
  const home = join(parent, name);
  let removed = false;
  const user: HostUser = {
    name,
    home,
    remove() {
      if (removed) return;
      removed = true;
      made.delete(user);
      if (user.sudoersFile !== undefined) rmSync(user.sudoersFile, { force: true });
      if (user.doasRule === true) editDoasConf((lines) => lines.filter((l) => !l.endsWith(` # ${name}`)));
      try {
        execFileSync('userdel', ['-f', name], { stdio: 'pipe' });
      } catch {
        // already gone (or never made): nothing of it is left to remove
      }
      rmSync(parent, { recursive: true, force: true });
    },
  };
  made.add(user);
  try {
    execFileSync('useradd', ['-m', '-d', home, '-s', '/bin/sh', '-U', name], { stdio: 'pipe' });
    // An account without a password but not locked ("!" is locked: sshd without PAM refuses those).
    execFileSync('usermod', ['-p', '*', name], { stdio: 'pipe' });
    if (options.sudo !== undefined) {
      const file = `/etc/sudoers.d/maint-test-${name}`;
      const lines = [
        ...(options.keepEnv?.length ? [`Defaults:${name} env_keep += "${options.keepEnv.join(' ')}"`] : []),
        `${name} ALL=(root) ${options.sudo === 'NOPASSWD' ? 'NOPASSWD: ' : ''}ALL`,
        '',
      ];
      const draft = join(parent, 'sudoers');
      writeFileSync(draft, lines.join('\n'), { mode: 0o440 });
      execFileSync('visudo', ['-cq', '-f', draft], { stdio: 'pipe' });
      user.sudoersFile = file;
      writeFileSync(file, lines.join('\n'), { mode: 0o440 });
    }
    if (options.doas !== undefined) {
      if (!existsSync('/usr/bin/doas')) throw new Error("doas is not installed: scripts/test.sh installs Debian's opendoas; or `apt-get install opendoas`");
      const keep = options.keepEnv?.length ? `setenv { ${options.keepEnv.join(' ')} } ` : '';
      const rule = `permit ${options.doas === 'nopass' ? 'nopass ' : ''}${keep}${name} as root # ${name}`;
      user.doasRule = true;
      editDoasConf((lines) => [...lines, rule]);
    }
  } catch (err) {
    user.remove();
    throw err;
  }
  return user;
}
