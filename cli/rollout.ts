import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { MAX_INLINE_TARGETS, type BatchResult, type HostReport, type RolloutProgress, type RolloutReport, type TargetSet } from '../policies/rollout/types';
import { planWaves } from '../policies/rollout/waves';
import { abortUpdate, approveUpdate, batchProgressQuery, pauseSignal, progressQuery, resumeSignal } from '../workflows/messages';
import type { previewRolloutWorkflow } from '../workflows/previewRollout';
import { rolloutWorkflowId, type patchRolloutWorkflow } from '../workflows/patchRollout';
import { withClient, type Connected } from '../control/connection';
import { CliError, EXIT } from './errors';
import { warnWithoutWorker } from './hosts';
import { loadRollout } from './policyFiles';
import { mergeLive, mergeVersions, renderPlan, renderProgress } from './rolloutView';
import { renderTable } from './table';

function newRolloutId(policyName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${policyName}-${stamp}-${randomBytes(2).toString('hex')}`;
}

const ID = /^[a-z0-9][a-z0-9-]{0,120}$/;
function checkId(id: string): string {
  if (!ID.test(id)) throw new CliError(EXIT.invalidInput, `"${id}" is not a rollout id (as printed by \`maint rollout start\`)`);
  return id;
}

export interface StartOptions {
  file: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
  id?: string;
}

export async function rolloutStart(opts: StartOptions): Promise<number> {
  const { policy, hosts, source } = await loadRollout(opts.file);
  // Up to MAX_INLINE_TARGETS hosts travel with the rollout (any worker can run it); beyond, by
  // reference: the worker reads the inventory file itself, a batch at a time.
  const targets: TargetSet = hosts.length <= MAX_INLINE_TARGETS
    ? { kind: 'inline', hosts }
    : { kind: 'source', source, ...(policy.targets.selector !== undefined ? { selector: policy.targets.selector } : {}) };
  const rolloutId = opts.id !== undefined ? checkId(opts.id) : newRolloutId(policy.name);
  return withClient(async (c) => {
    await warnWithoutWorker(c);
    if (opts.dryRun) {
      const previews = await c.client.workflow.execute<typeof previewRolloutWorkflow>('previewRolloutWorkflow', {
        taskQueue: c.env.MAINT_TASK_QUEUE, workflowId: `preview-${rolloutId}`, args: [{ rolloutId, strategy: policy.strategy, hosts }],
      });
      const plan = planWaves(hosts.length, { canary: policy.waves.canary, batches: policy.waves.batches, maxUnavailable: policy.maxUnavailable });
      process.stdout.write(opts.json
        ? `${JSON.stringify({ rolloutId, dryRun: true, waves: plan.map((w) => ({ ...w, hosts: hosts.slice(w.start, w.start + w.size).map((h) => h.name) })), hosts: previews }, null, 2)}\n`
        : `${renderPlan(rolloutId, plan, hosts, previews)}\n`);
      return previews.some((p) => p.error !== undefined) ? EXIT.failed : EXIT.ok;
    }
    try {
      const handle = await c.client.workflow.start<typeof patchRolloutWorkflow>('patchRolloutWorkflow', {
        taskQueue: c.env.MAINT_TASK_QUEUE, workflowId: rolloutWorkflowId(rolloutId), args: [{ rolloutId, policy, targets }],
        // A rollout id names one rollout forever: reports, job records on hosts and audit trails rely on it.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      if (targets.kind !== 'inline' && !opts.json) process.stderr.write(`${hosts.length} hosts: the worker reads the source itself (it must see it too)\n`);
      if (!opts.wait) {
        process.stdout.write(opts.json ? `${JSON.stringify({ rolloutId, workflowId: handle.workflowId })}\n` : `${rolloutId}\n`);
        if (!opts.json) process.stderr.write(`rollout started on ${hosts.length} host(s); follow it with: maint rollout status ${rolloutId} --watch\n`);
        return EXIT.ok;
      }
      if (!opts.json) process.stderr.write(`rollout ${rolloutId} started on ${hosts.length} host(s)\n`);
      return printReport(await withVersions(c, await handle.result()), opts.json);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new CliError(EXIT.invalidInput, `rollout ${rolloutId} already exists; pick another --id`);
      throw err;
    }
  });
}

function printReport(report: RolloutReport, json?: boolean): number {
  process.stdout.write(json ? `${JSON.stringify(reportForJson(report), null, 2)}\n` : `${renderProgress(report)}\n`);
  return report.status === 'completed' ? EXIT.ok : EXIT.failed;
}

/** The --json report: per host its name, final state, versions before/after, attempts and error. */
function reportForJson(p: RolloutProgress) {
  return {
    rolloutId: p.rolloutId, policy: p.policy, status: p.status, failures: p.failures, failuresTolerated: p.failuresTolerated,
    ...(p.message !== undefined ? { message: p.message } : {}),
    waves: p.waves,
    hosts: p.hosts.map((h) => ({
      name: h.name, wave: h.wave, state: h.state, before: h.record?.before ?? null, after: h.after ?? null, attempts: h.attempts, error: h.error ?? null,
      ...(h.record?.ignoredRecord !== undefined ? { ignoredRecord: h.record.ignoredRecord } : {}),
    })),
  };
}

/** Fills in every host's versions before/after from the results of the rollout's batch workflows. */
async function withVersions<P extends RolloutProgress>(c: Connected, p: P): Promise<P> {
  const results = await Promise.all(p.batches.map((id) => batchResult(c, id)));
  return mergeVersions(p, results);
}

/** A batch's result (its hosts' versions); a batch still running or unreadable is said on stderr, not hidden. */
async function batchResult(c: Connected, workflowId: string): Promise<BatchResult | HostReport[] | undefined> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = c.client.workflow.getHandle(workflowId);
      if ((await handle.describe()).status.name === 'RUNNING') return undefined;
      return (await handle.result()) as BatchResult | HostReport[];
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  process.stderr.write(`maint: versions of batch ${workflowId} unavailable: ${lastError instanceof Error ? lastError.message : String(lastError)}\n`);
  return undefined;
}

/** The rollout's progress with live host states of the batches in flight; the result once it has finished. */
async function currentProgress(c: Connected, rolloutId: string): Promise<{ progress: RolloutProgress; finished: boolean }> {
  const handle = c.client.workflow.getHandle(rolloutWorkflowId(rolloutId));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(EXIT.invalidInput, `no rollout ${rolloutId}`);
    throw err;
  }
  if (description.status.name === 'COMPLETED') return { progress: await withVersions(c, (await handle.result()) as RolloutReport), finished: true };
  if (description.status.name !== 'RUNNING' && description.status.name !== 'CONTINUED_AS_NEW') {
    throw new CliError(EXIT.failed, `rollout ${rolloutId} ended abnormally: workflow ${description.status.name.toLowerCase()}`);
  }
  let progress = await handle.query(progressQuery);
  // The rollout has decided its outcome and is closing: report it as finished, with versions.
  if (!['running', 'paused', 'awaiting-approval'].includes(progress.status)) return { progress: await withVersions(c, progress), finished: true };
  for (const id of progress.runningBatches ?? []) {
    const live = await c.client.workflow.getHandle(id).query(batchProgressQuery).catch(() => []);
    progress = mergeLive(progress, live);
  }
  return { progress, finished: false };
}

