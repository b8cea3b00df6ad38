/**
 * Service probe workflows, synced by `maint apply` like window schedules: one long-running
 * workflow per probe group (policies/probes/plan.ts probeGroups: the services probed from one
 * location at one interval, in shards of about 100), created when a group gets services, sent the
 * new plan when its services or their probes change, cancelled when it has none left.
 */
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { formatProblems } from '../policies/common/errors';
import { planServiceProbes, probeGroups, PROBE_WORKFLOW_PREFIX, type ProbeGroupPlan, type ServiceProbePlan } from '../policies/probes/plan';
import { MANAGED_BY } from '../policies/windows/types';
import { probeGroupSignal } from '../workflows/messages';
import { serviceProbesWorkflow } from '../workflows/serviceProbe';
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
  /** The probe workflow the service is (or was) probed by. */
  workflowId: string;
  service: string;
  /** `2 probes every 30s from maint-control`. */
  description: string;
}

/**
 * A probe workflow's memo: the organisation and, per service, a short hash of its plan, so that
 * `maint apply` sees which services a running workflow probes and with which plan.
 */
export function probeGroupMemo(group: ProbeGroupPlan): Record<string, unknown> {
  return { managedBy: MANAGED_BY, organisation: group.organisation, services: Object.fromEntries(group.services.map((p) => [p.service, p.configHash.slice(0, 16)])) };
}

type Running = Map<string, Record<string, string>>;

/** The running probe workflows of an organisation: per workflow id, the services and plan hashes it probes. */
async function runningProbes(client: Client, organisation: string, ids: string[]): Promise<Running> {
  const running: Running = new Map();
  const add = (workflowId: string, memo: Record<string, unknown>) => {
    if (memo.managedBy !== MANAGED_BY || memo.organisation !== organisation || typeof memo.services !== 'object' || memo.services === null) return;
    running.set(workflowId, Object.fromEntries(Object.entries(memo.services as Record<string, unknown>).map(([service, hash]) => [service, String(hash)])));
  };
  for await (const w of client.workflow.list({ query: `WorkflowType = '${serviceProbesWorkflow.name}' AND ExecutionStatus = 'Running' AND WorkflowId STARTS_WITH '${PROBE_WORKFLOW_PREFIX}'` })) add(w.workflowId, (w.memo ?? {}) as Record<string, unknown>);
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

/** What applying these probe plans would change, per service. */
export async function planProbeChanges(client: Client, organisation: string, plans: ServiceProbePlan[], taskQueue: string): Promise<ProbeChange[]> {
  const groups = probeGroups(organisation, plans);
  const running = await runningProbes(client, organisation, groups.map((g) => g.id));
  const runningHash = new Map([...running.values()].flatMap((services) => Object.entries(services)));
  const changes: ProbeChange[] = [];
  for (const group of groups) {
    for (const plan of group.services) {
      const hash = running.get(group.id)?.[plan.service];
      const action = hash === plan.configHash.slice(0, 16) ? 'unchanged' : hash !== undefined || runningHash.has(plan.service) ? 'update' : 'create';
      changes.push({ action, workflowId: group.id, service: plan.service, description: describePlan(plan, taskQueue) });
    }
  }
  const plannedIn = new Map(groups.flatMap((g) => g.services.map((p) => [p.service, g.id] as const)));
  for (const [workflowId, services] of running) {
    for (const service of Object.keys(services)) {
      const now = plannedIn.get(service);
      if (now === undefined) changes.push({ action: 'stop', workflowId, service, description: 'no probes in the files' });
      else if (now !== workflowId) changes.push({ action: 'stop', workflowId, service, description: `moved to ${now}` });
    }
  }
  return changes;
}

/**
 * Starts, re-plans and stops probe workflows so that each probes what its group plans. Idempotent.
 * A group is signalled when a service of it changed, or when its running workflow probes a
 * service it no longer holds (stopped, or moved to another group when a group doubled).
 */
export async function applyProbeChanges(client: Client, organisation: string, plans: ServiceProbePlan[], changes: ProbeChange[], taskQueue: string): Promise<void> {
  const groups = probeGroups(organisation, plans);
  const changed = new Set(changes.filter((c) => c.action !== 'unchanged').map((c) => c.workflowId));
  for (const group of groups) {
    if (!changed.has(group.id)) continue;
    const memo = probeGroupMemo(group);
    // Starts the workflow, or hands the running one its new plan (it takes it from the next round).
    await client.workflow.signalWithStart(serviceProbesWorkflow, {
      workflowId: group.id, taskQueue, args: [{ group }], signal: probeGroupSignal, signalArgs: [group, memo], memo,
    });
  }
  const planned = new Set(groups.map((g) => g.id));
  for (const workflowId of new Set(changes.filter((c) => c.action === 'stop' && !planned.has(c.workflowId)).map((c) => c.workflowId))) {
    await client.workflow.getHandle(workflowId).cancel().catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  }
}
