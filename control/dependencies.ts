import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { formatProblems } from '../policies/common/errors';
import { planRepositories, type RepositoryPlan } from '../policies/deps/resolve';
import { DEPENDENCY_SCHEDULE_ID, dependencyRunId, type DependencyRunSummary } from '../policies/deps/run';
import type { DependenciesDefinition } from '../policies/deps/schema';
import { MANAGED_BY } from '../policies/windows/types';
import { dependencyScanWorkflow, dependencyUpdatesWorkflow } from '../workflows/dependencyUpdates';
import { dependencyRunQuery } from '../workflows/messages';
import { InvalidInputError } from './errors';
import { loadOrganisation, type Organisation } from './organisation';
import { deleteSchedule, describeManaged, scheduleChange, writeSchedule, type ScheduleChange } from './schedules';

export interface DependencySetup {
  organisation: string;
  repositories: RepositoryPlan[];
  schedule?: { cron: string; timezone: string };
}

/**
 * The `dependencies` section of the organisation files, compiled into one plan per repository.
 * The whole organisation is validated first (merge windows refer to its windows); any problem is
 * an InvalidInputError naming the file and the path inside it.
 */
export async function loadDependencies(files: string[], now: Date = new Date()): Promise<DependencySetup> {
  const setup = dependencySetup(await loadOrganisation(files, now));
  if (!setup) throw new InvalidInputError(`${files.join(', ')}: no \`dependencies\` section (repositories and update policies) in these files`);
  return setup;
}

/** The same from files already loaded, or undefined when no file has a `dependencies` section (`maint apply` then removes the scan schedule). */
export function dependencySetup(organisation: Organisation): DependencySetup | undefined {
  const holders = organisation.files
    .map(({ file, content }) => ({ file, section: content.dependencies }))
    .filter((h): h is { file: string; section: DependenciesDefinition } => h.section !== undefined);
  if (holders.length === 0) return undefined;
  if (holders.length > 1) {
    throw new InvalidInputError(formatProblems(holders[1]!.file, [{ path: 'dependencies', message: `is already defined in ${holders[0]!.file}; define it in one file only` }]));
  }
  const { file, section } = holders[0]!;
  const byWindow = new Map(organisation.windows.map((w) => [w.name, { timing: w.timing, rollouts: w.tasks.map((t) => t.name) }]));
  const { plans, problems } = planRepositories(section, byWindow, (p) => (isAbsolute(p) ? p : resolve(dirname(file), p)));
  // Fail now, not on the night: a local checkout must be a directory on this machine.
  plans.forEach((plan, i) => {
    if (plan.checkout.kind === 'path' && !statSync(plan.checkout.path, { throwIfNoEntry: false })?.isDirectory()) {
      problems.push({ path: `dependencies.repositories[${i}].checkout.path`, message: `${plan.checkout.path} is not a directory` });
    }
  });
  if (problems.length > 0) throw new InvalidInputError(formatProblems(file, problems));
  return {
    organisation: organisation.name,
    repositories: plans.map((plan) => ({ ...plan, file })),
    ...(section.schedule !== undefined ? { schedule: section.schedule } : {}),
  };
}

export interface DependencyScheduleChange {
  action: ScheduleChange | 'delete' | 'none';
  scheduleId: string;
  description: string;
}

/**
 * The config hash a scan schedule runs: its action's memo carries it (a schedule's own memo cannot
 * be updated); schedules made before kept it in their memo.
 */
function appliedConfigHash(d: ScheduleDescription): string | undefined {
  const hash = (d.action.memo as Record<string, unknown> | undefined)?.configHash ?? (d.memo as Record<string, unknown> | undefined)?.configHash;
  return typeof hash === 'string' ? hash : undefined;
}

