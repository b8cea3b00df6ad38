import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { DEPENDENCY_SCHEDULE_ID } from '../policies/deps/run';
import { MANAGED_BY } from '../policies/windows/types';
import { formatProblems } from '../policies/common/errors';
import { organisationSchema } from '../policies/organisation/schema';
import type { DependenciesDefinition } from '../policies/deps/schema';
import { planRepositories, type RepositoryPlan } from '../policies/deps/resolve';
import { CliError, EXIT } from './errors';
import { readPolicyFile } from './files';
import { loadOrganisation } from './organisation';

export interface DependencySetup {
  organisation: string;
  repositories: RepositoryPlan[];
  schedule?: { cron: string; timezone: string };
}

/**
 * The `dependencies` section of the organisation files, compiled into one plan per repository.
 * The whole organisation is validated first (merge windows refer to its windows); any problem is
 * an exit-2 error naming the file and the path inside it.
 */
export async function loadDependencies(files: string[], now: Date = new Date()): Promise<DependencySetup> {
  const setup = await loadOptionalDependencies(files, now);
  if (!setup) throw new CliError(EXIT.invalidInput, `${files.join(', ')}: no \`dependencies\` section (repositories and update policies) in these files`);
  return setup;
}

/** The same, or undefined when no file has a `dependencies` section (`maint apply` then removes the scan schedule). */
export async function loadOptionalDependencies(files: string[], now: Date = new Date()): Promise<DependencySetup | undefined> {
  const windows = await loadOrganisation(files, now);
  const holders = files
    .map((file) => ({ file, section: readPolicyFile(file, organisationSchema).dependencies }))
    .filter((h): h is { file: string; section: DependenciesDefinition } => h.section !== undefined);
  if (holders.length === 0) return undefined;
  if (holders.length > 1) {
    throw new CliError(EXIT.invalidInput, formatProblems(holders[1]!.file, [{ path: 'dependencies', message: `is already defined in ${holders[0]!.file}; define it in one file only` }]));
  }
  const { file, section } = holders[0]!;
  const byWindow = new Map(windows.map((w) => [w.name, { timing: w.timing, rollouts: w.tasks.map((t) => t.name) }]));
  const { plans, problems } = planRepositories(section, byWindow, (p) => (isAbsolute(p) ? p : resolve(dirname(file), p)));
  // Fail now, not on the night: a local checkout must be a directory on this machine.
  plans.forEach((plan, i) => {
    if (plan.checkout.kind === 'path' && !statSync(plan.checkout.path, { throwIfNoEntry: false })?.isDirectory()) {
      problems.push({ path: `dependencies.repositories[${i}].checkout.path`, message: `${plan.checkout.path} is not a directory` });
    }
  });
  if (problems.length > 0) throw new CliError(EXIT.invalidInput, formatProblems(file, problems));
  return {
    organisation: windows[0]?.organisation.name ?? '',
    repositories: plans,
    ...(section.schedule !== undefined ? { schedule: section.schedule } : {}),
  };
}

export interface DependencyScheduleChange {
  action: 'create' | 'update' | 'delete' | 'unchanged' | 'none';
  scheduleId: string;
  description: string;
}

/** Keeps the `deps-scan` schedule in line with the files: created, updated, deleted or left alone (idempotent). */
export async function syncDependencySchedule(client: Client, setup: DependencySetup | undefined, taskQueue: string, dryRun: boolean): Promise<DependencyScheduleChange> {
  const scheduleId = DEPENDENCY_SCHEDULE_ID;
  let existingHash: string | undefined;
  let exists = false;
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    exists = (d.memo as Record<string, unknown> | undefined)?.managedBy === MANAGED_BY;
    existingHash = (d.memo as Record<string, unknown> | undefined)?.configHash as string | undefined;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (!setup?.schedule) {
    if (!exists) return { action: 'none', scheduleId, description: '' };
    if (!dryRun) await client.schedule.getHandle(scheduleId).delete().catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
    return { action: 'delete', scheduleId, description: 'no dependencies.schedule in the files' };
  }
  const args = [{ repositories: setup.repositories }];
  const configHash = createHash('sha256').update(JSON.stringify({ args, schedule: setup.schedule })).digest('hex');
  const description = `scans ${setup.repositories.length} repositor${setup.repositories.length === 1 ? 'y' : 'ies'} at "${setup.schedule.cron}" (${setup.schedule.timezone})`;
  const action = !exists ? 'create' : existingHash === configHash ? 'unchanged' : 'update';
  if (dryRun || action === 'unchanged') return { action, scheduleId, description };
  const options = {
    scheduleId,
    spec: { cronExpressions: [setup.schedule.cron], timezone: setup.schedule.timezone },
    action: { type: 'startWorkflow' as const, workflowType: 'dependencyScanWorkflow', workflowId: scheduleId, taskQueue, args },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
    memo: { managedBy: MANAGED_BY, organisation: setup.organisation, configHash },
  };
  if (exists) await client.schedule.getHandle(scheduleId).delete();
  await client.schedule.create(options);
  return { action, scheduleId, description };
}
