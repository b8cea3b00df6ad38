import type { z } from 'zod';
import {
  aptApplyCommand,
  aptAvailabilityCommand,
  aptRebootCheckCommand,
  aptRemoveCommand,
  aptRollbackCommand,
  aptSimulateInstallCommand,
  aptSimulatePinnedCommand,
  aptSimulateUpgradeCommand,
  aptUpdateCommand,
  dpkgQueryCommand,
  parseAptAvailability,
  parseAptRebootCheck,
  parseAptSimulation,
  parseDpkgQuery,
  selectUpgrades,
  type AptChange,
} from '../../../policies/rollout/packages/apt';
import type { aptStrategySchema } from '../../../policies/rollout/policy';
import { changeKeyedByCommand, runChecked, type HostPlanOptions, type PatchStrategy, type StrategyContext, type VersionRecord } from '../strategy';
import { baselinePinned, checkBaselinePlan } from '../baselinePins';

type AptStrategy = z.output<typeof aptStrategySchema>;

/** Installed versions, as apt names packages; refuses to go on if dpkg left packages half-done. */
async function installedVersions(ctx: StrategyContext): Promise<Record<string, string>> {
  const { installed, broken } = parseDpkgQuery(await runChecked(ctx, dpkgQueryCommand(), 120));
  if (broken.length > 0) {
    throw new Error(`${ctx.host.name}: dpkg left packages half-installed: ${broken.join(', ')}; run \`dpkg --configure -a\` (or fix them by hand) and retry`);
  }
  return installed;
}

/**
 * The exact change the policy asks for on this host: the selected upgrades, pinned to the versions
 * the simulation picked, then simulated once more as pinned — so the plan also holds every
 * dependency apt will upgrade, install or remove with them, and apply installs exactly this.
 */
async function plan(ctx: StrategyContext, s: AptStrategy, options: HostPlanOptions = {}): Promise<AptChange[]> {
  let selected: Record<string, string>;
  if (typeof s.packages === 'object' && !Array.isArray(s.packages)) {
    // The baseline's approved set, as the rollout fixed it: exactly these versions, checked for denied dependencies.
    const { baseline, pinned } = baselinePinned(ctx, s.packages, options);
    if (Object.keys(pinned).length === 0) return [];
    const changes = parseAptSimulation(await runChecked(ctx, aptSimulatePinnedCommand(pinned), 300));
    checkBaselinePlan(ctx, baseline, pinned, changes);
    return changes;
  } else if (s.packages === 'all' || s.packages === 'security') {
    const upgrades = selectUpgrades(parseAptSimulation(await runChecked(ctx, aptSimulateUpgradeCommand(), 300)), s.packages);
    selected = Object.fromEntries(upgrades.map((c) => [c.package, c.to]));
  } else {
    const changes = parseAptSimulation(await runChecked(ctx, aptSimulateInstallCommand(s.packages), 300));
    selected = Object.fromEntries(changes.filter((c) => c.to !== '').map((c) => [c.package, c.to]));
  }
  if (Object.keys(selected).length === 0) return [];
  return parseAptSimulation(await runChecked(ctx, aptSimulatePinnedCommand(selected), 300));
}

function differing(installed: Record<string, string>, wanted: Record<string, string>): string[] {
  return Object.keys(wanted).filter((name) => (installed[name] ?? '') !== wanted[name]);
}

function explain(installed: Record<string, string>, wanted: Record<string, string>, names: string[]): string {
  return names.map((n) => `${n} ${installed[n] || '(not installed)'} instead of ${wanted[n] || '(not installed)'}`).join(', ');
}

function pick(installed: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, installed[n] ?? '']));
}

/** Debian/Ubuntu hosts: apt-get with versions pinned at record time, rollback by downgrade. */
export const aptStrategy: PatchStrategy<AptStrategy> = {
  async preview(ctx, s, options) {
    return (await plan(ctx, s, options)).map((c) => ({ package: c.package, from: c.from, to: c.to }));
  },

  async record(ctx, s, options) {
    ctx.heartbeat('apt-get update');
    // Writes apt's lists: as the become user (root), like every apt-get that is not a simulation.
    await runChecked(ctx, aptUpdateCommand(), ctx.commandTimeoutSeconds, { become: true });
    ctx.heartbeat('simulating the upgrade');
    const target = Object.fromEntries((await plan(ctx, s, options)).map((c) => [c.package, c.to]));
    const installed = await installedVersions(ctx);
    return { before: pick(installed, Object.keys(target)), target };
  },

  async apply(ctx, _s, record) {
    const names = Object.keys(record.target);
    const current = await installedVersions(ctx);
    if (differing(current, record.target).length === 0) return { installed: pick(current, names), alreadyApplied: true, record };
    ctx.heartbeat('apt-get install');
    await changeKeyedByCommand(ctx, 'apt-install', aptApplyCommand(record.target));
    const after = await installedVersions(ctx);
    const wrong = differing(after, record.target);
    if (wrong.length > 0) throw new Error(`${ctx.host.name}: after apt-get install, ${explain(after, record.target, wrong)}`);
    return { installed: pick(after, names), alreadyApplied: false, record };
  },

  async rollback(ctx, _s, record: VersionRecord) {
    const names = [...new Set([...Object.keys(record.before), ...Object.keys(record.target)])];
    const before = pick(record.before, names);
    const current = await installedVersions(ctx);
    const wrong = differing(current, before);
    if (wrong.length === 0) return pick(current, names);
    // Downgrades first: removing a new dependency while the new version still needs it would take that package along.
    const restore = Object.fromEntries(wrong.filter((n) => before[n] !== '').map((n) => [n, before[n] ?? '']));
    if (Object.keys(restore).length > 0) {
      // Decided here, read-only, not inside the job: a retry after the cache was refilled is a new command.
      const sources = parseAptAvailability(await runChecked(ctx, aptAvailabilityCommand(restore), 120), Object.keys(restore));
      const nowhere = Object.entries(sources).filter(([, src]) => src.from === 'nowhere');
      if (nowhere.length > 0) {
        const where = nowhere[0]?.[1].from === 'nowhere' ? nowhere[0][1].archives : '';
        const what = nowhere.map(([n]) => `${n} ${restore[n]}`).join(', ');
        throw new Error(`${ctx.host.name}: cannot roll back: ${what} ${nowhere.length === 1 ? 'is' : 'are'} in neither the apt repositories nor the apt cache (${where || 'Dir::Cache::archives'}); nothing was changed`);
      }
      const cached = Object.fromEntries(Object.entries(sources).flatMap(([n, src]) => (src.from === 'cache' ? [[n, src.deb]] : [])));
      ctx.heartbeat('apt-get install --allow-downgrades');
      await changeKeyedByCommand(ctx, 'apt-downgrade', aptRollbackCommand(restore, cached));
    }
    const added = wrong.filter((n) => before[n] === '');
    if (added.length > 0) {
      ctx.heartbeat('apt-get remove');
      const now = await installedVersions(ctx);
      const stillThere = added.filter((n) => (now[n] ?? '') !== '');
      if (stillThere.length > 0) await changeKeyedByCommand(ctx, 'apt-remove', aptRemoveCommand(stillThere));
    }
    const after = await installedVersions(ctx);
    const still = differing(after, before);
    if (still.length > 0) throw new Error(`${ctx.host.name}: after rollback, ${explain(after, before, still)}`);
    return pick(after, names);
  },

  async rebootRequired(ctx) {
    return parseAptRebootCheck(await runChecked(ctx, aptRebootCheckCommand(), 120));
  },
};
