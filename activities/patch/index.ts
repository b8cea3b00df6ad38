import { ApplicationFailure } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostReadiness } from '../../policies/inventory/facts';
import type { ResolvedHost } from '../../policies/inventory/hosts';
import type { RolloutPolicy, Strategy } from '../../policies/rollout/policy';
import { shellQuote } from '../../policies/common/shell';
import { renderCommand, type TemplateValues } from '../../policies/common/templates';
import { activityInfo, heartbeat, info } from '../context';
import { runHealthCheck } from '../health';
import { readHostFacts } from '../hosts/facts';
import { BOOT_ID_COMMAND, forgetJob, jobDirRefusal, runJob } from '../hosts/jobs';
import type { CommandResult, HostShell, SshConnector, SshTarget } from '../hosts/ssh';
import { withHost, toFailure } from '../hosts/withHost';
import { keepRecordScript, readKeptRecord, readRecordsScript, type KeptRecordFound, type KeptRecordStep } from './keptRecord';
import { strategyFor } from './strategies';
import { changeChecked, HostCommandError, runChecked, type HostPlanOptions, type PlannedChange, type StrategyContext, type VersionRecord } from './strategy';
import { FAILURE } from '../../policies/common/failures';
import { transientHostProblem } from '../../policies/rollout/packages/transient';

export interface HostStepInput {
  rolloutId: string;
  host: ResolvedHost;
}

/**
 * A step that reads or writes the version record kept on the host: bound to the rollout's
 * execution (absent only in batches started by versions before records were bound to one).
 */
export type RecordStepInput = HostStepInput & Pick<KeptRecordStep, 'execution'>;

export function sshTarget(host: ResolvedHost): SshTarget {
  return {
    name: host.name, address: host.address, port: host.port, user: host.user, hostKey: host.hostKey,
    ...(host.identityFile !== undefined ? { identityFile: host.identityFile } : {}),
    ...(host.become !== undefined ? { become: host.become } : {}),
  };
}

function strategyContext(shell: HostShell, input: HostStepInput, commandTimeoutMs: number): StrategyContext {
  return {
    shell,
    host: input.host,
    rolloutId: input.rolloutId,
    commandTimeoutSeconds: Math.ceil(commandTimeoutMs / 1000),
    heartbeat: (step) => heartbeat({ step, host: input.host.name }),
    runChange: async (step, command, then) => {
      const key = `${jobScope()}.${input.host.name}.${step}`;
      const result = await runJob(shell, key, command, {
        timeoutSeconds: Math.ceil(commandTimeoutMs / 1000),
        onWait: () => heartbeat({ step, host: input.host.name, waiting: true }),
        host: input.host.name,
        ...(then !== undefined ? { then } : {}),
      });
      // Failed for a passing reason (a held lock, a mirror down): the retry must run it again, not
      // be handed this result (see permanent()).
      if (result.exitCode !== 0 && transientHostProblem(result.stderr || result.stdout) !== undefined) await forgetJob(shell, key, input.host.name);
      return result;
    },
  };
}

/**
 * Jobs are keyed by the workflow execution (run id) that asks for them: the same across retries of
 * an activity, never shared with another rollout, even one that reuses a rollout id later. Host
 * steps only ever run as activities of a workflow; there is no other key to fall back on.
 */
function jobScope(): string {
  const runId = activityInfo()?.workflowExecution?.runId;
  if (runId === undefined) throw new Error('host steps run as activities of a workflow execution (no workflow run id in the activity context)');
  return runId;
}

/**
 * `shell`, with `prelude.script` run ahead of the first command in that command's SSH session (fed
 * `prelude.stdin`): each session starts the login shell on the host, the cost that dominates a wave of
 * hosts. `output()` is what the prelude printed, once the first command ran. A failing prelude
 * fails that command with a {@link HostCommandError} saying what the prelude was for. The prelude
 * works in the job directory, so that session runs through the host's become (first command included).
 */
