import { monthInterval } from '../../policies/availability/months';
import { previousMonth } from '../../policies/report/schedule';
import type { Store } from '../../store';
import { insertProbeResults, type RecordedProbeResult } from '../../store/probes';

const MIN = 60_000;
export const REPORT_TZ = 'Europe/Amsterdam';

/** The report e-mail tests' customer: one web shop (gold tier, probed every 10 minutes) and its e-mail subscription. */
export interface ReportCustomer {
  id: string;
  smtpPort: number;
  customer: string;
  shop: string;
  to: string;
}

/** The organisation file with that customer and, after it, `reports` (a `reports:` section, or nothing). */
export function reportCustomerYaml(c: ReportCustomer, reports: string): string {
  return `
apiVersion: maint/v1
kind: Organisation
organisation: {name: "Acme ${c.id}", contact: {email: support@acme.example}}
channels:
  - {name: customer-mail, kind: email, smtp: {host: 127.0.0.1, port: ${c.smtpPort}}, from: "Acme <maintenance@acme.example>"}
slaTiers:
  - {name: gold, availability: 99.9%, timezone: ${REPORT_TZ}}
services:
  - name: ${c.shop}
    title: {nl: Webwinkel, en: Web shop}
    tier: gold
    probeInterval: 10m
    probes: [{name: homepage, kind: http, url: "https://shop.example/health"}]
    subscribers:
      - {name: ${c.customer}, channel: customer-mail, to: ${c.to}, language: nl, timezone: ${REPORT_TZ}}
${reports}
`;
}

/**
 * The month the schedule reports when it fires now, with the shop's probe results in `store`: every
 * 10 minutes from two results before the month to its end, one hour down (6 failed probes) on the
 * 11th. `figureNl`: the month's availability worked out by hand, as the Dutch report prints it.
 */
export async function seedReportMonth(store: Store, shop: string): Promise<{ month: string; figureNl: string }> {
  const month = previousMonth(Date.now(), REPORT_TZ);
  const { start, end } = monthInterval(month, REPORT_TZ);
  const outage = start + 10 * 24 * 60 * MIN;
  const results: RecordedProbeResult[] = [];
  for (let t = start - 20 * MIN; t < end; t += 10 * MIN) {
    const down = t >= outage && t < outage + 60 * MIN;
    results.push({ service: shop, probe: 'homepage', at: t, ok: !down, ...(down ? { error: 'HTTP 502' } : { latencyMs: 80 }), roundId: `${shop}/${t}`, location: 'maint-control' });
  }
  await insertProbeResults(store.db, results);
  const percent = 100 * (1 - 60 / ((end - start) / MIN));
  return { month, figureNl: `${new Intl.NumberFormat('nl-NL', { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(Math.floor(percent * 1000) / 1000)}%` };
}
