import type { PolicyUpdateType } from './schema';
import type { DetectedUpdate } from './types';

/**
 * Which update lands in which group: the policy's own groups first, then the default groups
 * Renovate users rely on (its monorepo presets, types with their package, non-major dev
 * dependencies). Pure: the same updates and policy give the same groups, so branch names are stable
 * from run to run.
 */

/** The default groups, each on unless switched off (`defaultGroups: false`, or per group). */
export interface DefaultGroupSwitches {
  /** Packages from the same source repository (registry metadata), or without one the same npm scope, released together. */
  monorepos: boolean;
  /** `@types/x` with `x`. */
  types: boolean;
  /** Every non-major npm devDependencies update in one PR. */
  devDependencies: boolean;
}

export const ALL_DEFAULT_GROUPS: DefaultGroupSwitches = { monorepos: true, types: true, devDependencies: true };

export interface PolicyGroup {
  name: string;
  managers?: string[];
  packages?: string[];
  updateTypes?: PolicyUpdateType[];
}

/** The group an update is in, and why (for the dry run and the PR body). */
export interface GroupAssignment {
  name: string;
  kind: 'policy' | 'monorepo' | 'types' | 'dev-dependencies';
  /** Majors of a group have a PR of their own, as Renovate's separateMajorMinor: branch group-<name>-major. */
  major: boolean;
  /** Short: `policy` (one of the policy's groups), `default: same source github.com/eslint/eslint`. */
  reason: string;
}

/** The name of the group the dev-dependencies default group uses. */
export const DEV_DEPENDENCIES_GROUP = 'npm-dev-non-major';

/** `*` matches any run of characters (also `/`); everything else is literal. */
export function globMatches(glob: string, value: string): boolean {
  const pattern = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(value);
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'dependency';
}

