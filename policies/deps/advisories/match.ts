/**
 * Which updates are security updates: a dependency whose current version an advisory affects gets
 * its least disruptive update (patch < minor < major, then the lowest version, as Renovate's
 * vulnerabilityFixStrategy "lowest") whose new version no advisory affects, marked vulnerabilityAlert.
 */
import { policyType } from '../plan';
import type { DetectedUpdate, ScannedDependency, VulnerableDependency } from '../types';
import { advisoriesFor, type AdvisoryIndex } from './osv';
import { compareVersions, ecosystemOf } from './versions';

const RANK = { digest: 0, patch: 1, minor: 2, major: 3 } as const;

const occurrence = (d: Pick<ScannedDependency, 'manager' | 'packageFile' | 'depName' | 'depType'>) => `${d.manager}\u0000${d.packageFile}\u0000${d.depName}\u0000${d.depType ?? ''}`;

export interface AdvisoryMatch {
  updates: DetectedUpdate[];
  vulnerable: VulnerableDependency[];
  /** Vulnerable dependencies with a released fix that no update reaches: looked up again without minimumReleaseAge. */
  needFix: ScannedDependency[];
}

export function matchAdvisories(index: AdvisoryIndex, dependencies: ScannedDependency[], updates: DetectedUpdate[]): AdvisoryMatch {
  const byOccurrence = new Map<string, DetectedUpdate[]>();
  for (const u of updates) byOccurrence.set(occurrence(u), [...byOccurrence.get(occurrence(u)) ?? [], u]);
  const marked = new Map<DetectedUpdate, DetectedUpdate>();
  const vulnerable: VulnerableDependency[] = [];
  const needFix: ScannedDependency[] = [];
  for (const dep of dependencies) {
    const ecosystem = ecosystemOf(dep.datasource);
    if (ecosystem === undefined || dep.currentVersion === undefined) continue;
    const advisories = advisoriesFor(index, ecosystem, dep.depName, dep.currentVersion);
    if (advisories.length === 0) continue;
    const fixing = (byOccurrence.get(occurrence(dep)) ?? [])
      .filter((u) => u.newVersion !== dep.currentVersion && (compareVersions(ecosystem, u.newVersion, dep.currentVersion!) ?? 0) > 0)
      .filter((u) => advisoriesFor(index, ecosystem, dep.depName, u.newVersion).length === 0)
      .sort((a, b) => RANK[policyType(a)] - RANK[policyType(b)] || (compareVersions(ecosystem, a.newVersion, b.newVersion) ?? 0));
    const best = fixing[0];
    if (best !== undefined) marked.set(best, { ...best, vulnerabilityAlert: true, advisories });
    else if (advisories.some((a) => a.fixed.length > 0)) needFix.push(dep);
    vulnerable.push({
      manager: dep.manager, packageFile: dep.packageFile, depName: dep.depName, currentVersion: dep.currentVersion, advisories,
      ...(best !== undefined ? { fixedBy: best.newVersion } : {}),
    });
  }
  return { updates: updates.map((u) => marked.get(u) ?? u), vulnerable, needFix };
}
