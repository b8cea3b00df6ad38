/**
 * Renovate's `--report-type=file` JSON (lib/instrumentation/reporting.ts) read into a RenovateScan.
 * Only the fields we use are checked; a report whose shape we do not understand is an error that
 * names the place inside it, never a silently empty scan.
 */
import { z } from 'zod';
import type { DetectedUpdate, RenovateScan, ScannedDependency, ScanProblem, UpdateType } from '../../policies/deps/types';

const UPDATE_TYPES = ['major', 'minor', 'patch', 'digest', 'pin', 'pinDigest', 'lockFileMaintenance', 'rollback', 'bump', 'replacement'] as const satisfies readonly UpdateType[];

/** Renovate problems are its own log records of level warn (40) and above. */
const problemSchema = z.looseObject({
  level: z.number(),
  msg: z.string(),
  err: z.looseObject({ message: z.string().optional() }).optional(),
});

const updateSchema = z.looseObject({
  updateType: z.enum(UPDATE_TYPES),
  newValue: z.string().nullish(),
  newVersion: z.string().nullish(),
  newDigest: z.string().nullish(),
  releaseTimestamp: z.string().nullish(),
  registryUrl: z.string().nullish(),
  isVulnerabilityAlert: z.boolean().nullish(),
  pendingVersions: z.array(z.string()).nullish(),
});

const depSchema = z.looseObject({
  depName: z.string().nullish(),
  packageName: z.string().nullish(),
  datasource: z.string().nullish(),
  depType: z.string().nullish(),
  currentValue: z.string().nullish(),
  currentVersion: z.string().nullish(),
  lockedVersion: z.string().nullish(),
  currentDigest: z.string().nullish(),
  replaceString: z.string().nullish(),
  sharedVariableName: z.string().nullish(),
  registryUrl: z.string().nullish(),
  skipReason: z.string().nullish(),
  isVulnerabilityAlert: z.boolean().nullish(),
  sourceUrl: z.string().nullish(),
  homepage: z.string().nullish(),
  changelogUrl: z.string().nullish(),
  dependencyUrl: z.string().nullish(),
  deprecationMessage: z.string().nullish(),
  warnings: z.array(z.looseObject({ topic: z.string().nullish(), message: z.string() })).nullish(),
  updates: z.array(updateSchema).nullish(),
});

const packageFileSchema = z.looseObject({
  packageFile: z.string(),
  deps: z.array(depSchema),
});

const repositorySchema = z.looseObject({
  problems: z.array(problemSchema),
  packageFiles: z.record(z.string(), z.array(packageFileSchema)),
});

export const renovateReportSchema = z.looseObject({
  problems: z.array(problemSchema),
  repositories: z.record(z.string(), repositorySchema),
});

export type RenovateReport = z.infer<typeof renovateReportSchema>;

/**
 * Skip reasons that are a decision (ignored by config, a local path, a workspace package, no
 * version to update) rather than trouble. Every other reason — an unknown registry, an invalid
 * value, a variable in the version, a missing token, or one newer than this list — is reported.
 */
const DELIBERATE_SKIPS: ReadonlySet<string> = new Set([
  'disabled', 'ignored', 'package-rules', 'file', 'file-dependency', 'git-dependency', 'local', 'local-chart',
  'local-dependency', 'path-dependency', 'internal-package', 'inherited-dependency', 'is-pinned', 'lockfile-only',
  'unspecified-version', 'version-placeholder', 'empty',
]);

/** Parses the report's JSON text; the error names the path inside the report that did not match. */
export function parseRenovateReport(text: string): RenovateReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`the Renovate report is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = renovateReportSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `report.${formatPath(issue.path)}: ${issue.message}`);
    throw new Error(`the Renovate report has a shape this code does not understand: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function problemFrom(record: z.infer<typeof problemSchema>): ScanProblem {
  const extra = record as Record<string, unknown>;
  const detail = [record.err?.message !== undefined && !record.msg.includes(record.err.message) ? record.err.message : undefined, ...listedMessages(record)]
    .filter((text): text is string => text !== undefined).map((text) => `: ${text}`).join('');
  // Renovate names the host of a failed lookup in a field of the log record, not in its message.
  const context = ['host', 'hostType', 'registryUrl', 'url', 'datasource']
    .filter((key) => typeof extra[key] === 'string' && !record.msg.includes(extra[key]))
    .map((key) => `${key}=${String(extra[key])}`);
  return {
    level: record.level >= 50 ? 'error' : 'warning',
    message: `${record.msg}${detail}${context.length ? ` (${context.join(', ')})` : ''}`,
    ...(typeof extra.packageFile === 'string' ? { packageFile: extra.packageFile } : {}),
    ...(typeof extra.depName === 'string' ? { depName: extra.depName } : {}),
  };
}

/** The messages of Renovate's "Config validation errors found" records: our configuration was refused. */
export function configValidationErrors(report: RenovateReport): string[] {
  return [report.problems, ...Object.values(report.repositories).map((r) => r.problems)].flat()
    .filter((problem) => /config validation error/i.test(problem.msg))
    .flatMap((problem) => {
      const messages = listedMessages(problem);
      return messages.length ? messages : [problem.msg];
    });
}

