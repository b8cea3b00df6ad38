/**
 * The monthly report e-mail: gathers a customer's month as `maint report` does, renders it (HTML
 * body, Markdown text, the HTML printed to PDF as attachment) and sends it through the notice
 * ledger under `report/<customer>/<month>`, so each customer gets each month's report once, however
 * often the schedule fires or the activity is retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Organisation } from '../../control/organisation';
import { gatherMonthlyReport } from '../../control/report';
import { FAILURE } from '../../policies/common/failures';
import { reportDeliveryKey, type ReportSchedulePlan } from '../../policies/report/schedule';
import type { Store } from '../../store';
import { renderReportHtml, renderReportMarkdown } from '../../web/report';
import { printReportPdf } from '../../web/reportPdf';
import { heartbeat, heartbeatWhile } from '../context';
import { createDelivery, type NoticeDelivery } from '../notices';
import type { EmailSender } from '../notices/email';

export interface ReportDeps {
  store: Store;
  email?: EmailSender;
  /** The worker's Temporal client: the report reads window runs, rollouts and dependency runs. */
  schedules?: { client: Client };
}

export interface SendMonthlyReportInput {
  plan: ReportSchedulePlan;
  /** `2026-11`. */
  month: string;
  organisation: Organisation;
}

const SUBJECT = { nl: 'Maandelijks operationeel overzicht', en: 'Monthly operations review' } as const;

export function createReportActivities(deps: ReportDeps) {
  const { deliver, ledger } = createDelivery(deps);
  return {
    /** Renders and e-mails one customer's report of one month, at most once (the notice ledger). */
    async sendMonthlyReport(input: SendMonthlyReportInput): Promise<NoticeDelivery> {
      const { plan, month, organisation } = input;
      const key = reportDeliveryKey(plan.customer, month);
      // Already sent (or handed over): no need to gather and print it again; deliver() says so.
      const sent = await ledger.entry(key);
      if (sent !== undefined) return { key, sentAt: sent.sentAt, alreadySent: true, ...(sent.state === 'handed-over' ? { unconfirmed: true } : {}) };
      const client = deps.schedules?.client;
      if (!client) throw ApplicationFailure.nonRetryable('this worker has no Temporal client for reading window runs; monthly reports need one', FAILURE.NoticeInvalid);
      heartbeat({ step: 'gather', key });
      const { report, html, pdf } = await heartbeatWhile(async () => {
        const report = await gatherMonthlyReport({ client, store: deps.store, organisation }, { month, customer: plan.customer });
        const html = await renderReportHtml(report, { lang: report.customer.language });
        heartbeat({ step: 'print', key });
        return { report, html, pdf: await printReportPdf(html) };
      });
      const lang = report.customer.language;
      const orgName = report.organisation.name;
      const recipient = { key, name: plan.customer, channel: plan.channel.name, language: lang, timezone: plan.timezone, to: plan.to.join(', ') };
      return deliver(key, plan.channel, recipient, {
        subject: `${SUBJECT[lang]} ${month} — ${orgName}`,
        text: renderReportMarkdown(report, { lang }),
        html,
        attachments: [{ filename: `report-${month}.pdf`, content: pdf, contentType: 'application/pdf' }],
      }, { kind: 'report', customer: plan.customer, month });
    },
  };
}
