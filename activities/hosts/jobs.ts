import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE } from '../../policies/common/failures';
import { jobExitSchema } from '../../policies/rollout/hostState';
import { shellQuote, withRemoteTimeout } from '../../policies/common/shell';
import { PRIVATE_JOB_DIR } from '../../policies/inventory/become';
import { SshError, type CommandResult, type HostShell } from './ssh';
import { redact } from '../../policies/common/redact';

/** Where jobs keep their state on a host by default; survives our SSH session, not a reboot of /tmp-on-tmpfs. */
export const JOB_DIR = '/var/tmp/maint-jobs';

/**
 * The job directory as the host's shell names it: `$MAINT_JOB_DIR` where the host's environment sets
 * it (sshd `SetEnv`, the maintenance user's environment; a test fleet gives each host its own),
 * {@link JOB_DIR} otherwise. Double-quoted for the shell.
 */
export const JOB_DIR_SH = `"\${MAINT_JOB_DIR:-${JOB_DIR}}"`;

/** The kernel's boot id; $MAINT_BOOT_ID_FILE (set by simulated and test hosts) stands in for it where set. */
export const BOOT_ID_COMMAND = 'cat "${MAINT_BOOT_ID_FILE:-/proc/sys/kernel/random/boot_id}"';

/**
 * Shell functions for the runner's files in the job directory (the script's working directory),
 * which no one but the runner may have put there: a symbolic link planted at a job or record path
 * (another local user, a shared directory) would have what runs as root write or read wherever it
 * points.
 *
 * - `maint_check NAME…` ends the script (exit 97, saying which file) unless each NAME is absent or a
 *   regular file or directory of ours: never a symbolic link, never someone else's file. `find`
 *   looks at the entry itself (lstat, never following a link), in one step: no window in which a
 *   link could take the place of what was checked.
 * - `maint_write NAME` writes stdin to NAME, which then is a new regular file of ours (mode 0600).
 *   `mktemp` creates its file with O_CREAT|O_EXCL, so it never opens an existing path, link or not;
 *   `mv -T` is rename(2), which replaces the directory entry NAME itself and never follows a link
 *   there (nor moves "into" a directory one names). So nothing is ever written through a link, even
 *   one planted between the check and the write. (NAME.tmp, where versions before this one wrote
 *   first, is removed: rm never follows a link either.)
 * - Appending to a file of ours once checked (`>>`) is safe as long as no one else can replace it:
 *   {@link CHECK_JOB_DIR} accepts only directories where no one else can (ours and not writable by
 *   others, or sticky like /var/tmp, where others cannot remove or rename our files).
 *
 * POSIX sh plus GNU coreutils' mktemp, mv -T and stat -c, as on Debian and RHEL.
 */
const JOB_FILE_FUNCTIONS = [
  `maint_check() { for maint_f in "$@"; do`,
  `  if [ -L "$maint_f" ]; then echo "$maint_job_dir/$maint_f is a symbolic link, not the runner's: refusing to follow it (someone else put it there; remove it)" >&2; exit 97; fi`,
  `  if [ -e "$maint_f" ] && [ -z "$(find "./$maint_f" -prune \\( -type f -o -type d \\) -user "$(id -u)" -print)" ]; then echo "$maint_job_dir/$maint_f is not $(id -un)'s (owner uid $(stat -c %u "./$maint_f")): refusing to use it (someone else put it there; remove it)" >&2; exit 97; fi`,
  `done; }`,
  `maint_write() { maint_check "$1"; rm -f -- "./$1.tmp" || return 1; maint_t=$(mktemp "./.maint-tmp.$1.XXXXXX") || return 1; if cat > "$maint_t" && mv -f -T -- "$maint_t" "./$1"; then return 0; fi; rm -f -- "$maint_t"; return 1; }`,
].join('\n');

