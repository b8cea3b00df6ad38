import { withClient } from '../control/connection';
import { dependencySetup, syncDependencySchedule } from '../control/dependencies';
import { complianceSchedulePlans, syncComplianceSchedules } from '../control/complianceSchedules';
import { loadOrganisation } from '../control/organisation';
import { applyProbeChanges, organisationName, planProbeChanges, serviceProbePlans } from '../control/probes';
import { applyReportChanges, planReportChanges, reportSchedulePlans } from '../control/reports';
import { applyChanges, planChanges, type PlannedChange } from '../control/windows';
import type { WindowPlan } from '../policies/windows/types';
import { auditAction } from './db';
import { EXIT } from './errors';
import { renderTable } from './table';

export function renderChanges(changes: PlannedChange[], plans: WindowPlan[]): string {
  const zone = new Map(plans.map((p) => [p.name, p.timing.timezone]));
  const sign = { create: '+', update: '~', delete: '-', unchanged: '=' } as const;
  const rows = changes.map((c) => [
    sign[c.action], c.scheduleId, c.action,
    c.startNow.length > 0
      ? `starts now for ${c.startNow.map((l) => l.occurrence.localStart).join(', ')} (its notices are due)`
      : c.running !== undefined && !c.next ? `running: ${c.running.join(', ')}`
      : c.next ? `next run ${c.next.launch.replace(/\.\d+Z$/, 'Z')} for the window of ${c.next.occurrence.localStart} (${zone.get(c.window) ?? ''})` : c.action === 'delete' ? '' : 'no upcoming occurrence',
  ]);
  const count = (a: PlannedChange['action']) => changes.filter((c) => c.action === a).length;
  return `${renderTable(['', 'schedule', 'action', 'what happens'], rows)}\n\nPlan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged.`;
}

/** `maint apply -f FILE... [--dry-run]`: validates every file, prints the plan, applies it unless --dry-run. */
export async function applyCommand(opts: { files: string[]; dryRun?: boolean; json?: boolean }): Promise<number> {
  const now = new Date();
  const organisation = await loadOrganisation(opts.files, now);
  const plans = organisation.windows;
  for (const warning of organisation.warnings) process.stderr.write(`maint: warning: ${warning}\n`);
  const dependencies = dependencySetup(organisation);
  const probes = serviceProbePlans(organisation);
  const reports = reportSchedulePlans(organisation);
  const orgName = organisationName(organisation);
  const compliancePlans = await complianceSchedulePlans(organisation);
  return withClient(async (c) => {
    const changes = await planChanges(c.client, plans, c.env.MAINT_TASK_QUEUE, now);
    if (!opts.dryRun) {
      await applyChanges(c.client, plans, changes, c.env.MAINT_TASK_QUEUE, now);
      await auditAction({ actor: process.env.USER ?? 'cli', action: 'apply', subject: `organisation ${opts.files.join(' ')}`, detail: { changes: changes.filter((ch) => ch.action !== 'unchanged').map((ch) => `${ch.action} ${ch.scheduleId}`) } });
    }
    const deps = await syncDependencySchedule(c.client, dependencies, c.env.MAINT_TASK_QUEUE, !!opts.dryRun);
    const compliance = await syncComplianceSchedules(c.client, organisation, compliancePlans, c.env.MAINT_TASK_QUEUE, !!opts.dryRun);
    const complianceLines = compliance.map((ch) => `\ncompliance scan: ${ch.scheduleId} ${ch.action}: ${ch.description}`).join('');
    const probeChanges = await planProbeChanges(c.client, orgName, probes, c.env.MAINT_TASK_QUEUE);
    if (!opts.dryRun) await applyProbeChanges(c.client, orgName, probes, probeChanges, c.env.MAINT_TASK_QUEUE);
    const reportChanges = await planReportChanges(c.client, organisation, orgName, reports, c.env.MAINT_TASK_QUEUE);
    if (!opts.dryRun) await applyReportChanges(c.client, organisation, orgName, reports, reportChanges, c.env.MAINT_TASK_QUEUE);
    const reportLines = reportChanges.map((r) => `\nmonthly report: ${r.customer} ${r.action}${r.description ? `: ${r.description}` : ''} (${r.scheduleId})`).join('');
    const depsLine = deps.action === 'none' ? '' : `\ndependency scan: ${deps.scheduleId} ${deps.action}${deps.description ? `: ${deps.description}` : ''}`;
    const unchangedProbes = probeChanges.filter((p) => p.action === 'unchanged').length;
    const probeLines = probeChanges.filter((p) => p.action !== 'unchanged').map((p) => `\nservice probes: ${p.service} ${p.action}: ${p.description} (${p.workflowId})`).join('')
      + (unchangedProbes > 0 ? `\nservice probes: ${unchangedProbes} unchanged` : '');
    if (opts.json) process.stdout.write(`${JSON.stringify({ dryRun: !!opts.dryRun, changes, dependencySchedule: deps, probes: probeChanges, complianceSchedules: compliance, reports: reportChanges, warnings: organisation.warnings }, null, 2)}\n`);
    else process.stdout.write(`${renderChanges(changes, plans)}${depsLine}${complianceLines}${probeLines}${reportLines}${opts.dryRun ? '\n(dry run: nothing applied)' : ''}\n`);
    return EXIT.ok;
  });
}