export async function rolloutStatus(id: string, opts: { watch?: boolean; json?: boolean; intervalMs?: number }): Promise<number> {
  const rolloutId = checkId(id);
  return withClient(async (c) => {
    const tty = process.stdout.isTTY && !opts.json;
    let last = '';
    for (;;) {
      const { progress, finished } = await currentProgress(c, rolloutId);
      const text = opts.json ? JSON.stringify(reportForJson(progress), null, 2) : renderProgress(progress);
      if (!opts.watch) {
        process.stdout.write(`${text}\n`);
        return finished ? (progress.status === 'completed' ? EXIT.ok : EXIT.failed) : EXIT.ok;
      }
      if (text !== last) {
        // In a terminal the screen is redrawn in place; elsewhere each change is printed once.
        process.stdout.write(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
        last = text;
      }
      if (finished) return progress.status === 'completed' ? EXIT.ok : EXIT.failed;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
  });
}

export async function rolloutControl(action: 'pause' | 'resume' | 'approve' | 'abort', id: string, opts: { reason?: string; by?: string }): Promise<number> {
  const rolloutId = checkId(id);
  const by = opts.by ?? process.env.USER ?? 'cli';
  return withClient(async (c) => {
    const handle = c.client.workflow.getHandle(rolloutWorkflowId(rolloutId));
    try {
      if (action === 'pause') await handle.signal(pauseSignal, { ...(opts.reason !== undefined ? { reason: opts.reason } : {}) });
      else if (action === 'resume') await handle.signal(resumeSignal);
      else if (action === 'approve') {
        const { approvedWave } = await handle.executeUpdate(approveUpdate, { args: [{ by }] });
        process.stdout.write(`approved: rollout ${rolloutId} continues after wave ${approvedWave}\n`);
        return EXIT.ok;
      } else {
        await handle.executeUpdate(abortUpdate, { args: [{ by, reason: opts.reason ?? 'aborted from the CLI' }] });
        process.stdout.write(`aborting rollout ${rolloutId}: the batch in flight is being rolled back; follow it with maint rollout status ${rolloutId} --watch\n`);
        return EXIT.ok;
      }
      process.stdout.write(`${action === 'pause' ? 'paused' : 'resumed'}: rollout ${rolloutId}\n`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new CliError(EXIT.failed, `${action} refused: ${err.cause?.message ?? err.message}`);
      if (err instanceof WorkflowNotFoundError) throw new CliError(EXIT.failed, `${action} refused: rollout ${rolloutId} does not exist or has already ended`);
      throw err;
    }
  });
}

export async function rolloutList(opts: { json?: boolean; limit?: number }): Promise<number> {
  return withClient(async (c) => {
    const rows: Array<{ rolloutId: string; status: string; started: string; closed: string | null }> = [];
    for await (const wf of c.client.workflow.list({ query: `WorkflowType = 'patchRolloutWorkflow'`, pageSize: 100 })) {
      if (wf.status.name === 'CONTINUED_AS_NEW') continue;
      rows.push({ rolloutId: wf.workflowId.replace(/^rollout-/, ''), status: wf.status.name.toLowerCase(), started: wf.startTime.toISOString(), closed: wf.closeTime?.toISOString() ?? null });
      if (rows.length >= (opts.limit ?? 50)) break;
    }
    if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      process.stdout.write(`${renderTable(['ROLLOUT', 'WORKFLOW', 'STARTED', 'CLOSED'], rows.map((r) => [r.rolloutId, r.status, r.started, r.closed ?? '']))}\n`);
    }
    return EXIT.ok;
  });
}
