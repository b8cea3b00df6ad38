import { auditAction, withWorkersStore } from './db';
import type { Connected } from '../control/connection';
import { withClient } from '../control/connection';
import { checkRolloutId, controlRollout, listRollouts, newRolloutId, previewRollout, rolloutProgress, rolloutResult, startRollout, type RolloutContext, type RolloutControl } from '../control/rollouts';
import { loadRollout, rolloutTargets, snapshotTargets } from '../control/targets';
import { hostSourceUnit } from '../inventory';
import type { ResolvedHost } from '../policies/inventory/hosts';
import type { HostSource } from '../policies/inventory/sources';
import type { RolloutPolicy } from '../policies/rollout/policy';
import type { RolloutProgress, RolloutReport, TargetSet } from '../policies/rollout/types';
import { planTargetWaves, waveSettings, ZONE_TAG } from '../policies/rollout/waves';
import { strategyBaseline } from '../policies/rollout/strategies';
import { EXIT } from './errors';
import { warnWithoutWorker } from './hosts';
import { renderPlan, renderProgress } from './rolloutView';
import { renderTable } from './table';

export interface StartOptions {
  file: string;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
  id?: string;
}

function context(c: Connected): RolloutContext {
  return { client: c.client, taskQueue: c.env.MAINT_TASK_QUEUE, warn: (message) => process.stderr.write(`maint: ${message}\n`) };
}

export async function rolloutStart(opts: StartOptions): Promise<number> {
  const { policy, hosts, source } = await loadRollout(opts.file);
  const rolloutId = opts.id !== undefined ? checkRolloutId(opts.id) : newRolloutId(policy.name);
  return withClient(async (c) => {
    await warnWithoutWorker(c, ['workflows', 'hosts', 'control']);
    const ctx = context(c);
    if (opts.dryRun) {
      // In wave order: a baseline's versions are fixed by the first host to have them approved, as the rollout does.
      const { hosts: ordered, waves: plan } = planTargetWaves(hosts, waveSettings(policy), (h) => h.tags[ZONE_TAG]);
      const previews = await previewRollout(ctx, { rolloutId, policy, hosts: ordered });
      process.stdout.write(opts.json
        ? `${JSON.stringify({ rolloutId, dryRun: true, waves: plan.map((w) => ({ ...w, hosts: ordered.slice(w.start, w.start + w.size).map((h) => h.name) })), hosts: previews }, null, 2)}\n`
        : `${renderPlan(rolloutId, plan, ordered, previews, strategyBaseline(policy.strategy)?.baseline)}\n`);
      return previews.some((p) => p.error !== undefined) ? EXIT.failed : EXIT.ok;
    }
    const handle = await startRollout(ctx, { rolloutId, policy, targets: await targetsToStart(policy, source, hosts, opts.json) });
    if (!opts.wait) {
      process.stdout.write(opts.json ? `${JSON.stringify({ rolloutId, workflowId: handle.workflowId })}\n` : `${rolloutId}\n`);
      if (!opts.json) process.stderr.write(`rollout started on ${hosts.length} host(s); follow it with: maint rollout status ${rolloutId} --watch\n`);
      return EXIT.ok;
    }
    if (!opts.json) process.stderr.write(`rollout ${rolloutId} started on ${hosts.length} host(s)\n`);
    return printReport(await rolloutResult(ctx, handle), opts.json);
  });
}

/**
 * Inline when few; beyond, a snapshot in the workers' store, so no worker needs the source's path.
 * Without a store yet (SQLite no worker has made), the source, which every worker must then see.
 */
async function targetsToStart(policy: RolloutPolicy, source: HostSource, hosts: ResolvedHost[], quiet?: boolean): Promise<TargetSet> {
  const targets = rolloutTargets(policy, source, hosts);
  if (targets.kind === 'inline') return targets;
  return withWorkersStore(async (store) => {
    const snapshot = await snapshotTargets(store, policy, hosts);
    if (!quiet) process.stderr.write(`${hosts.length} hosts: stored as inventory snapshot ${snapshot.id} in ${store.target}; workers read them from there (they must use this store)\n`);
    return snapshot;
  }, (why) => {
    process.stderr.write(`warning: ${hosts.length} hosts passed by their source, not as a snapshot in the store: ${why}; every worker reads the source itself and must see ${hostSourceUnit(source).describe(source)}\n`);
    return targets;
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

export async function rolloutStatus(id: string, opts: { watch?: boolean; json?: boolean; intervalMs?: number }): Promise<number> {
  const rolloutId = checkRolloutId(id);
  return withClient(async (c) => {
    const ctx = context(c);
    const tty = process.stdout.isTTY && !opts.json;
    let last = '';
    for (;;) {
      const { progress, finished } = await rolloutProgress(ctx, rolloutId);
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

export async function rolloutControl(action: RolloutControl, id: string, opts: { reason?: string; by?: string }): Promise<number> {
  const rolloutId = checkRolloutId(id);
  const by = opts.by ?? process.env.USER ?? 'cli';
  const reason = opts.reason ?? (action === 'abort' ? 'aborted from the CLI' : undefined);
  return withClient(async (c) => {
    const { approvedWave } = await controlRollout(context(c), rolloutId, action, { by, ...(reason !== undefined ? { reason } : {}) });
    await auditAction({ actor: by, action, subject: `rollout ${rolloutId}`, ...(reason !== undefined ? { reason } : {}), ...(approvedWave !== undefined ? { detail: { approvedWave } } : {}) });
    process.stdout.write(
      action === 'approve' ? `approved: rollout ${rolloutId} continues after wave ${approvedWave}\n`
      : action === 'abort' ? `aborting rollout ${rolloutId}: the batch in flight is being rolled back; follow it with maint rollout status ${rolloutId} --watch\n`
      : `${action === 'pause' ? 'paused' : 'resumed'}: rollout ${rolloutId}\n`,
    );
    return EXIT.ok;
  });
}

export async function rolloutList(opts: { json?: boolean; limit?: number }): Promise<number> {
  return withClient(async (c) => {
    const rows = await listRollouts(c.client, opts.limit ?? 50);
    if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      process.stdout.write(`${renderTable(['ROLLOUT', 'WORKFLOW', 'STARTED', 'CLOSED'], rows.map((r) => [r.rolloutId, r.status, r.started, r.closed ?? '']))}\n`);
    }
    return EXIT.ok;
  });
}
