/**
 * Monthly report schedules, synced by `maint apply` like window schedules: one Temporal Schedule per
 * customer of the `reports` section (policies/report/schedule.ts), created, updated in place when
 * its plan or the organisation files change, deleted when the customer gets no report any more.
 */
import { createHash } from 'node:crypto';
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { formatProblems } from '../policies/common/errors';
import { planReportSchedules, REPORT_SCHEDULE_PREFIX, type ReportSchedulePlan } from '../policies/report/schedule';
import { MANAGED_BY } from '../policies/windows/types';
import { monthlyReportWorkflow, type MonthlyReportInput } from '../workflows/monthlyReport';
import { InvalidInputError } from './errors';
import type { Organisation } from './organisation';
import { deleteSchedule, describeManaged, listSchedules, scheduleChange, writeSchedule, type ScheduleChange } from './schedules';

/** The report schedules the files ask for; problems are an InvalidInputError naming file and path. */
export function reportSchedulePlans(organisation: Organisation): ReportSchedulePlan[] {
  const { plans, problems } = planReportSchedules(organisation.files);
  if (problems.size > 0) throw new InvalidInputError([...problems.entries()].map(([file, p]) => formatProblems(file, p)).join('\n'));
  return plans;
}

export interface ReportChange {
  action: ScheduleChange | 'delete';
  scheduleId: string;
  customer: string;
  /** `day 2 at 08:00 Europe/Amsterdam to it@jansen.example`. */
  description: string;
}

/**
 * The organisation as one customer's report reads it: only the services the customer subscribes to
 * and the windows touching them (the rest of the files, tiers and channels as they are). The
 * schedule carries this, so its arguments stay small and a change to another customer's services
 * or windows leaves its hash, and the schedule, alone.
 */
export function reportOrganisation(organisation: Organisation, customer: string): Organisation {
  const services = new Set(organisation.files.flatMap((f) => f.content.services).filter((s) => s.subscribers.some((r) => r.name === customer)).map((s) => s.name));
  const touches = (names: readonly string[]) => names.some((n) => services.has(n));
  return {
    name: organisation.name,
    files: organisation.files.map((f) => ({
      file: f.file,
      content: { ...f.content, services: f.content.services.filter((s) => services.has(s.name)), windows: f.content.windows.filter((w) => touches(w.services)) },
    })),
    windows: organisation.windows.filter((w) => touches(w.services.map((s) => s.name))),
    warnings: [],
  };
}

/** The workflow input a customer's schedule starts with, and the hash `maint apply` compares. */
export function reportScheduleInput(plan: ReportSchedulePlan, organisation: Organisation): MonthlyReportInput {
  const scoped = reportOrganisation(organisation, plan.customer);
  const configHash = createHash('sha256').update(JSON.stringify({ plan, organisation: scoped })).digest('hex');
  return { report: plan, organisation: scoped, configHash };
}

export function reportScheduleOptions(plan: ReportSchedulePlan, organisation: Organisation, orgName: string, taskQueue: string): ScheduleOptions {
  const input = reportScheduleInput(plan, organisation);
  return {
    scheduleId: plan.scheduleId,
    spec: { calendars: [{ dayOfMonth: plan.dayOfMonth, hour: plan.hour, minute: plan.minute }], timezone: plan.timezone },
    action: { type: 'startWorkflow', workflowType: monthlyReportWorkflow, workflowId: plan.scheduleId, taskQueue, args: [input], memo: { customer: plan.customer, organisation: orgName } },
    // A run missed while Temporal was down is still sent, up to a week late; the ledger sends it once.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 7 * 86_400_000 },
    memo: { managedBy: MANAGED_BY, organisation: orgName, kind: 'report' },
    state: { note: `maint apply (config ${input.configHash.slice(0, 12)})` },
  };
}

const appliedHash = (d: ScheduleDescription) => (d.action.args?.[0] as MonthlyReportInput | undefined)?.configHash;
const describe = (p: ReportSchedulePlan) => `day ${p.dayOfMonth} at ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} ${p.timezone} to ${p.to.join(', ')}`;

/** Like `terraform plan`: what applying the report schedules would change. */
export async function planReportChanges(client: Client, organisation: Organisation, orgName: string, plans: ReportSchedulePlan[], taskQueue: string): Promise<ReportChange[]> {
  const ids = new Set(plans.map((p) => p.scheduleId));
  for (const s of (await listSchedules(client)).schedules) {
    if (s.memo.managedBy === MANAGED_BY && s.memo.organisation === orgName && s.memo.kind === 'report' && s.scheduleId.startsWith(REPORT_SCHEDULE_PREFIX)) ids.add(s.scheduleId);
  }
  const changes: ReportChange[] = [];
  for (const id of ids) {
    const current = await describeManaged(client, id);
    const plan = plans.find((p) => p.scheduleId === id);
    if (!plan) {
      if (current) changes.push({ action: 'delete', scheduleId: id, customer: String((current.action.args?.[0] as MonthlyReportInput | undefined)?.report?.customer ?? id), description: '' });
      continue;
    }
    const options = reportScheduleOptions(plan, organisation, orgName, taskQueue);
    const action = scheduleChange(current, options, reportScheduleInput(plan, organisation).configHash, appliedHash);
    changes.push({ action, scheduleId: id, customer: plan.customer, description: describe(plan) });
  }
  return changes.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** Creates, updates and deletes the report schedules as planned. Idempotent. */
export async function applyReportChanges(client: Client, organisation: Organisation, orgName: string, plans: ReportSchedulePlan[], changes: ReportChange[], taskQueue: string): Promise<void> {
  for (const change of changes) {
    if (change.action === 'delete') {
      await deleteSchedule(client, change.scheduleId);
      continue;
    }
    const plan = plans.find((p) => p.scheduleId === change.scheduleId);
    if (plan) await writeSchedule(client, reportScheduleOptions(plan, organisation, orgName, taskQueue), change.action);
  }
}
