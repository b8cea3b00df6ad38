/**
 * Service probe workflows, synced by `maint apply` like window schedules: one long-running
 * workflow per service with probes (policies/probes/plan.ts probeWorkflowId), created when the
 * service gets probes, sent the new plan when they change, cancelled when they are gone.
 */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { formatProblems } from '../policies/common/errors';
import { planServiceProbes, probeWorkflowId, type ServiceProbePlan } from '../policies/probes/plan';
import { MANAGED_BY } from '../policies/windows/types';
import { probePlanSignal } from '../workflows/messages';
import { serviceProbeWorkflow } from '../workflows/serviceProbe';
import { InvalidInputError } from './errors';
import type { Organisation } from './organisation';

/** The organisation's name as its files say it (Organisation.name is empty when no window is defined). */
export function organisationName(organisation: Organisation): string {
  return organisation.files.find((f) => f.content.organisation !== undefined)?.content.organisation?.name ?? organisation.name;
}

/** The probe plan of every service with probes; problems are an InvalidInputError naming file and path. */
export function serviceProbePlans(organisation: Organisation): ServiceProbePlan[] {
  const { plans, problems } = planServiceProbes(organisation.files);
  if (problems.size > 0) throw new InvalidInputError([...problems.entries()].map(([file, p]) => formatProblems(file, p)).join('\n'));
  return plans.map((p) => ({ ...p, configHash: createHash('sha256').update(JSON.stringify(p)).digest('hex') }));
}

export interface ProbeChange {
  action: 'create' | 'update' | 'unchanged' | 'stop';
  workflowId: string;
  service: string;
  /** `2 probes every 30s from maint-control`. */
  description: string;
}

/** The running probe workflows of an organisation, by workflow id, with the config hash each runs. */
async function runningProbes(client: Client, organisation: string, ids: string[]): Promise<Map<string, { service: string; configHash?: string }>> {
  const running = new Map<string, { service: string; configHash?: string }>();
  const add = (workflowId: string, memo: Record<string, unknown>) => {
    if (memo.managedBy !== MANAGED_BY || memo.organisation !== organisation) return;
    running.set(workflowId, { service: String(memo.service), ...(typeof memo.configHash === 'string' ? { configHash: memo.configHash } : {}) });
  };
  for await (const w of client.workflow.list({ query: `WorkflowType = '${serviceProbeWorkflow.name}' AND ExecutionStatus = 'Running'` })) add(w.workflowId, (w.memo ?? {}) as Record<string, unknown>);
  // Each planned id looked up directly too: visibility lags behind by a second or so.
  for (const id of ids) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      if (d.status.name === 'RUNNING') add(id, (d.memo ?? {}) as Record<string, unknown>);
      else running.delete(id);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return running;
}

const describePlan = (plan: ServiceProbePlan, taskQueue: string) =>
  `${plan.probes.length} probe${plan.probes.length === 1 ? '' : 's'} every ${plan.intervalMs / 1000}s from ${plan.probeFrom ?? `${taskQueue}-control`}`;

/** What applying these probe plans would change. */
export async function planProbeChanges(client: Client, organisation: string, plans: ServiceProbePlan[], taskQueue: string): Promise<ProbeChange[]> {
  const ids = plans.map((p) => probeWorkflowId(organisation, p.service));
  const running = await runningProbes(client, organisation, ids);
  const changes: ProbeChange[] = plans.map((plan, i) => {
    const current = running.get(ids[i]!);
    running.delete(ids[i]!);
    const action = current === undefined ? 'create' : current.configHash === plan.configHash ? 'unchanged' : 'update';
    return { action, workflowId: ids[i]!, service: plan.service, description: describePlan(plan, taskQueue) };
  });
  for (const [workflowId, { service }] of running) changes.push({ action: 'stop', workflowId, service, description: 'no probes in the files' });
  return changes;
}

/** Starts, re-plans and stops probe workflows as planned. Idempotent. */
export async function applyProbeChanges(client: Client, organisation: string, plans: ServiceProbePlan[], changes: ProbeChange[], taskQueue: string): Promise<void> {
  const byService = new Map(plans.map((p) => [p.service, p]));
  for (const change of changes) {
    if (change.action === 'unchanged') continue;
    if (change.action === 'stop') {
      await client.workflow.getHandle(change.workflowId).cancel().catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
      continue;
    }
    const plan = byService.get(change.service)!;
    // Starts the workflow, or hands the running one its new plan (it takes it from the next round).
    await client.workflow.signalWithStart(serviceProbeWorkflow, {
      workflowId: change.workflowId, taskQueue, args: [{ plan }], signal: probePlanSignal, signalArgs: [plan],
      memo: { managedBy: MANAGED_BY, organisation, service: plan.service, configHash: plan.configHash },
    });
  }
}
