/**
 * Compliance scan schedules, synced by `maint apply` like window and dependency schedules: one
 * Temporal Schedule per `compliance:` entry of the organisation files, running the compliance scan
 * workflow on the inventory by reference (the worker reads its hosts at each run); created,
 * updated in place, left alone, or deleted when the files no longer have it.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { COMPLIANCE_SCHEDULE_PREFIX } from '../policies/compliance/schedule';
import { formatProblems } from '../policies/common/errors';
import { MANAGED_BY } from '../policies/windows/types';
import { complianceScanWorkflow, type ComplianceScanInput } from '../workflows/complianceScan';
import { InvalidInputError } from './errors';
import type { Organisation } from './organisation';
import { organisationName } from './probes';
import { deleteSchedule, describeManaged, listSchedules, scheduleChange, writeSchedule, type ScheduleChange } from './schedules';
import { readHosts } from './targets';

export interface ComplianceSchedulePlan {
  scheduleId: string;
  /** Absolute path of the inventory. */
  inventory: string;
  cron: string;
  timezone: string;
  input: ComplianceScanInput;
  configHash: string;
}

export function complianceScheduleId(inventory: string): string {
  const name = basename(inventory, extname(inventory)).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'inventory';
  return `${COMPLIANCE_SCHEDULE_PREFIX}${name}-${createHash('sha256').update(inventory).digest('hex').slice(0, 8)}`;
}

/**
 * The schedules the files ask for. Each inventory must be readable now (not at 05:00 on the night)
 * and appear once; problems are an InvalidInputError naming the file and `compliance[i]…`.
 */
export async function complianceSchedulePlans(organisation: Organisation): Promise<ComplianceSchedulePlan[]> {
  const plans: ComplianceSchedulePlan[] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, content } of organisation.files) {
    for (const [i, entry] of content.compliance.entries()) {
      const inventory = isAbsolute(entry.inventory) ? entry.inventory : resolve(dirname(file), entry.inventory);
      const at = `compliance[${i}].inventory`;
      const key = `${inventory}\n${entry.selector ?? ''}`;
      if (seen.has(key)) {
        errors.push(formatProblems(file, [{ path: at, message: `${entry.inventory} is already scanned by ${seen.get(key)}; scan an inventory (and selector) once` }]));
        continue;
      }
      seen.set(key, `${file} ${at}`);
      try {
        await readHosts({ kind: 'static', file: inventory }, entry.selector);
      } catch (err) {
        errors.push(`${formatProblems(file, [{ path: at, message: `cannot use ${entry.inventory}` }])}\n${(err as Error).message}`);
        continue;
      }
      const input: ComplianceScanInput = {
        targets: { kind: 'source', source: { kind: 'static', file: inventory }, ...(entry.selector !== undefined ? { selector: entry.selector } : {}) },
        ...(entry.parallelism !== undefined ? { parallelism: entry.parallelism } : {}),
        ...(entry.refresh ? { refresh: true } : {}),
      };
      const schedule = { cron: entry.schedule.cron, timezone: entry.schedule.timezone };
      const scheduleId = entry.selector === undefined ? complianceScheduleId(inventory) : complianceScheduleId(`${inventory}?${entry.selector}`);
      plans.push({ scheduleId, inventory, ...schedule, input, configHash: createHash('sha256').update(JSON.stringify({ input, schedule })).digest('hex') });
    }
  }
  if (errors.length > 0) throw new InvalidInputError(errors.join('\n'));
  return plans;
}

export interface ComplianceScheduleChange {
  action: ScheduleChange | 'delete';
  scheduleId: string;
  description: string;
}

const appliedHash = (d: ScheduleDescription) => {
  const hash = (d.action.memo as Record<string, unknown> | undefined)?.configHash;
  return typeof hash === 'string' ? hash : undefined;
};

function scheduleOptions(plan: ComplianceSchedulePlan, organisation: string, taskQueue: string): ScheduleOptions {
  return {
    scheduleId: plan.scheduleId,
    spec: { cronExpressions: [plan.cron], timezone: plan.timezone },
    action: {
      // Each run's id is this id and its start time (Temporal adds it): the scan id its results are stored under.
      type: 'startWorkflow', workflowType: complianceScanWorkflow, workflowId: plan.scheduleId, taskQueue, args: [plan.input], memo: { configHash: plan.configHash },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
    memo: { managedBy: MANAGED_BY, organisation, compliance: true },
    state: { note: `maint apply (config ${plan.configHash.slice(0, 12)})` },
  };
}

/** Keeps the organisation's compliance schedules in line with the plans; with `dryRun`, only says what it would do. Idempotent. */
export async function syncComplianceSchedules(client: Client, organisation: Organisation, plans: ComplianceSchedulePlan[], taskQueue: string, dryRun: boolean): Promise<ComplianceScheduleChange[]> {
  const org = organisationName(organisation);
  const listed = (await listSchedules(client)).schedules
    .filter((s) => s.memo.managedBy === MANAGED_BY && s.memo.organisation === org && s.memo.compliance === true)
    .map((s) => s.scheduleId);
  const changes: ComplianceScheduleChange[] = [];
  for (const plan of plans) {
    const options = scheduleOptions(plan, org, taskQueue);
    const action = scheduleChange(await describeManaged(client, plan.scheduleId), options, plan.configHash, appliedHash);
    if (!dryRun) await writeSchedule(client, options, action);
    changes.push({ action, scheduleId: plan.scheduleId, description: `scans ${plan.inventory}${plan.input.targets.kind === 'source' && plan.input.targets.selector ? ` (${plan.input.targets.selector})` : ''} at "${plan.cron}" (${plan.timezone})` });
  }
  const planned = new Set(plans.map((p) => p.scheduleId));
  for (const scheduleId of new Set(listed)) {
    if (planned.has(scheduleId)) continue;
    if (!dryRun) await deleteSchedule(client, scheduleId);
    changes.push({ action: 'delete', scheduleId, description: 'no longer under compliance: in the files' });
  }
  return changes;
}
