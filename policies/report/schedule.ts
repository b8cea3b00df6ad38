/**
 * The monthly report e-mails of the organisation files' `reports` section: one Temporal Schedule per
 * customer (a subscriber name), on the configured day and local time in the customer's timezone,
 * sending the previous month's report to the customer's e-mail subscriptions. Pure.
 */
import type { PolicyProblem } from '../common/errors';
import { monthInterval, monthOf, type MonthKey } from '../availability/months';
import type { LoadedOrganisationFile } from '../organisation/plan';
import type { Channel, Language } from '../organisation/schema';

export const REPORT_SCHEDULE_PREFIX = 'report-';

export interface ReportSchedulePlan {
  customer: string;
  scheduleId: string;
  language: Language;
  timezone: string;
  dayOfMonth: number;
  hour: number;
  minute: number;
  /** The e-mail channel of the customer's first e-mail subscription. */
  channel: Extract<Channel, { kind: 'email' }>;
  /** Every address the customer subscribed with on that channel. */
  to: string[];
}

/** `report-bakkerij-jansen`: the customer's name in lower case, runs of other characters as one dash. */
export function reportScheduleId(customer: string): string {
  const slug = customer.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80);
  return `${REPORT_SCHEDULE_PREFIX}${slug || 'customer'}`;
}

/** The ledger key of one customer's report of one month: sent at most once. */
export function reportDeliveryKey(customer: string, month: MonthKey): string {
  return `report/${customer}/${month}`;
}

/** The calendar month before the one `at` falls in, in `timezone`. */
export function previousMonth(at: number, timezone: string): MonthKey {
  return monthOf(monthInterval(monthOf(at, timezone), timezone).start - 1, timezone);
}

/** The schedules the `reports` section asks for; problems name file and path. */
export function planReportSchedules(files: readonly LoadedOrganisationFile[]): { plans: ReportSchedulePlan[]; problems: Map<string, PolicyProblem[]> } {
  const problems = new Map<string, PolicyProblem[]>();
  const report = (file: string, path: string, message: string) => problems.set(file, [...(problems.get(file) ?? []), { path, message }]);
  const holders = files.filter((f) => f.content.reports !== undefined);
  for (const extra of holders.slice(1)) report(extra.file, 'reports', `is already defined in ${holders[0]!.file}; define it in one file only`);
  const holder = holders[0];
  if (!holder) return { plans: [], problems };
  const settings = holder.content.reports!;

  const channels = new Map(files.flatMap((f) => f.content.channels.map((c) => [c.name, c] as const)));
  // Customers as `maint report` knows them: each subscriber name, language and timezone of its first subscription.
  const customers = new Map<string, { language: Language; timezone: string; channel?: Extract<Channel, { kind: 'email' }>; to: string[] }>();
  for (const { content } of files) {
    for (const service of content.services) {
      for (const sub of service.subscribers) {
        const known = customers.get(sub.name) ?? { language: sub.language, timezone: sub.timezone, to: [] };
        const channel = channels.get(sub.channel);
        if (channel?.kind === 'email' && sub.to !== undefined && (known.channel === undefined || known.channel.name === channel.name)) {
          known.channel = channel;
          if (!known.to.includes(sub.to)) known.to.push(sub.to);
        }
        customers.set(sub.name, known);
      }
    }
  }
  const names = settings.customers ?? [...customers.keys()].filter((n) => customers.get(n)!.channel !== undefined);
  const [hour, minute] = settings.at.split(':').map(Number) as [number, number];
  const plans: ReportSchedulePlan[] = [];
  const ids = new Map<string, string>();
  names.forEach((name, i) => {
    const path = settings.customers ? `reports.customers[${i}]` : 'reports';
    const customer = customers.get(name);
    if (!customer) return report(holder.file, path, `unknown customer "${name}"; customers are the subscribers of services: ${[...customers.keys()].join(', ') || 'none'}`);
    if (!customer.channel) return report(holder.file, path, `customer "${name}" has no e-mail subscription (a subscriber with an e-mail channel and \`to\`) to send the report to`);
    const scheduleId = reportScheduleId(name);
    const clash = ids.get(scheduleId);
    if (clash !== undefined) return report(holder.file, path, `customer "${name}" has the same schedule id ${scheduleId} as "${clash}"; rename one`);
    ids.set(scheduleId, name);
    plans.push({ customer: name, scheduleId, language: customer.language, timezone: customer.timezone, dayOfMonth: settings.dayOfMonth, hour, minute, channel: customer.channel, to: customer.to });
  });
  return { plans: plans.sort((a, b) => a.customer.localeCompare(b.customer)), problems };
}
