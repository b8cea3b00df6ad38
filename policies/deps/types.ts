/**
 * Types shared by the dependency-update pipeline: Renovate detection (activities/renovate), the pure
 * update policy (policies/deps), file changes and pull requests (activities/github) and the
 * dependencyUpdates workflow. Plain data only: these cross the Temporal payload boundary.
 */

/** Managers whose updates become PRs, one unit each in policies/deps/managers/; other managers' updates are reported in the run summary. */
export const PR_MANAGERS = ['npm', 'dockerfile', 'github-actions', 'docker-compose', 'helm-values', 'pip_requirements', 'pep621', 'poetry', 'gomod', 'maven'] as const;
export type PrManager = (typeof PR_MANAGERS)[number];

/** Renovate's update types (lib/config/types.ts UpdateType), the ones a policy can allow. */
export type UpdateType =
  | 'major'
  | 'minor'
  | 'patch'
  | 'digest'
  | 'pin'
  | 'pinDigest'
  | 'lockFileMaintenance'
  | 'rollback'
  | 'bump'
  | 'replacement';

/** One available update of one dependency occurrence, as Renovate's lookup found it. */
export interface DetectedUpdate {
  /** Renovate manager: npm, dockerfile, github-actions, pip_requirements, ... */
  manager: string;
  /** File the dependency is declared in, relative to the repository root. */
  packageFile: string;
  /** Name as written in the file: `left-pad`, `127.0.0.1:5000/node`, `actions/checkout`. */
  depName: string;
  /** Renovate datasource: npm, docker, github-tags, ... */
  datasource: string;
  /** dependencies / devDependencies (npm), final / stage (dockerfile), action (github-actions). */
  depType?: string;
  /** The value as written in the file: `^1.2.3`, `20.11-alpine`, `v4`. */
  currentValue: string;
  /** The version currentValue resolves to (npm: from the lockfile), when known. */
  currentVersion?: string;
  /** Digest pinned next to the value (`@sha256:…`, or the commit SHA of a pinned action). */
  currentDigest?: string;
  /** The variable the version comes from (Renovate's sharedVariableName: a maven `${property}`); the update changes it where it is defined. */
  sharedVariableName?: string;
  /** The exact text Renovate located in the file for this dependency, when it reports one. */
  replaceString?: string;
  updateType: UpdateType;
  /** Renovate's proposed value in the file's own style (`^1.2.4`, `20.12-alpine`, `v5`). */
  newValue: string;
  newVersion: string;
  newDigest?: string;
  /** ISO-8601 release time of newVersion; registries other than Docker Hub often give none. */
  releaseTimestamp?: string;
  /** Where the package was looked up (registry URL), for the PR body. */
  registryUrl?: string;
  /** The update fixes a known vulnerability of currentVersion (such PRs are opened first, skip minimumReleaseAge, are never grouped). */
  vulnerabilityAlert?: boolean;
  /** The advisories currentVersion is affected by and newVersion is not (with vulnerabilityAlert). */
  advisories?: Advisory[];
  /** Where a reviewer reads about the package, from the registry's metadata (npm `repository`, `homepage`, …). */
  links?: DependencyLinks;
  /** Newer versions than newVersion that the policy's minimumReleaseAge still holds back (Renovate's pendingVersions). */
  pendingVersions?: string[];
  /** The registry's deprecation notice for the package, when it has one. */
  deprecationMessage?: string;
  /** Release notes of newVersion, when its source is on the configured GitHub (fetched at scan time, shortened). */
  releaseNotes?: ReleaseNotes;
}

export interface DependencyLinks {
  /** The source repository (npm `repository`, a Docker image's source label, the action's repository). */
  source?: string;
  homepage?: string;
  changelog?: string;
  /** The package's page on its registry. */
  registry?: string;
}

export interface ReleaseNotes {
  /** The release's page. */
  url: string;
  /** Its title (often the tag). */
  name: string;
  /** Markdown, shortened to a readable size. */
  body: string;
  /** The body was cut; the whole text is at `url`. */
  truncated: boolean;
}

/** One OSV advisory as a PR body and `maint deps status` show it. */
export interface Advisory {
  id: string;
  /** CVE ids and other names of the same vulnerability. */
  aliases: string[];
  summary?: string;
  /** The database's word (HIGH, MODERATE) or a CVSS vector, when the record gives one. */
  severity?: string;
  /** https://osv.dev/vulnerability/<id> */
  url: string;
  /** Versions that fix it (the `fixed` events of the package's ranges); empty: no fix released. */
  fixed: string[];
}

/** One dependency occurrence Renovate found, with or without updates: what advisories are matched against. */
export interface ScannedDependency {
  manager: string;
  packageFile: string;
  depName: string;
  datasource: string;
  depType?: string;
  /** The resolved version (npm: from the lockfile), when Renovate knows it. */
  currentVersion?: string;
}

/** A dependency whose current version has advisories, and the update that fixes them (if one was found). */
export interface VulnerableDependency {
  manager: string;
  packageFile: string;
  depName: string;
  currentVersion: string;
  advisories: Advisory[];
  /** newVersion of the update marked vulnerabilityAlert; absent: none of the updates found fixes every advisory. */
  fixedBy?: string;
}

/** Something Renovate reported that a person must see: a host error, a dependency warning. */
export interface ScanProblem {
  level: 'error' | 'warning';
  message: string;
  packageFile?: string;
  depName?: string;
}

/** The typed result of one Renovate lookup run over one checkout. */
export interface RenovateScan {
  updates: DetectedUpdate[];
  problems: ScanProblem[];
  /** Managers that found package files, with how many dependencies each: for the run summary. */
  managers: { manager: string; packageFiles: string[]; dependencies: number }[];
  /** Managers whose files were not scanned, and why (an unreachable host, an unreachable configured registry). */
  unscanned?: { manager: string; reason: string }[];
  renovateVersion: string;
  /** Every dependency occurrence with its resolved version (from the lookup; the scan activity drops it after matching advisories). */
  dependencies?: ScannedDependency[];
  /** Dependencies with advisories (when dependencies.advisories is configured). */
  vulnerable?: VulnerableDependency[];
  /** Advisory records read, for the run summary. */
  advisoryRecords?: number;
}
