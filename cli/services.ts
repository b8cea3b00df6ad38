import type { Command } from 'commander';
import { withClient } from '../control/connection';
import { loadOrganisation } from '../control/organisation';
import { serviceProbePlans } from '../control/probes';
import { probedServices, serviceFigures, serviceStatuses, type ServiceFigures, type ServiceStatus } from '../control/services';
import type { ServiceProbePlan } from '../policies/probes/plan';
import { withStore } from './db';
import { EXIT } from './errors';
import { renderTable } from './table';

function lastResult(s: ServiceStatus): string {
  return s.probes.map((p) => {
    if (!p.last) return `${p.name}: no result yet`;
    const verdict = !p.last.ok ? `FAIL ${p.last.error ?? ''}`.trim() : p.last.degraded ? `slow ${p.last.latencyMs} ms` : `ok ${p.last.latencyMs ?? '?'} ms`;
    return `${p.name}: ${verdict}`;
  }).join('; ');
}

/** The table's columns, one line each: header and cell. */
type Row = ServiceStatus & { figures?: ServiceFigures };
const minutes = (m: number) => `${m < 0 ? '-' : ''}${Math.abs(m).toFixed(1)} min`;
const COLUMNS: Array<[header: string, cell: (s: Row) => string]> = [
  ['SERVICE', (s) => s.service],
  ['STATE', (s) => `${s.state}${s.stale ? ' (stale)' : ''}`],
  ['TIER', (s) => s.figures?.tier ?? '-'],
  ['THIS MONTH', (s) => (s.figures ? `${s.figures.availabilityPercent === null ? 'no data' : `${s.figures.availabilityPercent.toFixed(3)}%`} of ${s.figures.targetPercent}%` : '-')],
  ['BUDGET LEFT', (s) => (s.figures ? `${minutes(s.figures.budget.leftMinutes)} of ${minutes(s.figures.budget.allowedMinutes)}` : '-')],
  ['NEXT WINDOW', (s) => (s.figures?.nextWindow ? `${s.figures.nextWindow.name} ${s.figures.nextWindow.start}` : '-')],
  ['LAST ROUND', (s) => s.lastRoundAt?.replace(/\.\d+Z$/, 'Z') ?? '-'],
  ['INCIDENT', (s) => (s.openIncident ? `${s.openIncident.id}${s.openIncident.windowRun ? ` (during ${s.openIncident.windowRun})` : ''}` : '-')],
  ['PROBES', lastResult],
];

export function renderServices(statuses: Row[]): string {
  if (statuses.length === 0) return 'No service has probes (services[].probes in the organisation files, then `maint apply`).';
  return renderTable(COLUMNS.map(([h]) => h), statuses.map((s) => COLUMNS.map(([, cell]) => cell(s))));
}

/** `maint services status [-f FILE...] [--json]`: exit 0 when every service is up or degraded, 1 when one is down or has an open incident. */
export async function servicesStatus(opts: { files?: string[]; json?: boolean }): Promise<number> {
  const organisation = opts.files ? await loadOrganisation(opts.files) : undefined;
  const services = organisation ? serviceProbePlans(organisation) : await withClient((c) => probedServices(c.client));
  const statuses: Row[] = await withStore(async (store) => {
    const rows = await serviceStatuses(store, services);
    // Tier, availability, budget and next window need the files (which tier, which windows).
    const figures = organisation ? await serviceFigures(store, organisation, services as ServiceProbePlan[]) : new Map<string, ServiceFigures>();
    return rows.map((r) => (figures.has(r.service) ? { ...r, figures: figures.get(r.service)! } : r));
  }, { migrated: true });
  process.stdout.write(opts.json ? `${JSON.stringify(statuses, null, 2)}\n` : `${renderServices(statuses)}\n`);
  return statuses.some((s) => s.state === 'down' || s.openIncident) ? EXIT.failed : EXIT.ok;
}

export function registerServicesCommands(program: Command): void {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const services = program.command('services').description('Services as customers experience them: probes, state, incidents.');
  services
    .command('status')
    .description('Per service: its state from the last round of probes (up/degraded/down), each probe\'s last result, the open incident. Exit 1 if one is down.')
    .option('-f, --file <maint.yaml>', 'the services of these organisation files (default: those whose probes run now)', collect)
    .option('--json', 'machine-readable output')
    .action(async (opts: { file?: string[]; json?: boolean }) => {
      process.exitCode = await servicesStatus({ ...(opts.file ? { files: opts.file } : {}), ...(opts.json ? { json: true } : {}) });
    });
}