/**
 * Ends the script (exit 97, saying why) unless the job directory is an absolute path, no symbolic
 * link, and no one else's to change: owned by us (or root) and writable by no other user (others may
 * not write it, nor a group other than our own), or sticky (like /var/tmp: others may add names
 * there, which {@link JOB_FILE_FUNCTIONS} refuses, but not remove or rename ours). A directory
 * another local user made (e.g. /var/tmp/maint-jobs before the runner's first job) is refused; a
 * missing one is made with umask 077. Through become ($MAINT_JOB_DIR_PRIVATE, see becomeCommand)
 * the directory must also be the become user's own, mode 0700: what runs there runs as root.
 * Defines the job-file functions for the rest of the script.
 */
export const CHECK_JOB_DIR = [
  `maint_job_dir=${JOB_DIR_SH}`,
  `case "$maint_job_dir" in /*) ;; *) echo "MAINT_JOB_DIR must be an absolute path, not '$MAINT_JOB_DIR'" >&2; exit 97;; esac`,
  `if [ -L "$maint_job_dir" ]; then echo "the job directory $maint_job_dir is a symbolic link: refusing to use it (remove it; the runner makes its own)" >&2; exit 97; fi`,
  `if [ ! -e "$maint_job_dir" ]; then (umask 077 && mkdir -p "$maint_job_dir") || exit 97; fi`,
  `if [ -n "\${MAINT_JOB_DIR_PRIVATE:-}" ]; then`,
  `  if [ "$(stat -c '%u %a' "$maint_job_dir")" != "$(id -u) 700" ]; then echo "the job directory $maint_job_dir has owner uid $(stat -c %u "$maint_job_dir") and mode $(stat -c %a "$maint_job_dir"), not $(id -un)'s and 700: refusing to use it (fix or remove it)" >&2; exit 97; fi`,
  `else`,
  `  maint_owner=$(stat -c %u "$maint_job_dir")`,
  `  if [ "$maint_owner" != "$(id -u)" ] && [ "$maint_owner" != 0 ]; then echo "the job directory $maint_job_dir belongs to uid $maint_owner, not to $(id -un)$([ "$(id -u)" = 0 ] || echo ' or root'): refusing to use it (another user may have made it to plant files there; remove it)" >&2; exit 97; fi`,
  // %A is e.g. drwxrwxr-x: others (9th) or a group not our own (6th) may write, and no sticky bit (10th: t/T).
  `  case "$(stat -c %A "$maint_job_dir")" in ????????w[x-]) maint_open=1;; ?????w???[x-]) [ "$(stat -c %g "$maint_job_dir")" = "$(id -g)" ] || maint_open=1;; esac`,
  `  if [ -n "\${maint_open:-}" ]; then echo "the job directory $maint_job_dir is writable by other users (mode $(stat -c %a "$maint_job_dir")) and not sticky: refusing to use it (chmod go-w it, or remove it)" >&2; exit 97; fi`,
  `fi`,
  JOB_FILE_FUNCTIONS,
].join('\n');

/** The sweep's stamp in {@link JOB_DIR}: its mtime is when the last sweep started. */
export const SWEEP_STAMP = '.swept';

/**
 * Jobs of rollouts that ended long ago (14 days) are of no use to any retry; version records are
 * kept longer (90 days: a rollout may wait at an approval gate for weeks and still roll back). Only
 * the job runner's own files are removed, whatever directory $MAINT_JOB_DIR names. Removing them scans
 * the whole directory, which grows with every job (0.4-0.7 s of CPU at 40,000-120,000 entries):
 * done on every job start it was the first bottleneck of large rollouts. So it runs at most once a
 * day per host (the stamp's age says when it last ran), detached, and no job start waits for it.
 * Two job starts that both find the stamp stale may both sweep; removing the same old files twice
 * is harmless.
 */
