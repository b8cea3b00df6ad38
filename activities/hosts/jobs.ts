import { setTimeout as sleep } from 'node:timers/promises';
import { shellQuote } from '../../policies/shell';
import type { CommandResult, HostShell } from './ssh';

/** Where jobs keep their state on a host; survives our SSH session, not a reboot of /tmp-on-tmpfs. */
export const JOB_DIR = '/var/tmp/maint-jobs';

/**
 * Runs a host-changing command as a job detached from our SSH session, identified by `key`
 * (rollout/host/step). If the worker dies mid-command, the job keeps running; the retry finds it by
 * its key and waits for its result instead of starting it again, and a job that already finished
 * returns its recorded result. That is what makes apply and rollback safe to retry.
 */
export async function runJob(shell: HostShell, key: string, command: string, options: { timeoutSeconds: number; onWait?: () => void; pollMs?: number }): Promise<CommandResult> {
  const id = shellQuote(key.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200));
  const wrapped = `cd ${JOB_DIR} && echo $$ > ${id}.pid && timeout -k 10s ${Math.ceil(options.timeoutSeconds)}s sh -c ${shellQuote(command)} > ${id}.out 2> ${id}.err`;
  // `mkdir` is atomic: exactly one attempt starts the job, whatever retries race.
  const start = [
    `mkdir -p ${JOB_DIR} && cd ${JOB_DIR} || exit 97`,
    // Jobs of rollouts that ended long ago are of no use to any retry.
    `find . -maxdepth 1 -mtime +14 -exec rm -rf {} + 2>/dev/null`,
    `if mkdir ${id}.claim 2>/dev/null; then`,
    `  setsid nohup sh -c ${shellQuote(`${wrapped}; echo $? > ${id}.exit.tmp && mv ${id}.exit.tmp ${id}.exit`)} < /dev/null > /dev/null 2>&1 &`,
    `  echo started`,
    `else echo attached; fi`,
  ].join('\n');
  const started = await shell.run(start, { timeoutSeconds: 30 });
  if (started.exitCode !== 0) throw new Error(`cannot start a job in ${JOB_DIR} (exit ${started.exitCode}): ${started.stderr.trim()}`);

  // Each poll waits up to ~2 s on the host for the exit file: quick jobs finish within the first poll.
  const poll = [
    `cd ${JOB_DIR} || exit 97`,
    `i=0; while [ ! -f ${id}.exit ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done`,
    `if [ -f ${id}.exit ]; then echo "exit $(cat ${id}.exit)"; cat ${id}.out; printf '\\0'; cat ${id}.err; exit 0; fi`,
    // Claimed, pid written, process gone, no exit file: it died (host reboot, OOM kill, …).
    `if [ -f ${id}.pid ] && ! kill -0 "$(cat ${id}.pid)" 2>/dev/null; then echo lost; exit 0; fi`,
    `echo running`,
  ].join('\n');
  const deadline = Date.now() + (options.timeoutSeconds + 30) * 1000;
  for (;;) {
    const answer = (await shell.run(poll, { timeoutSeconds: 30 })).stdout;
    const state = answer.slice(0, answer.indexOf('\n') >= 0 ? answer.indexOf('\n') : undefined).trim();
    if (state.startsWith('exit ')) {
      const [stdout = '', stderr = ''] = answer.slice(answer.indexOf('\n') + 1).split('\0');
      return { exitCode: Number(state.slice(5)), stdout, stderr };
    }
    if (state === 'lost') throw new Error(`job ${key} ended without an exit status (the host rebooted or killed it); its effect is unknown`);
    if (Date.now() > deadline) throw new Error(`job ${key} still running after ${options.timeoutSeconds + 30}s`);
    options.onWait?.();
    if (options.pollMs) await sleep(options.pollMs);
  }
}
