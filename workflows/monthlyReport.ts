import type { NoticeDelivery } from '../activities/notices';
import type { Organisation } from '../control/organisation';
import { previousMonth, type ReportSchedulePlan } from '../policies/report/schedule';
import { reportDelivery } from './activityProfiles';

export interface MonthlyReportInput {
  /** Not `plan`: that is what window schedules' arguments hold (control/windowSchedule.ts appliedPlan). */
  report: ReportSchedulePlan;
  organisation: Organisation;
  /** Hash of plan and organisation: `maint apply` compares it with the files'. */
  configHash: string;
  /** The month to send; default the month before the one the run starts in (customer's timezone). */
  month?: string;
}

/** Started by a customer's report schedule: e-mails the previous month's report, once per (customer, month). */
export async function monthlyReportWorkflow(input: MonthlyReportInput): Promise<NoticeDelivery & { month: string }> {
  const month = input.month ?? previousMonth(Date.now(), input.report.timezone);
  const delivery = await reportDelivery.sendMonthlyReport({ plan: input.report, month, organisation: input.organisation });
  return { ...delivery, month };
}