function sharingFirstSession(shell: HostShell, host: string, prelude: { script: string; what: string; stdin?: string }): { shell: HostShell; output: () => string | undefined } {
  let output: string | undefined;
  const marker = `maint-prelude-done-${randomUUID()}`;
  return {
    output: () => output,
    shell: {
      close: () => shell.close(),
      run: async (command, options = {}) => {
        if (output !== undefined) return shell.run(command, options);
        if (prelude.stdin !== undefined && options.stdin !== undefined) throw new Error('sharingFirstSession: the first command cannot have its own stdin');
        // 97 (the job directory's refusal: a link, someone else's file) passes through; any other failure is 96.
        const result = await shell.run(`( ${prelude.script} ) || { [ $? = 97 ] && exit 97; exit 96; }\necho ${marker}\n${command}`, { ...options, become: true, ...(prelude.stdin !== undefined ? { stdin: prelude.stdin } : {}) });
        const at = result.stdout.indexOf(`${marker}\n`);
        if (at < 0) throw hostStateFailure(host, prelude.what, result);
        output = result.stdout.slice(0, at);
        return { ...result, stdout: result.stdout.slice(at + marker.length + 1) };
      },
    },
  };
}

/**
 * A failed host command is permanent for this step: retrying apt with the same input fails the same
 * way. Unless what it printed says the failure is passing (another apt holds the dpkg lock, the
 * mirror cannot be reached): then the step is retried with the profile's backoff.
 */
function permanent(err: unknown): unknown {
  if (err instanceof HostCommandError) {
    const passing = transientHostProblem(err.stderr);
    if (passing !== undefined) return ApplicationFailure.retryable(`${err.message}\n(${passing}: retried)`, FAILURE.HostCommandTransient);
    return ApplicationFailure.nonRetryable(err.message, FAILURE.HostCommandFailed);
  }
  return toFailure(err);
}

/** A script in the job directory failed: exit 97 is its refusal (permanent, saying which file), anything else a failed command. */
function hostStateFailure(host: string, what: string, result: CommandResult): Error {
  const reason = jobDirRefusal(result);
  if (reason !== undefined) return ApplicationFailure.nonRetryable(`${host}: cannot ${what}: ${reason}`, FAILURE.HostStateInvalid);
  return new HostCommandError(host, what, result.exitCode, result.stderr || result.stdout);
}

/** The version records kept on the host for this step ({@link readRecordsScript}), read and validated. */
async function readKept(shell: HostShell, input: RecordStepInput, output?: string): Promise<KeptRecordFound> {
  if (output === undefined) {
    const answer = await shell.run(readRecordsScript(input), { timeoutSeconds: 30, become: true });
    if (answer.exitCode !== 0) throw hostStateFailure(input.host.name, 'read the version record in the job directory', answer);
    output = answer.stdout;
  }
  return readKeptRecord(output, input);
}

function pinnedOption(input: { pinned?: Record<string, string> }): HostPlanOptions {
  return input.pinned !== undefined ? { pinned: input.pinned } : {};
}