const SWEEP_OLD_JOBS = [
  `if [ -z "$(find ./${SWEEP_STAMP} -prune -mmin -1440 2>/dev/null)" ]; then`,
  `  : | maint_write ${SWEEP_STAMP} || exit 97`,
  // find names every file `./…` and -exec passes each as one argument, whatever it holds (spaces,
  // newlines, a leading dash; and rm gets -- all the same): no name is ever split or read as an option.
  `  setsid nohup find . -maxdepth 1 \\( -mtime +14 \\( -name '*.pid' -o -name '*.boot' -o -name '*.out' -o -name '*.err' -o -name '*.exit' -o -name '*.exit.tmp' -o -name '*.claim' -o -name '.maint-tmp.*' \\) -o -mtime +90 -name '*.record.json*' \\) -exec rm -rf -- {} + < /dev/null > /dev/null 2>&1 &`,
  `fi`,
].join('\n');

export interface JobOptions {
  timeoutSeconds: number;
  onWait?: () => void;
  pollMs?: number;
  /**
   * A read-only command (e.g. the strategy's version check) run on the host right after the job is
   * seen finished, in the same SSH session: its answer comes back as `then` of the result.
   */
  then?: { command: string; timeoutSeconds: number };
  /** The host's name, for error messages. */
  host?: string;
}

export interface JobResult extends CommandResult {
  then?: CommandResult;
}

/** A job's file names in the job directory, shell-quoted (the key's characters limited to [A-Za-z0-9._-]). */
function jobFiles(key: string) {
  const id = key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  const file = (suffix: string) => shellQuote(`${id}.${suffix}`);
  return { claim: file('claim'), pid: file('pid'), boot: file('boot'), out: file('out'), err: file('err'), exit: file('exit') };
}

/**
 * Runs a host-changing command as a job detached from our SSH session, identified by `key`
 * (rollout/host/step). If the worker dies mid-command, the job keeps running; the retry finds it by
 * its key and waits for its result instead of starting it again, and a job that already finished
 * returns its recorded result. That is what makes apply and rollback safe to retry.
 *
 * One SSH session starts the job, waits up to ~2 s for it and, when it is done, runs `then`: a quick
 * change and the check after it cost one session, not four. Each session starts the user's login
 * shell on the host (its rc files included), which is what a host's sshd spends most of its CPU on
 * when a wave of hosts is patched at once. Longer jobs are polled, ~2 s per session.
 *
 * A job records the host's boot id when it starts: after a reboot its process is gone, and a PID
 * that answers `kill -0` is another process's (PIDs are reused from 1 on every boot), so the job is
 * reported lost at once instead of waited on until its deadline.
 */
