import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { withClient } from '../control/connection';
import { loadOrganisation } from '../control/organisation';
import { gatherMonthlyReport, reportSubject } from '../control/report';
import { LANGUAGES, type Language } from '../policies/organisation/schema';
import { renderReportHtml, renderReportMarkdown } from '../web/report';
import { printReportPdf } from '../web/reportPdf';
import { withStore } from './db';
import { CliError, EXIT } from './errors';

export const REPORT_FORMATS = ['json', 'md', 'html', 'pdf'] as const;
type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportOptions {
  files: string[];
  month: string;
  customer?: string;
  service?: string;
  lang?: Language;
  format: ReportFormat;
  output?: string;
}

/** `maint report`: gathers the month, renders it in one format, writes it to -o or stdout (a PDF needs -o). */
export async function reportCommand(opts: ReportOptions): Promise<number> {
  if (opts.customer !== undefined && opts.service !== undefined) throw new CliError(EXIT.invalidInput, 'give --customer or --service, not both');
  if (opts.format === 'pdf' && opts.output === undefined) throw new CliError(EXIT.invalidInput, '--format pdf needs -o FILE (a PDF is not written to a terminal)');
  const organisation = await loadOrganisation(opts.files);
  // Who it is for is known from the files: a wrong name is refused before the store or Temporal is opened.
  reportSubject(organisation, { month: opts.month, ...(opts.customer !== undefined ? { customer: opts.customer } : {}), ...(opts.service !== undefined ? { service: opts.service } : {}) });
  const report = await withStore((store) => withClient((c) => gatherMonthlyReport({ client: c.client, store, organisation }, {
    month: opts.month, ...(opts.customer !== undefined ? { customer: opts.customer } : {}), ...(opts.service !== undefined ? { service: opts.service } : {}), ...(opts.lang !== undefined ? { lang: opts.lang } : {}),
  })), { migrated: true });
  const lang = report.customer.language;
  const out: string | Buffer = opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n`
    : opts.format === 'md' ? renderReportMarkdown(report, { lang })
      : opts.format === 'html' ? await renderReportHtml(report, { lang })
        : await printReportPdf(await renderReportHtml(report, { lang }));
  if (opts.output !== undefined) writeFileSync(opts.output, out);
  else process.stdout.write(out);
  return EXIT.ok;
}

export function registerReportCommand(program: Command): void {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const oneOf = <T extends string>(name: string, values: readonly T[], value: string): T => {
    if (!(values as readonly string[]).includes(value)) throw new CliError(EXIT.invalidInput, `${name} must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  };
  program
    .command('report')
    .description("The monthly operations review of a customer (or a service): availability against its SLA tier, error budget, incidents, maintenance held, patches, rollbacks, compliance, dependency PRs, next month's windows.")
    .requiredOption('-f, --file <maint.yaml>', 'organisation files (customers are their subscribers)', collect)
    .requiredOption('--month <yyyy-mm>', 'the calendar month, in the customer\'s timezone')
    .option('--customer <name>', 'a subscriber name of the organisation files')
    .option('--service <name>', 'one service instead of a customer')
    .option('--lang <nl|en>', 'instead of the customer\'s language')
    .option('--format <json|md|html|pdf>', 'what to write', 'html')
    .option('-o, --output <file>', 'write here instead of stdout (required for pdf)')
    .action(async (opts: { file: string[]; month: string; customer?: string; service?: string; lang?: string; format: string; output?: string }) => {
      // Checked here rather than by commander, so that a wrong value exits 2 (invalid input) with the others.
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.month)) throw new CliError(EXIT.invalidInput, `--month ${opts.month}: expected a month like 2026-11`);
      process.exitCode = await reportCommand({ files: opts.file, month: opts.month, format: oneOf('--format', REPORT_FORMATS, opts.format),
        ...(opts.customer !== undefined ? { customer: opts.customer } : {}), ...(opts.service !== undefined ? { service: opts.service } : {}),
        ...(opts.lang !== undefined ? { lang: oneOf('--lang', LANGUAGES, opts.lang) } : {}), ...(opts.output !== undefined ? { output: opts.output } : {}) });
    });
}
