/**
 * Rollouts as a client sees them: start one (or preview it), follow its progress with every host's
 * versions, pause/resume/approve/abort it, list them. Workflows, signals and updates are named by
 * reference (workflows/, workflows/messages.ts), so a rename does not compile until every face follows.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { RolloutPolicy } from '../policies/rollout/policy';
import { mergeLive, mergeVersions } from '../policies/rollout/progress';
import type { BatchResult, HostReport, RolloutInput, RolloutProgress, RolloutReport } from '../policies/rollout/types';
import { abortUpdate, approveUpdate, batchProgressQuery, pauseSignal, progressQuery, resumeSignal } from '../workflows/messages';
import { patchRolloutWorkflow, rolloutWorkflowId } from '../workflows/patchRollout';
import { previewRolloutWorkflow, type HostPreview } from '../workflows/previewRollout';
import { InvalidInputError, OperationFailedError } from './errors';

/** Where a rollout runs: the client and the task queue its workflows are started on. */
export interface RolloutContext {
  client: Client;
  taskQueue: string;
  /** Told what could not be read but did not stop the answer (a batch's versions). */
  warn?: (message: string) => void;
}

/** `<policy name>-<yyyymmdd-hhmmss>-<random>`. */
export function newRolloutId(policyName: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${policyName}-${stamp}-${randomBytes(2).toString('hex')}`;
}

const ID = /^[a-z0-9][a-z0-9-]{0,120}$/;

/** The id, if it can be a rollout's; else an InvalidInputError. */
export function checkRolloutId(id: string): string {
  if (!ID.test(id)) throw new InvalidInputError(`"${id}" is not a rollout id (as printed by \`maint rollout start\`)`);
  return id;
}

/** What each host would install; changes nothing. */
export function previewRollout(ctx: RolloutContext, input: { rolloutId: string; policy: RolloutPolicy; hosts: ResolvedHost[] }): Promise<HostPreview[]> {
  return ctx.client.workflow.execute(previewRolloutWorkflow, {
    taskQueue: ctx.taskQueue, workflowId: `preview-${input.rolloutId}`, args: [{ rolloutId: input.rolloutId, strategy: input.policy.strategy, hosts: input.hosts }],
  });
}

