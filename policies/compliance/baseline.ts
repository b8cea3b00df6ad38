import { z } from 'zod';
import { lowerName } from '../common/fields';
import { availableSince, CLASSIFICATIONS, packageName, SEVERITIES, type PendingUpdate } from './types';

const DAY_MS = 86_400_000;

/** `openssl`, `linux-image-*`, `nginx=1.24.*`: a package name glob, optionally `=` a version glob (`*` any run, `?` one character). */
export const packageGlobSchema = z
  .string()
  .regex(/^[a-z0-9*?][a-z0-9+._*?-]*(=[A-Za-z0-9.+~:_*?-]+)?$/, 'expected a package glob like "openssl", "linux-image-*" or "nginx=1.24.*" (lower-case name, * and ? as wildcards, optionally =VERSION)');

export const patchBaselineSchema = z
  .strictObject({
    apiVersion: z.literal('maint/v1'),
    kind: z.literal('PatchBaseline'),
    name: lowerName('web-default').describe('What rollout strategies name it by (`packages: {baseline: NAME}`).'),
    description: z.string().max(2000).optional(),
    approve: z
      .strictObject({
        classification: z.array(z.enum(CLASSIFICATIONS)).min(1).default(['security']).describe('Classifications approved by the rules (apt knows security and other; dnf advisories say security, bugfix, enhancement). Default [security].'),
        severity: z.array(z.enum(SEVERITIES)).min(1).optional().describe('Only updates of these severities (apt updates are all "unspecified"). Default: any.'),
        afterDays: z.number().int().min(0).max(365).default(0).describe('Approved this many days after the update became available (the repository\'s date, or when a scan first saw it, whichever is earlier).'),
      })
      .prefault({})
      .describe('The rules: an update they match is approved.'),
    allow: z.array(packageGlobSchema).default([]).describe('Approved whatever the rules say (no waiting days), e.g. ["openssl", "nginx=1.24.*"].'),
    deny: z.array(packageGlobSchema).default([]).describe('Never approved, even when `allow` or the rules match: deny wins.'),
    rejectAction: z
      .enum(['block', 'allow-as-dependency'])
      .default('block')
      .describe('A denied package that an approved update needs: `block` refuses the host\'s plan (nothing installed, said why); `allow-as-dependency` installs it as a dependency only.'),
  })
  .describe('Which updates are approved for a group of hosts (apiVersion maint/v1, kind PatchBaseline).');

export type PatchBaseline = z.output<typeof patchBaselineSchema>;

