import { dirname, isAbsolute, resolve } from 'node:path';
import { formatProblems } from '../policies/errors';
import { organisationSchema } from '../policies/organisation';
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
  const windows = await loadOrganisation(files, now);
  const holders = files
    .map((file) => ({ file, section: readPolicyFile(file, organisationSchema).dependencies }))
    .filter((h): h is { file: string; section: DependenciesDefinition } => h.section !== undefined);
  if (holders.length === 0) throw new CliError(EXIT.invalidInput, `${files.join(', ')}: no \`dependencies\` section (repositories and update policies) in these files`);
  if (holders.length > 1) {
    throw new CliError(EXIT.invalidInput, formatProblems(holders[1]!.file, [{ path: 'dependencies', message: `is already defined in ${holders[0]!.file}; define it in one file only` }]));
  }
  const { file, section } = holders[0]!;
  const byWindow = new Map(windows.map((w) => [w.name, { timing: w.timing, rollouts: w.tasks.map((t) => t.name) }]));
  const { plans, problems } = planRepositories(section, byWindow, (p) => (isAbsolute(p) ? p : resolve(dirname(file), p)));
  if (problems.length > 0) throw new CliError(EXIT.invalidInput, formatProblems(file, problems));
  return {
    organisation: windows[0]?.organisation.name ?? '',
    repositories: plans,
    ...(section.schedule !== undefined ? { schedule: section.schedule } : {}),
  };
}