export async function runJob(shell: HostShell, key: string, command: string, options: JobOptions): Promise<JobResult> {
  const f = jobFiles(key);
  const all = Object.values(f).join(' ');
  // Every file of the job is made by maint_write (never through a link) before the command runs;
  // the command's output is then appended to its own files.
  const run = [
    `(${BOOT_ID_COMMAND}) 2>/dev/null | maint_write ${f.boot} && : | maint_write ${f.out} && : | maint_write ${f.err} && echo $$ | maint_write ${f.pid} || exit 97`,
    `timeout -k 10s ${Math.ceil(options.timeoutSeconds)}s sh -c ${shellQuote(command)} >> ${f.out} 2>> ${f.err}`,
    `echo $? | maint_write ${f.exit}`,
  ].join('\n');
  // The detached process claims the job itself, and `mkdir` is atomic: exactly one process runs the
  // job, whatever retries race. Claiming in the session instead left a claimed job that nothing ran
  // when the start was cut short between the claim and the spawn (its 30 s timeout, seen under load).
  // (mkdir never follows a link: a name already taken, link or not, makes it fail.)
  const claimAndRun = [CHECK_JOB_DIR, `cd "$maint_job_dir" || exit 97`, `mkdir ${f.claim} 2>/dev/null || exit 0`, run].join('\n');
  const start = [
    CHECK_JOB_DIR,
    `cd "$maint_job_dir" || exit 97`,
    `maint_check ${all}`,
    SWEEP_OLD_JOBS,
    `setsid nohup sh -c ${shellQuote(claimAndRun)} < /dev/null > /dev/null 2>&1 &`,
  ];
  // After the exit status: the job's stdout, NUL, its stderr; with `then`: NUL, then's stdout, NUL,
  // its exit code, NUL, its stderr.
  const then = options.then === undefined ? [] : [
    `t=$(mktemp) || exit 97`,
    `printf '\\0'`,
    // From the home directory, where the session's other commands run.
    `(cd && ${withRemoteTimeout(options.then.command, options.then.timeoutSeconds)}) 2> "$t"; c=$?`,
    `printf '\\0%s\\0' "$c"; cat "$t"; rm -f "$t"`,
  ];
  // Each poll waits up to ~2 s on the host for the exit file: quick jobs finish within the first poll.
  const poll = [
    CHECK_JOB_DIR,
    `cd "$maint_job_dir" || exit 97`,
    `maint_check ${all}`,
    `i=0; while [ ! -e ${f.exit} ] && [ ! -L ${f.exit} ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`,
    `if [ -e ${f.exit} ] || [ -L ${f.exit} ]; then`,
    // Checked again: it appeared since. Ours and regular from here on (no one else can replace it).
    `  maint_check ${all}`,
    `  maint_code=$(cat ${f.exit})`,
    `  case "$maint_code" in [0-9]|[0-9][0-9]|[0-9][0-9][0-9]) ;; *) echo "$maint_job_dir/"${f.exit}" holds no exit status ($(printf '%.40s' "$maint_code" | tr -c '[:alnum:] ._-' '?')): refusing to take it for the job's (remove the job's files to run it again)" >&2; exit 97;; esac`,
    `  echo "exit $maint_code"; cat ${f.out}; printf '\\0'; cat ${f.err}`,
    ...then.map((line) => `  ${line}`),
    `  exit 0`,
    `fi`,
    // No claim after ~2 s: the start never got its process going (cut short before the spawn).
    `if [ ! -d ${f.claim} ]; then echo unclaimed; exit 0; fi`,
    // Started under another boot: its process is gone; a PID answering kill -0 now is another one's.
    `if [ -s ${f.boot} ] && [ "$(cat ${f.boot})" != "$( (${BOOT_ID_COMMAND}) 2>/dev/null)" ]; then echo rebooted; exit 0; fi`,
    // Claimed, pid written, process gone, no exit file: it died (OOM kill, a reboot before jobs kept their boot id, …).
    `if [ -f ${f.pid} ] && ! kill -0 "$(cat ${f.pid})" 2>/dev/null; then echo lost; exit 0; fi`,
    // Claimed a minute ago and still no pid: its process died between the two (the command never ran).
    `if [ ! -f ${f.pid} ] && [ -n "$(find ${f.claim} -prune -mmin +1)" ]; then echo lost; exit 0; fi`,
    `echo running`,
  ];
  const where = options.host !== undefined ? `${options.host}: ` : '';
  const sessionSeconds = 30 + (options.then?.timeoutSeconds ?? 0);
  const ask = (script: string[]) => askJobDir(shell, script, sessionSeconds, `${where}job ${key}`);
  const deadline = Date.now() + (options.timeoutSeconds + 30) * 1000;
  let answer = await ask([...start, ...poll]);
  for (;;) {
    const state = answer.slice(0, answer.indexOf('\n') >= 0 ? answer.indexOf('\n') : undefined).trim();
    if (state.startsWith('exit ')) {
      const finished = parseFinished(state, answer.slice(answer.indexOf('\n') + 1), options.then !== undefined, `${where}job ${key}`);
      // `timeout`'s exit codes, as HostShell.run reports them for a command of its own.
      if (finished.then?.exitCode === 124 || finished.then?.exitCode === 137) {
        throw new SshError('CommandTimedOut', `${where}job ${key}: the command after it timed out after ${options.then!.timeoutSeconds}s: ${options.then!.command.slice(0, 160)}`);
      }
      return finished;
    }
    if (state === 'rebooted') throw new Error(`${where}job ${key} was started before the host last rebooted (its boot id changed) and left no exit status: its process is gone and its effect is unknown`);
    if (state === 'lost') throw new Error(`${where}job ${key} ended without an exit status (the host rebooted or killed it); its effect is unknown`);
    if (Date.now() > deadline) throw new Error(`${where}job ${key} still running after ${options.timeoutSeconds + 30}s`);
    options.onWait?.();
    if (options.pollMs) await sleep(options.pollMs);
    answer = await ask(state === 'unclaimed' ? [...start, ...poll] : poll);
  }
}