/** Starts the rollout; an id already used is an InvalidInputError. */
export async function startRollout(ctx: RolloutContext, input: RolloutInput): Promise<WorkflowHandle<typeof patchRolloutWorkflow>> {
  try {
    return await ctx.client.workflow.start(patchRolloutWorkflow, {
      taskQueue: ctx.taskQueue, workflowId: rolloutWorkflowId(input.rolloutId), args: [input],
      // A rollout id names one rollout forever: reports, job records on hosts and audit trails rely on it.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new InvalidInputError(`rollout ${input.rolloutId} already exists; pick another --id`);
    throw err;
  }
}

/** The rollout's report once it has finished, with every host's versions. */
export async function rolloutResult(ctx: RolloutContext, handle: WorkflowHandle<typeof patchRolloutWorkflow>): Promise<RolloutReport> {
  return withVersions(ctx, await handle.result());
}

/** Fills in every host's versions before/after from the results of the rollout's batch workflows. */
async function withVersions<P extends RolloutProgress>(ctx: RolloutContext, p: P): Promise<P> {
  const results = await Promise.all(p.batches.map((id) => batchResult(ctx, id)));
  return mergeVersions(p, results);
}

/**
 * Why a running rollout answers no query when its workflow task keeps failing (no worker can run
 * it; the worker's log and the history say why): undefined when it does not.
 */
function failingWorkflowTask(rolloutId: string, attempt: number): OperationFailedError | undefined {
  if (attempt < 2) return undefined;
  return new OperationFailedError(
    `rollout ${rolloutId}: no worker can run it, its workflow task has failed ${attempt - 1} time(s) (the worker's log says why); ` +
      `a worker with MAINT_PAYLOAD_KEY refuses a rollout started by a client without the key: end it with \`temporal workflow terminate -w ${rolloutWorkflowId(rolloutId)}\``,
  );
}

/** A batch's result (its hosts' versions); a batch still running is left out, one unreadable is told to `warn`. */
async function batchResult(ctx: RolloutContext, workflowId: string): Promise<BatchResult | HostReport[] | undefined> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = ctx.client.workflow.getHandle(workflowId);
      if ((await handle.describe()).status.name === 'RUNNING') return undefined;
      return (await handle.result()) as BatchResult | HostReport[];
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  ctx.warn?.(`versions of batch ${workflowId} unavailable: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  return undefined;
}

/** Results of finished batch workflows, kept by a long-running client (the console) across reads. */
export type BatchResultCache = Map<string, BatchResult | HostReport[]>;

/**
 * The rollout's progress with live host states of the batches in flight; the result, with
 * versions, once it has finished (or decided its outcome and is closing).
 */
export async function rolloutProgress(ctx: RolloutContext, rolloutId: string, options: { versionsWhileRunning?: BatchResultCache } = {}): Promise<{ progress: RolloutProgress; finished: boolean }> {
  const handle = ctx.client.workflow.getHandle<typeof patchRolloutWorkflow>(rolloutWorkflowId(rolloutId));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new InvalidInputError(`no rollout ${rolloutId}`);
    throw err;
  }
  if (description.status.name === 'COMPLETED') return { progress: await withVersions(ctx, await handle.result()), finished: true };
  if (description.status.name !== 'RUNNING' && description.status.name !== 'CONTINUED_AS_NEW') {
    throw new OperationFailedError(`rollout ${rolloutId} ended abnormally: workflow ${description.status.name.toLowerCase()}`);
  }
  let progress = await handle.query(progressQuery).catch((err: unknown) => {
    throw failingWorkflowTask(rolloutId, description.raw.pendingWorkflowTask?.attempt ?? 0) ?? err;
  });
  if (!['running', 'paused', 'awaiting-approval'].includes(progress.status)) return { progress: await withVersions(ctx, progress), finished: true };
  const cache = options.versionsWhileRunning;
  if (cache) {
    // Versions of the batches that have finished (their results never change: read once, kept).
    const results = await Promise.all(progress.batches.filter((id) => !(progress.runningBatches ?? []).includes(id)).map(async (id) => {
      if (!cache.has(id)) {
        const result = await batchResult(ctx, id);
        if (result !== undefined) cache.set(id, result);
      }
      return cache.get(id);
    }));
    progress = mergeVersions(progress, results);
  }
  for (const id of progress.runningBatches ?? []) {
    const live = await ctx.client.workflow.getHandle(id).query(batchProgressQuery).catch(() => []);
    progress = mergeLive(progress, live);
  }
  return { progress, finished: false };
}

export type RolloutControl = 'pause' | 'resume' | 'approve' | 'abort';

/**
 * Pauses, resumes, approves (the manual gate it waits at) or aborts (the batch in flight is rolled
 * back) a rollout. Refused (by the rollout, or because it has ended) is an OperationFailedError.
 */
export async function controlRollout(ctx: RolloutContext, rolloutId: string, action: RolloutControl, by: { by: string; reason?: string }): Promise<{ approvedWave?: number }> {
  const handle = ctx.client.workflow.getHandle<typeof patchRolloutWorkflow>(rolloutWorkflowId(rolloutId));
  try {
    switch (action) {
      case 'pause':
        await handle.signal(pauseSignal, { ...(by.reason !== undefined ? { reason: by.reason } : {}) });
        return {};
      case 'resume':
        await handle.signal(resumeSignal);
        return {};
      case 'approve':
        return await handle.executeUpdate(approveUpdate, { args: [{ by: by.by }] });
      case 'abort':
        await handle.executeUpdate(abortUpdate, { args: [{ by: by.by, ...(by.reason !== undefined ? { reason: by.reason } : {}) }] });
        return {};
    }
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new OperationFailedError(`${action} refused: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError) throw new OperationFailedError(`${action} refused: rollout ${rolloutId} does not exist or has already ended`);
    throw err;
  }
}

export interface RolloutListing {
  rolloutId: string;
  status: string;
  started: string;
  closed: string | null;
}

/** Rollouts, newest first (a rollout that continued as new counts once); those of one task queue (a deployment) when named. */
export async function listRollouts(client: Client, limit: number, options: { taskQueue?: string; running?: boolean } = {}): Promise<RolloutListing[]> {
  const rows: RolloutListing[] = [];
  const query = [`WorkflowType = '${patchRolloutWorkflow.name}'`, ...(options.taskQueue !== undefined ? [`TaskQueue = '${options.taskQueue.replace(/'/g, "\\'")}'`] : []), ...(options.running ? [`ExecutionStatus = 'Running'`] : [])].join(' AND ');
  for await (const wf of client.workflow.list({ query, pageSize: 100 })) {
    if (wf.status.name === 'CONTINUED_AS_NEW') continue;
    rows.push({ rolloutId: wf.workflowId.replace(/^rollout-/, ''), status: wf.status.name.toLowerCase(), started: wf.startTime.toISOString(), closed: wf.closeTime?.toISOString() ?? null });
    if (rows.length >= limit) break;
  }
  return rows;
}
