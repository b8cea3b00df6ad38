import { ApplicationFailure } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAILURE } from '../../policies/common/failures';
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

/**
 * Ends the script (exit 97, saying why) unless the job directory is an absolute path. Through
 * become ($MAINT_JOB_DIR_PRIVATE, see becomeCommand) the directory must also be the become user's
 * own, mode 0700 and no symbolic link — what runs there runs as root, so no other local user may
 * plant or change a job's files; a missing one is made so (umask 077).
 */
export const CHECK_JOB_DIR = [
  `maint_job_dir=${JOB_DIR_SH}`,
  `case "$maint_job_dir" in /*) ;; *) echo "MAINT_JOB_DIR must be an absolute path, not '$MAINT_JOB_DIR'" >&2; exit 97;; esac`,
  `if [ -n "\${MAINT_JOB_DIR_PRIVATE:-}" ]; then`,
  `  if [ -L "$maint_job_dir" ]; then echo "the job directory $maint_job_dir is a symbolic link: refusing to use it (remove it; the runner makes its own)" >&2; exit 97; fi`,
  `  if [ ! -e "$maint_job_dir" ]; then (umask 077 && mkdir -p "$maint_job_dir") || exit 97; fi`,
  `  if [ "$(stat -c '%u %a' "$maint_job_dir")" != "$(id -u) 700" ]; then echo "the job directory $maint_job_dir has owner uid $(stat -c %u "$maint_job_dir") and mode $(stat -c %a "$maint_job_dir"), not $(id -un)'s and 700: refusing to use it (fix or remove it)" >&2; exit 97; fi`,
  `fi`,
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
  `if [ -z "$(find ${SWEEP_STAMP} -mmin -1440 2>/dev/null)" ]; then`,
  `  touch ${SWEEP_STAMP}`,
  // find names every file `./…` and -exec passes it as one argument: spaces and leading dashes are safe.
  `  setsid nohup find . -maxdepth 1 \\( -mtime +14 \\( -name '*.pid' -o -name '*.out' -o -name '*.err' -o -name '*.exit' -o -name '*.exit.tmp' -o -name '*.claim' \\) -o -mtime +90 -name '*.record.json*' \\) -exec rm -rf -- {} + < /dev/null > /dev/null 2>&1 &`,
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
}

export interface JobResult extends CommandResult {
  then?: CommandResult;
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
 */
export async function runJob(shell: HostShell, key: string, command: string, options: JobOptions): Promise<JobResult> {
  const id = shellQuote(key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200));
  const wrapped = `cd ${JOB_DIR_SH} && echo $$ > ${id}.pid && timeout -k 10s ${Math.ceil(options.timeoutSeconds)}s sh -c ${shellQuote(command)} > ${id}.out 2> ${id}.err`;
  // The detached process claims the job itself, and `mkdir` is atomic: exactly one process runs the
  // job, whatever retries race. Claiming in the session instead left a claimed job that nothing ran
  // when the start was cut short between the claim and the spawn (its 30 s timeout, seen under load).
  const claimAndRun = `mkdir ${id}.claim 2>/dev/null || exit 0; ${wrapped}; echo $? > ${id}.exit.tmp && mv ${id}.exit.tmp ${id}.exit`;
  const start = [
    CHECK_JOB_DIR,
    `mkdir -p ${JOB_DIR_SH} && cd ${JOB_DIR_SH} || exit 97`,
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
    `cd ${JOB_DIR_SH} || exit 97`,
    `i=0; while [ ! -f ${id}.exit ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`,
    `if [ -f ${id}.exit ]; then`,
    `  echo "exit $(cat ${id}.exit)"; cat ${id}.out; printf '\\0'; cat ${id}.err`,
    ...then.map((line) => `  ${line}`),
    `  exit 0`,
    `fi`,
    // No claim after ~2 s: the start never got its process going (cut short before the spawn).
    `if [ ! -d ${id}.claim ]; then echo unclaimed; exit 0; fi`,
    // Claimed, pid written, process gone, no exit file: it died (host reboot, OOM kill, …).
    `if [ -f ${id}.pid ] && ! kill -0 "$(cat ${id}.pid)" 2>/dev/null; then echo lost; exit 0; fi`,
    // Claimed a minute ago and still no pid: its process died between the two (the command never ran).
    `if [ ! -f ${id}.pid ] && [ -n "$(find ${id}.claim -maxdepth 0 -mmin +1)" ]; then echo lost; exit 0; fi`,
    `echo running`,
  ];
  const sessionSeconds = 30 + (options.then?.timeoutSeconds ?? 0);
  const ask = async (script: string[]): Promise<string> => {
    // Through the host's become: the job, its files and the command after it run as that user.
    const answer = await shell.run(script.join('\n'), { timeoutSeconds: sessionSeconds, become: true });
    // 97 with a reason: the directory itself is wrong (not absolute, not private): a retry finds it just as wrong.
    const reason = answer.stderr.trim().split('\n').pop() ?? '';
    if (answer.exitCode === 97 && reason !== '') throw ApplicationFailure.nonRetryable(`${reason} (job ${key})`, FAILURE.HostCommandFailed);
    if (answer.exitCode !== 0) throw new Error(`cannot run a job in the job directory (${JOB_DIR}, or ${PRIVATE_JOB_DIR} through become as root, unless $MAINT_JOB_DIR says otherwise; exit ${answer.exitCode}): ${redact(answer.stderr.trim())}`);
    return answer.stdout;
  };
  const deadline = Date.now() + (options.timeoutSeconds + 30) * 1000;
  let answer = await ask([...start, ...poll]);
  for (;;) {
    const state = answer.slice(0, answer.indexOf('\n') >= 0 ? answer.indexOf('\n') : undefined).trim();
    if (state.startsWith('exit ')) {
      const finished = parseFinished(state, answer.slice(answer.indexOf('\n') + 1), options.then !== undefined);
      // `timeout`'s exit codes, as HostShell.run reports them for a command of its own.
      if (finished.then?.exitCode === 124 || finished.then?.exitCode === 137) {
        throw new SshError('CommandTimedOut', `job ${key}: the command after it timed out after ${options.then!.timeoutSeconds}s: ${options.then!.command.slice(0, 160)}`);
      }
      return finished;
    }
    if (state === 'lost') throw new Error(`job ${key} ended without an exit status (the host rebooted or killed it); its effect is unknown`);
    if (Date.now() > deadline) throw new Error(`job ${key} still running after ${options.timeoutSeconds + 30}s`);
    options.onWait?.();
    if (options.pollMs) await sleep(options.pollMs);
    answer = await ask(state === 'unclaimed' ? [...start, ...poll] : poll);
  }
}

function parseFinished(state: string, rest: string, withThen: boolean): JobResult {
  const [stdout = '', stderr = '', thenStdout = '', thenCode = '', thenStderr = ''] = rest.split('\0');
  const result: JobResult = { exitCode: Number(state.slice(5)), stdout, stderr };
  if (withThen) result.then = { exitCode: Number(thenCode), stdout: thenStdout, stderr: thenStderr };
  return result;
}