function globRegex(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Whether `glob` (`name[=version]`) matches the package (its name, or its full key `libc6:i386`, `openssl.x86_64`) at `version`. */
export function globMatches(glob: string, pkg: string, version: string): boolean {
  const [namePart = '', versionPart] = glob.split(/=(.*)/s);
  const name = globRegex(namePart);
  if (!name.test(pkg) && !name.test(packageName(pkg))) return false;
  return versionPart === undefined || globRegex(versionPart).test(version);
}

function firstMatch(globs: readonly string[], pkg: string, version: string): number {
  return globs.findIndex((g) => globMatches(g, pkg, version));
}

/** Why an update is (not) approved, for people: the dry run and `maint hosts compliance` print it. */
export interface UpdateDecision {
  update: PendingUpdate;
  approved: boolean;
  reason: string;
  /** Epoch ms, see {@link availableSince}. */
  availableSince: number;
  /** Whole days since then. */
  ageDays: number;
}

/** `first seen` per `package=candidate` (store/compliance.ts keeps them). */
export type FirstSeen = ReadonlyMap<string, number>;

export function firstSeenKey(pkg: string, version: string): string {
  return `${pkg}=${version}`;
}

/**
 * Judges each pending update against the baseline at `now`. Order of the rules: deny (always wins),
 * then allow, then classification, severity and age. An update is approved once it has been
 * available for `afterDays` whole days: 7 days exactly is old enough, one millisecond less is not.
 */
export function judgeUpdates(baseline: PatchBaseline, updates: readonly PendingUpdate[], firstSeen: FirstSeen, now: number): UpdateDecision[] {
  return updates.map((update) => {
    const since = availableSince(update, firstSeen.get(firstSeenKey(update.package, update.candidate)), now);
    const ageDays = Math.max(0, Math.floor((now - since) / DAY_MS));
    const decide = (approved: boolean, reason: string): UpdateDecision => ({ update, approved, reason, availableSince: since, ageDays });
    const denied = firstMatch(baseline.deny, update.package, update.candidate);
    if (denied >= 0) return decide(false, `denied by deny[${denied}] "${baseline.deny[denied]}"`);
    const allowed = firstMatch(baseline.allow, update.package, update.candidate);
    if (allowed >= 0) return decide(true, `allowed by allow[${allowed}] "${baseline.allow[allowed]}"`);
    const { classification, severity, afterDays } = baseline.approve;
    if (!classification.includes(update.classification)) return decide(false, `${update.classification} updates are not approved (approve.classification: ${classification.join(', ')})`);
    if (severity !== undefined && !severity.includes(update.severity)) return decide(false, `severity ${update.severity} is not approved (approve.severity: ${severity.join(', ')})`);
    if (now - since < afterDays * DAY_MS) {
      return decide(false, `available for ${ageDays} day${ageDays === 1 ? '' : 's'}: approved after ${afterDays} (on ${new Date(since + afterDays * DAY_MS).toISOString().slice(0, 10)})`);
    }
    return decide(true, `${update.classification}, available for ${ageDays} day${ageDays === 1 ? '' : 's'}${afterDays > 0 ? ` (≥ ${afterDays})` : ''}`);
  });
}

/** One change a pinned install would make (as apt-get -s / dnf's preview report it). */
export interface SimulatedChange {
  package: string;
  from: string;
  /** '' = removed. */
  to: string;
}

export type InstallPlan =
  | {
    ok: true;
    /** Exactly what to install, pinned: the approved updates and what they pull in. */
    target: Record<string, string>;
    /** The part of `target` that was not approved itself but is needed by what was (denied ones only with allow-as-dependency). */
    dependencies: Record<string, string>;
  }
  | { ok: false; error: string };

/**
 * The approved package=version set of a host, with its dependency pulls. `approved`: the approved,
 * not held updates; `simulated`: what installing exactly those (pinned) would change. A pulled-in
 * package the baseline denies either blocks the host's plan (`rejectAction: block`: nothing is
 * installed, and the error says which update needs which denied package) or is installed as a
 * dependency only (`allow-as-dependency`).
 */
export function installPlan(baseline: PatchBaseline, approved: Record<string, string>, simulated: readonly SimulatedChange[]): InstallPlan {
  const target: Record<string, string> = { ...approved };
  const dependencies: Record<string, string> = {};
  const denied: string[] = [];
  for (const change of simulated) {
    if (Object.hasOwn(approved, change.package)) {
      if (change.to !== approved[change.package]) return { ok: false, error: `${change.package}: the package manager would install ${change.to || 'nothing (a removal)'} instead of the approved ${approved[change.package]}` };
      continue;
    }
    const rule = firstMatch(baseline.deny, change.package, change.to);
    if (rule >= 0) denied.push(`${change.package} ${change.to || '(removal)'} (deny[${rule}] "${baseline.deny[rule]}")`);
    target[change.package] = change.to;
    dependencies[change.package] = change.to;
  }
  if (denied.length > 0 && baseline.rejectAction === 'block') {
    return { ok: false, error: `the approved updates (${Object.keys(approved).sort().join(', ')}) need packages the baseline denies: ${denied.join(', ')}; rejectAction block installs none of them` };
  }
  return { ok: true, target, dependencies };
}

/** The approved updates that can be installed: approved and not held. */
export function approvedVersions(decisions: readonly UpdateDecision[]): Record<string, string> {
  return Object.fromEntries(decisions.filter((d) => d.approved && !d.update.held).map((d) => [d.update.package, d.update.candidate]));
}

/** With no baseline named: every security update, approved at once (what "missing security updates" means without one). */
export const SECURITY_NOW: PatchBaseline = {
  apiVersion: 'maint/v1', kind: 'PatchBaseline', name: 'security-now',
  approve: { classification: ['security'], afterDays: 0 }, allow: [], deny: [], rejectAction: 'block',
};