/** Messages of the `errors` / `warnings` lists some records carry (`{topic, message}`, as in config validation). */
function listedMessages(record: z.infer<typeof problemSchema>): string[] {
  return (['errors', 'warnings'] as const).flatMap((key) => {
    const list = (record as Record<string, unknown>)[key];
    return Array.isArray(list) ? list.flatMap((e: { message?: unknown }) => (typeof e?.message === 'string' ? [e.message] : [])) : [];
  });
}

/** Every update of every dependency of every package file, every problem and warning, per-manager counts. */
export function scanFromReport(report: RenovateReport, renovateVersion: string): RenovateScan {
  const updates: DetectedUpdate[] = [];
  const problems: ScanProblem[] = report.problems.map(problemFrom);
  const managers: RenovateScan['managers'] = [];
  const dependencies: ScannedDependency[] = [];

  for (const repository of Object.values(report.repositories)) {
    problems.push(...repository.problems.map(problemFrom));
    for (const [manager, packageFiles] of Object.entries(repository.packageFiles)) {
      managers.push({ manager, packageFiles: packageFiles.map((f) => f.packageFile), dependencies: packageFiles.reduce((n, f) => n + f.deps.length, 0) });
      for (const file of packageFiles) {
        for (const dep of file.deps) {
          const depName = dep.depName ?? dep.packageName ?? '(unnamed)';
          for (const warning of dep.warnings ?? []) {
            problems.push({ level: 'warning', message: warning.message, packageFile: file.packageFile, depName });
          }
          // `runs-on: ubuntu-latest`, `FROM x:latest`: a floating tag is a choice, not trouble.
          const floating = dep.skipReason === 'invalid-version' && dep.currentValue === 'latest';
          if (dep.skipReason && !DELIBERATE_SKIPS.has(dep.skipReason) && !floating) {
            problems.push({ level: 'warning', message: `not looked up: ${dep.skipReason}${dep.currentValue ? ` (${dep.currentValue})` : ''}`, packageFile: file.packageFile, depName });
          }
          const currentVersion = dep.currentVersion ?? dep.lockedVersion ?? undefined;
          const links = linksOf(dep);
          if (!dep.skipReason && dep.datasource) {
            dependencies.push({ manager, packageFile: file.packageFile, depName, datasource: dep.datasource, ...(dep.depType ? { depType: dep.depType } : {}), ...(currentVersion ? { currentVersion } : {}) });
          }
          for (const update of dep.updates ?? []) {
            const registryUrl = update.registryUrl ?? dep.registryUrl ?? undefined;
            const newValue = update.newValue ?? dep.currentValue ?? '';
            updates.push({
              manager,
              packageFile: file.packageFile,
              depName,
              datasource: dep.datasource ?? '',
              ...(dep.depType ? { depType: dep.depType } : {}),
              currentValue: dep.currentValue ?? '',
              ...(currentVersion ? { currentVersion } : {}),
              ...(dep.currentDigest ? { currentDigest: dep.currentDigest } : {}),
              ...(dep.replaceString ? { replaceString: dep.replaceString } : {}),
              ...(dep.sharedVariableName ? { sharedVariableName: dep.sharedVariableName } : {}),
              updateType: update.updateType,
              newValue,
              newVersion: update.newVersion ?? newValue,
              // npm reports the tarball's integrity as newDigest: only a pinned digest is one the file carries.
              ...(update.newDigest && (dep.currentDigest || update.updateType === 'pinDigest') ? { newDigest: update.newDigest } : {}),
              ...(update.releaseTimestamp ? { releaseTimestamp: update.releaseTimestamp } : {}),
              ...(registryUrl ? { registryUrl } : {}),
              ...(update.isVulnerabilityAlert || dep.isVulnerabilityAlert ? { vulnerabilityAlert: true } : {}),
              ...(links ? { links } : {}),
              ...(update.pendingVersions?.length ? { pendingVersions: update.pendingVersions } : {}),
              ...(dep.deprecationMessage ? { deprecationMessage: dep.deprecationMessage.slice(0, 500) } : {}),
            });
          }
        }
      }
    }
  }
  return { updates, problems, managers, dependencies, renovateVersion };
}

/** Only http(s) links: a registry's metadata is written by package authors, and a PR body renders it. */
function linksOf(dep: z.infer<typeof depSchema>): DetectedUpdate['links'] {
  const web = (url: string | null | undefined) => (url && /^https?:\/\/[^\s<>()]+$/.test(url) ? url : undefined);
  const links = {
    ...(web(dep.sourceUrl) ? { source: web(dep.sourceUrl)! } : {}),
    ...(web(dep.homepage) && web(dep.homepage) !== web(dep.sourceUrl) ? { homepage: web(dep.homepage)! } : {}),
    ...(web(dep.changelogUrl) ? { changelog: web(dep.changelogUrl)! } : {}),
    ...(web(dep.dependencyUrl) && web(dep.dependencyUrl) !== web(dep.sourceUrl) ? { registry: web(dep.dependencyUrl)! } : {}),
  };
  return Object.keys(links).length > 0 ? links : undefined;
}