/**
 * Forgets a finished job, so that the next {@link runJob} with its key runs the command again: for
 * a job that failed for a passing reason (a held lock, an unreachable mirror), whose recorded
 * result no retry should be handed.
 */
export async function forgetJob(shell: HostShell, key: string, host?: string): Promise<void> {
  const f = jobFiles(key);
  await askJobDir(shell, [
    CHECK_JOB_DIR,
    `cd "$maint_job_dir" || exit 97`,
    `maint_check ${Object.values(f).join(' ')}`,
    `rm -f -- ${f.exit} ${f.out} ${f.err} ${f.pid} ${f.boot} && rmdir -- ${f.claim}`,
  ], 30, `${host !== undefined ? `${host}: ` : ''}job ${key}`);
}

/**
 * Runs a script in the job directory through the host's become (the job, its files and the command
 * after it run as that user). Exit 97 with a reason: the directory or one of the runner's files
 * there is wrong (not absolute, not private, a symbolic link, someone else's): a retry finds it just
 * as wrong, so that is permanent.
 */
async function askJobDir(shell: HostShell, script: string[], timeoutSeconds: number, what: string): Promise<string> {
  const answer = await shell.run(script.join('\n'), { timeoutSeconds, become: true });
  const reason = jobDirRefusal(answer);
  if (reason !== undefined) throw ApplicationFailure.nonRetryable(`${reason} (${what})`, FAILURE.HostStateInvalid);
  if (answer.exitCode !== 0) throw new Error(`${what}: cannot use the job directory (${JOB_DIR}, or ${PRIVATE_JOB_DIR} through become as root, unless $MAINT_JOB_DIR says otherwise; exit ${answer.exitCode}): ${redact(answer.stderr.trim())}`);
  return answer.stdout;
}

/**
 * Why a script that works in the job directory refused to (exit 97 and the reason it printed last:
 * {@link CHECK_JOB_DIR}, {@link JOB_FILE_FUNCTIONS}); undefined when it did not refuse.
 */
export function jobDirRefusal(result: CommandResult): string | undefined {
  const reason = result.stderr.trim().split('\n').pop() ?? '';
  return result.exitCode === 97 && reason !== '' ? reason : undefined;
}

/** The job's result as the poll printed it, its exit statuses validated: never a NaN taken for one. */
function parseFinished(state: string, rest: string, withThen: boolean, what: string): JobResult {
  const [stdout = '', stderr = '', thenStdout = '', thenCode = '', thenStderr = ''] = rest.split('\0');
  const status = (text: string, of: string): number => {
    const parsed = jobExitSchema.safeParse(text);
    if (!parsed.success) throw ApplicationFailure.nonRetryable(`${what}: ${of} is not an exit status (${JSON.stringify(text.slice(0, 40))})`, FAILURE.HostStateInvalid);
    return parsed.data;
  };
  const result: JobResult = { exitCode: status(state.slice(5), 'the recorded exit status'), stdout, stderr };
  if (withThen) result.then = { exitCode: status(thenCode, 'the exit status of the command after it'), stdout: thenStdout, stderr: thenStderr };
  return result;
}