/** `host/owner/repo` of a source URL (Renovate's sourceUrl, npm `repository`), lower-case; undefined when it has no such path. */
export function sourceRepositoryKey(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const cleaned = url.trim().replace(/^git\+/, '').replace(/^git:\/\//, 'https://').replace(/^git@([^:]+):/, 'https://$1/');
  const match = /^[a-z]+:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/([^/#?]+)\/([^/#?]+)/i.exec(cleaned);
  if (!match) return undefined;
  return `${match[1]}/${match[2]}/${match[3]!.replace(/\.git$/i, '')}`.toLowerCase();
}

/** The package `@types/x` gives types for: `@types/node` → `node`, `@types/babel__core` → `@babel/core`. */
export function typedPackage(depName: string): string | undefined {
  const m = /^@types\/(.+)$/.exec(depName);
  if (!m) return undefined;
  const inner = m[1]!;
  return inner.includes('__') ? `@${inner.replace('__', '/')}` : inner;
}

/** One package of one manager, major or not: all its occurrences (files, dependency types) share one branch. */
interface Unit {
  key: string;
  manager: string;
  depName: string;
  major: boolean;
  updates: DetectedUpdate[];
}

function matchesPolicyGroup(g: PolicyGroup, u: DetectedUpdate, type: PolicyUpdateType): boolean {
  return (g.managers === undefined || g.managers.includes(u.manager))
    && (g.packages === undefined || g.packages.some((p) => globMatches(p, u.depName)))
    && (g.updateTypes === undefined || g.updateTypes.includes(type));
}

/** What ties packages released together: their source repository, else (npm) their scope; never for @types (one repository for all). */
function monorepoKey(unit: Unit): { key: string; name: string; reason: string } | undefined {
  if (typedPackage(unit.depName) !== undefined) return undefined;
  const source = unit.updates.map((u) => sourceRepositoryKey(u.links?.source)).find((s) => s !== undefined);
  if (source !== undefined) {
    const [, owner, repo] = source.split('/') as [string, string, string];
    return { key: `source:${source}`, name: `monorepo-${slug(owner === repo ? repo : `${owner}-${repo}`)}`, reason: `default: same source ${source}` };
  }
  const scope = unit.manager === 'npm' ? /^(@[^/]+)\//.exec(unit.depName)?.[1] : undefined;
  if (scope !== undefined) return { key: `scope:${scope}`, name: `scope-${slug(scope)}`, reason: `default: same scope ${scope}/*` };
  return undefined;
}

/**
 * The group of every update (by object identity); updates in no group are absent. Rules, first
 * that applies: the policy's groups in order (the first matching group wins); a monorepo (two or
 * more packages of one source repository or scope with updates of the same kind, major or not);
 * `@types/x` joins the group `x` is in, or both form `x-with-types`; a non-major devDependencies
 * update joins npm-dev-non-major. Majors of any group get a branch of their own.
 */
export function assignGroups(
  updates: DetectedUpdate[],
  groups: PolicyGroup[],
  switches: DefaultGroupSwitches,
  typeOf: (u: DetectedUpdate) => PolicyUpdateType,
): Map<DetectedUpdate, GroupAssignment> {
  const units = new Map<string, Unit>();
  for (const u of updates) {
    const major = typeOf(u) === 'major';
    const key = `${u.manager}\u0000${u.depName}\u0000${major}`;
    const unit = units.get(key) ?? { key, manager: u.manager, depName: u.depName, major, updates: [] };
    unit.updates.push(u);
    units.set(key, unit);
  }
  const sorted = [...units.values()].sort((a, b) => a.key.localeCompare(b.key));
  const assigned = new Map<string, GroupAssignment>();

  for (const unit of sorted) {
    const group = groups.find((g) => unit.updates.some((u) => matchesPolicyGroup(g, u, typeOf(u))));
    if (group) assigned.set(unit.key, { name: group.name, kind: 'policy', major: unit.major, reason: 'policy' });
  }

  if (switches.monorepos) {
    const byRepo = new Map<string, { name: string; reason: string; units: Unit[] }>();
    for (const unit of sorted) {
      if (assigned.has(unit.key)) continue;
      const repo = monorepoKey(unit);
      if (!repo) continue;
      const k = `${unit.manager}\u0000${repo.key}\u0000${unit.major}`;
      const entry = byRepo.get(k) ?? { name: repo.name, reason: repo.reason, units: [] };
      entry.units.push(unit);
      byRepo.set(k, entry);
    }
    for (const { name, reason, units: members } of byRepo.values()) {
      if (members.length < 2) continue; // one package alone keeps its own branch
      for (const unit of members) assigned.set(unit.key, { name, kind: 'monorepo', major: unit.major, reason });
    }
  }

  if (switches.types) {
    for (const unit of sorted) {
      const typed = typedPackage(unit.depName);
      if (typed === undefined || assigned.has(unit.key)) continue;
      const partnerKey = `${unit.manager}\u0000${typed}\u0000${unit.major}`;
      const partner = units.get(partnerKey);
      if (!partner) continue;
      const theirs = assigned.get(partnerKey);
      if (theirs) {
        assigned.set(unit.key, { ...theirs, reason: `${theirs.reason}; ${unit.depName} follows ${typed}` });
      } else {
        const pair: GroupAssignment = { name: `${slug(typed)}-with-types`, kind: 'types', major: unit.major, reason: `default: ${typed} with ${unit.depName}` };
        assigned.set(unit.key, pair);
        assigned.set(partnerKey, pair);
      }
    }
  }

  if (switches.devDependencies) {
    for (const unit of sorted) {
      if (assigned.has(unit.key) || unit.major || unit.manager !== 'npm') continue;
      if (!unit.updates.every((u) => u.depType === 'devDependencies')) continue;
      assigned.set(unit.key, { name: DEV_DEPENDENCIES_GROUP, kind: 'dev-dependencies', major: false, reason: 'default: non-major devDependencies' });
    }
  }

  const out = new Map<DetectedUpdate, GroupAssignment>();
  for (const unit of sorted) {
    const a = assigned.get(unit.key);
    if (a) for (const u of unit.updates) out.set(u, a);
  }
  return out;
}