export function createPatchActivities(deps: { ssh: SshConnector }) {
  const onHost = <T>(input: HostStepInput, work: (shell: HostShell) => Promise<T>): Promise<T> =>
    withHost(deps.ssh, sshTarget(input.host), async (shell) => {
      try {
        return await work(shell);
      } catch (err) {
        throw permanent(err);
      }
    });

  return {
    /** Read-only: reachable with the pinned key, enough free disk on /, become (sudo -n) works. */
    async preflightHost(input: HostStepInput): Promise<{ bootId: string; rootFreeBytes: number }> {
      return onHost(input, async (shell) => {
        const facts = await readHostFacts(shell, input.host);
        const { lowDisk, becomeFails } = hostReadiness(input.host.name, facts, input.host);
        const refused = becomeFails ?? lowDisk;
        if (refused !== undefined) throw ApplicationFailure.nonRetryable(refused, FAILURE.PreflightFailed);
        return { bootId: facts.bootId, rootFreeBytes: facts.rootFreeBytes };
      });
    },

    /** A drain/undrain/pre/post hook: a user command on the host. */
    async runHostHook(input: HostStepInput & { hook: string; command: string; timeoutMs: number; attemptKey: string }): Promise<void> {
      await onHost(input, async (shell) => {
        heartbeat({ step: input.hook, host: input.host.name });
        const ctx = strategyContext(shell, input, input.timeoutMs);
        await changeChecked(ctx, `hook-${input.hook}-${input.attemptKey}`, renderCommand(input.command, { host: input.host, rolloutId: input.rolloutId }));
      });
    },

    /** `pinned`: with `packages: {baseline}`, the versions the baseline approves on this host. */
    async previewPatch(input: HostStepInput & { strategy: Strategy; pinned?: Record<string, string> }): Promise<PlannedChange[]> {
      return onHost(input, (shell) => strategyFor(input.strategy).preview(strategyContext(shell, input, 120_000), input.strategy, pinnedOption(input)));
    },

    /**
     * Installed versions before anything changes: what a rollback restores. applyPatch keeps it on
     * the host (write-once: a retry never replaces the first, true "before"), so a rollback needs
     * nothing but the rollout id and the host; once there, it is what this returns.
     */
    async recordVersions(input: RecordStepInput & { strategy: Strategy; commandTimeoutMs: number; pinned?: Record<string, string> }): Promise<VersionRecord> {
      return onHost(input, async (shell) => {
        // The record kept on the host, if an earlier attempt stored one, is read in the strategy's first session.
        const readStored = readRecordsScript(input);
        const first = sharingFirstSession(shell, input.host.name, { script: readStored, what: 'read the version record in the job directory' });
        const record = await strategyFor(input.strategy).record(strategyContext(first.shell, input, input.commandTimeoutMs), input.strategy, pinnedOption(input));
        const kept = await readKept(shell, input, first.output());
        if (kept.kind === 'ours') return kept.record;
        return kept.kind === 'foreign' ? { ...record, ignoredRecord: kept.found } : record;
      });
    },

    /**
     * Idempotent: a host already at the target (e.g. a retry after a worker crash) is not patched
     * again. Stores the record on the host (write-once) ahead of the strategy's first command, in
     * its session: before anything changes.
     */
    async applyPatch(input: RecordStepInput & { strategy: Strategy; record: VersionRecord; commandTimeoutMs: number }) {
      return onHost(input, async (shell) => {
        const keep = keepRecordScript(input, input.record);
        const first = sharingFirstSession(shell, input.host.name, { script: keep.script, what: 'store the version record in the job directory', stdin: keep.stdin });
        const applied = await strategyFor(input.strategy).apply(strategyContext(first.shell, input, input.commandTimeoutMs), input.strategy, input.record);
        // A strategy that ran no command changed nothing; the record is stored all the same.
        if (first.output() === undefined) await first.shell.run('true', { timeoutSeconds: 30, become: true });
        info(applied.alreadyApplied ? `${input.host.name}: already patched, nothing changed` : `${input.host.name}: patch applied`);
        return applied;
      });
    },

    /** Restores exactly the recorded versions (given, or as kept on the host by applyPatch); safe to repeat. */
    async rollbackHost(input: RecordStepInput & { strategy: Strategy; record?: VersionRecord; commandTimeoutMs: number }): Promise<Record<string, string>> {
      return onHost(input, async (shell) => {
        let record = input.record;
        if (record === undefined) {
          const kept = await readKept(shell, input);
          if (kept.kind !== 'ours') {
            const why = kept.kind === 'none' ? 'none is kept there' : `the one kept there is not this execution's (${kept.found})`;
            throw ApplicationFailure.nonRetryable(`${input.host.name}: no version record of rollout ${input.rolloutId} on the host: ${why}; nothing to roll back to`, FAILURE.RecordMissing);
          }
          record = kept.record;
        }
        return strategyFor(input.strategy).rollback(strategyContext(shell, input, input.commandTimeoutMs), input.strategy, record);
      });
    },

    /**
     * Reboots when the policy says so (always, or if the host asks for it) and waits for the host to
     * answer SSH with a new boot id. Reboots a host at most once per rollout execution, whatever
     * crashes: the reboot is a job on the host (keyed like every change), and a retry gets back the
     * boot id the first attempt saw instead of rebooting again. A retry resumes from its heartbeat
     * where the server has one with that boot id; where not (heartbeats are throttled: the first
     * one, sent at once, says only "connecting"), it waits, like the reboot, for the host to answer.
     */
    async rebootHost(input: HostStepInput & { strategy: Strategy; reboot: RolloutPolicy['reboot'] }): Promise<{ rebooted: boolean; bootIdBefore?: string; bootIdAfter?: string }> {
      if (input.reboot.mode === 'never') return { rebooted: false };
      const info = activityInfo();
      const deadline = Date.now() + input.reboot.timeout;
      let lastError = 'no answer yet';
      let bootIdBefore = (info?.heartbeatDetails as { bootIdBefore?: string } | undefined)?.bootIdBefore;
      while (bootIdBefore === undefined) {
        try {
          const scheduled = await onHost(input, async (shell) => {
            const ctx = strategyContext(shell, input, 60_000);
            const required = input.reboot.mode === 'always' || (await strategyFor(input.strategy).rebootRequired(ctx, input.strategy));
            if (!required) return undefined;
            // Prints the boot id, then detaches the reboot so it outlives this session (the short sleep lets the session close cleanly).
            const reboot = `nohup sh -c ${shellQuote(`sleep 2; ${renderCommand(input.reboot.command, { host: input.host })}`)} >/dev/null 2>&1 &`;
            return (await changeChecked(ctx, 'reboot', `${BOOT_ID_COMMAND} && ${reboot}`)).trim();
          });
          if (scheduled === undefined) return { rebooted: false };
          bootIdBefore = scheduled;
        } catch (err) {
          // A retry that cannot connect may be looking at the reboot an earlier attempt started.
          const unreachable = err instanceof ApplicationFailure && !err.nonRetryable;
          if ((info?.attempt ?? 1) === 1 || !unreachable || Date.now() > deadline) throw err;
          lastError = err.message;
          heartbeat({ step: 'waiting for the host', host: input.host.name });
          await sleep(3_000);
        }
      }
      while (Date.now() < deadline) {
        heartbeat({ step: 'waiting for reboot', host: input.host.name, bootIdBefore });
        await sleep(3_000);
        try {
          const bootIdAfter = await withHost(deps.ssh, sshTarget(input.host), async (shell) => (await runChecked(strategyContext(shell, input, 30_000), BOOT_ID_COMMAND, 30)).trim());
          if (bootIdAfter !== bootIdBefore) return { rebooted: true, bootIdBefore, bootIdAfter };
          lastError = 'still the same boot id';
        } catch (err) {
          if (err instanceof ApplicationFailure && err.type === FAILURE.HostKeyMismatch) throw err;
          lastError = err instanceof Error ? err.message : String(err);
        }
      }
      throw ApplicationFailure.nonRetryable(`${input.host.name}: did not come back with a new boot id within ${Math.round(input.reboot.timeout / 1000)} s after reboot (${lastError})`, FAILURE.RebootTimedOut);
    },

    /**
     * Runs every health check every `interval` until all pass `consecutiveSuccesses` times in a
     * row, or fails at `deadline` with what the last failing check saw.
     */
    async verifyHealth(input: HostStepInput & { health: RolloutPolicy['health']; target?: string }): Promise<{ attempts: number; detail: string }> {
      const values: TemplateValues = { host: input.host, rolloutId: input.rolloutId, ...(input.target !== undefined ? { target: input.target } : {}) };
      const deadline = Date.now() + input.health.deadline;
      let shell: HostShell | undefined;
      const openShell = async () => (shell ??= await deps.ssh.connect(sshTarget(input.host)));
      let streak = 0;
      let attempts = 0;
      let lastFailure = 'no check ran';
      try {
        if (input.health.checks.length === 0) return { attempts: 0, detail: 'no health checks configured' };
        for (;;) {
          attempts++;
          let allOk = true;
          for (const check of input.health.checks) {
            const outcome = await runHealthCheck(check, { values, timeoutMs: input.health.timeout, shell: openShell }).catch((err: unknown) => {
              shell?.close();
              shell = undefined;
              return { ok: false, detail: err instanceof Error ? err.message : String(err) };
            });
            if (!outcome.ok) {
              allOk = false;
              lastFailure = outcome.detail;
              break;
            }
          }
          streak = allOk ? streak + 1 : 0;
          heartbeat({ step: 'verifying', host: input.host.name, streak, attempts, lastFailure });
          if (streak >= input.health.consecutiveSuccesses) return { attempts, detail: `healthy ${streak}× in a row` };
          if (Date.now() + input.health.interval > deadline) {
            throw ApplicationFailure.nonRetryable(`${input.host.name}: unhealthy: ${lastFailure} (not ${input.health.consecutiveSuccesses}× healthy in a row within ${Math.round(input.health.deadline / 1000)} s)`, FAILURE.HealthCheckFailed);
          }
          await sleep(input.health.interval);
        }
      } finally {
        shell?.close();
      }
    },
  };
}