function scanScheduleOptions(setup: DependencySetup, schedule: { cron: string; timezone: string }, taskQueue: string, configHash: string): ScheduleOptions {
  return {
    scheduleId: DEPENDENCY_SCHEDULE_ID,
    spec: { cronExpressions: [schedule.cron], timezone: schedule.timezone },
    action: {
      type: 'startWorkflow', workflowType: dependencyScanWorkflow, workflowId: DEPENDENCY_SCHEDULE_ID, taskQueue,
      args: [{ repositories: setup.repositories }], memo: { configHash },
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
    memo: { managedBy: MANAGED_BY, organisation: setup.organisation },
  };
}

/** Keeps the `deps-scan` schedule in line with the files, as window schedules are: created, updated in place, deleted or left alone (idempotent). */
export async function syncDependencySchedule(client: Client, setup: DependencySetup | undefined, taskQueue: string, dryRun: boolean): Promise<DependencyScheduleChange> {
  const scheduleId = DEPENDENCY_SCHEDULE_ID;
  const current = await describeManaged(client, scheduleId);
  if (!setup?.schedule) {
    if (!current) return { action: 'none', scheduleId, description: '' };
    if (!dryRun) await deleteSchedule(client, scheduleId);
    return { action: 'delete', scheduleId, description: 'no dependencies.schedule in the files' };
  }
  const configHash = createHash('sha256').update(JSON.stringify({ args: [{ repositories: setup.repositories }], schedule: setup.schedule })).digest('hex');
  const options = scanScheduleOptions(setup, setup.schedule, taskQueue, configHash);
  const action = scheduleChange(current, options, configHash, appliedConfigHash);
  const description = `scans ${setup.repositories.length} repositor${setup.repositories.length === 1 ? 'y' : 'ies'} at "${setup.schedule.cron}" (${setup.schedule.timezone})`;
  if (!dryRun) await writeSchedule(client, options, action);
  return { action, scheduleId, description };
}

/** The repository's plan, by its `owner/name` (any case); one not in the files is an InvalidInputError. */
export function repositoryPlan(setup: DependencySetup, repo: string): RepositoryPlan {
  const plan = setup.repositories.find((r) => r.repo.toLowerCase() === repo.toLowerCase());
  if (!plan) throw new InvalidInputError(`--repo ${repo}: not in dependencies.repositories (listed: ${setup.repositories.map((r) => r.repo).join(', ') || 'none'})`);
  return plan;
}

/**
 * Runs the repository's dependency workflow now, as its schedule would, and returns its summary;
 * a run already going is waited for. A dry run gets its own id, so it never waits behind (or
 * blocks) a real run. `onAlreadyRunning` is told when it waits for one.
 */
export async function scanRepository(client: Client, taskQueue: string, plan: RepositoryPlan, options: { dryRun?: boolean; onAlreadyRunning?: () => void } = {}): Promise<DependencyRunSummary> {
  const workflowId = `${dependencyRunId(plan.repo)}${options.dryRun ? '-dry-run' : ''}`;
  let handle;
  try {
    handle = await client.workflow.start(dependencyUpdatesWorkflow, { taskQueue, workflowId, args: [{ plan, ...(options.dryRun ? { dryRun: true } : {}) }] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    options.onAlreadyRunning?.();
    handle = client.workflow.getHandle<typeof dependencyUpdatesWorkflow>(workflowId);
  }
  return handle.result();
}

export interface RepositoryRun {
  repo: string;
  /** The workflow's status, lower case, or 'never run'. */
  state: string;
  /** Its summary: the result once completed, what it has found so far while running. */
  summary?: DependencyRunSummary;
}

/** Each repository's latest dependency run (or the one going on). */
export async function latestRuns(client: Client, repositories: RepositoryPlan[]): Promise<RepositoryRun[]> {
  const rows: RepositoryRun[] = [];
  for (const plan of repositories) {
    const handle = client.workflow.getHandle<typeof dependencyUpdatesWorkflow>(dependencyRunId(plan.repo));
    try {
      const d = await handle.describe();
      const summary = d.status.name === 'COMPLETED' ? await handle.result() : d.status.name === 'RUNNING' ? await handle.query(dependencyRunQuery) : undefined;
      rows.push({ repo: plan.repo, state: d.status.name.toLowerCase(), ...(summary ? { summary } : {}) });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      rows.push({ repo: plan.repo, state: 'never run' });
    }
  }
  return rows;
}
