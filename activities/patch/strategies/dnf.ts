import type { z } from 'zod';
import {
  checkUpdateHasUpdates,
  dnfApplyCommand,
  dnfCheckUpdateCommand,
  dnfDowngradeCommand,
  dnfHistoryInfoCommand,
  dnfHistoryListCommand,
  dnfRebootCheckCommand,
  dnfRemoveCommand,
  dnfRepoqueryCommand,
  dnfUndoCommand,
  dnfUpgradePreviewCommand,
  nevra,
  normalizeEvr,
  parseDnfCheckUpdate,
  parseDnfHistoryInfo,
  parseDnfHistoryList,
  parseDnfTransactionTable,
  parseRpmQuery,
  rebootFromNeedsRestarting,
  rpmQueryCommand,
  splitKey,
} from '../../../policies/rollout/packages/dnf';
import type { dnfStrategySchema } from '../../../policies/rollout/policy';
import { changeKeyedByCommand, HostCommandError, runChecked, type HostPlanOptions, type PatchStrategy, type StrategyContext, type VersionRecord } from '../strategy';
import { baselinePinned, checkBaselinePlan } from '../baselinePins';

type DnfStrategy = z.output<typeof dnfStrategySchema>;

/** `name.arch` → installed versions (several for install-only packages such as kernels). */
type Installed = Record<string, string[]>;

async function installedVersions(ctx: StrategyContext): Promise<Installed> {
  return parseRpmQuery(await runChecked(ctx, rpmQueryCommand(), 120));
}

/** A record's version of a package: '' = not installed; several install-only versions are space-separated. */
function asRecorded(installed: Installed, key: string): string {
  return (installed[key] ?? []).join(' ');
}

function pick(installed: Installed, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, asRecorded(installed, k)]));
}

/** At the target: that version is installed ('' : none is). An older kernel staying alongside is fine. */
function atTarget(installed: Installed, key: string, version: string): boolean {
  const versions = installed[key] ?? [];
  return version === '' ? versions.length === 0 : versions.includes(version);
}

/** Back where it was: exactly the versions recorded before. */
function atBefore(installed: Installed, key: string, before: string): boolean {
  return asRecorded(installed, key) === before.split(' ').filter(Boolean).sort().join(' ');
}

async function checkUpdate(ctx: StrategyContext, packages: 'all' | 'security' | string[], refresh: boolean) {
  const command = dnfCheckUpdateCommand(packages, { refresh });
  const result = await ctx.shell.run(command, { timeoutSeconds: ctx.commandTimeoutSeconds, become: true });
  if (result.exitCode !== 0 && result.exitCode !== 100) throw new HostCommandError(ctx.host.name, command, result.exitCode, result.stderr || result.stdout);
  return checkUpdateHasUpdates(result.exitCode) ? parseDnfCheckUpdate(result.stdout) : [];
}

/**
 * `name.arch` → target version: what check-update offers, or the version a `name=version` spec
 * pins; then whatever else upgrading to those versions changes (new dependencies, '' for a package
 * it removes), as dnf resolves it without doing it. check-update lists only installed packages: a
 * dependency left out of the record would stay on the host after a rollback without `history undo`.
 */
async function plan(ctx: StrategyContext, s: DnfStrategy, installed: Installed, refresh: boolean, options: HostPlanOptions = {}): Promise<Record<string, string>> {
  const packages = s.packages;
  const fixed = typeof packages === 'object' && !Array.isArray(packages) ? baselinePinned(ctx, packages, options) : undefined;
  const target = typeof packages === 'object' && !Array.isArray(packages) ? { ...fixed!.pinned } : await offered(ctx, packages, installed, refresh);
  if (Object.keys(target).length === 0) return target;
  const command = dnfUpgradePreviewCommand(target);
  const result = await ctx.shell.run(command, { timeoutSeconds: ctx.commandTimeoutSeconds, become: true });
  const transaction = parseDnfTransactionTable(result.stdout);
  if (transaction === undefined && !(result.exitCode === 0 && /^Nothing to do\.$/m.test(result.stdout))) {
    throw new HostCommandError(ctx.host.name, command, result.exitCode, result.stderr || result.stdout);
  }
  const pulled: Record<string, string> = {};
  for (const [key, version] of Object.entries(transaction ?? {})) if (!(key in target) && !atTarget(installed, key, version)) pulled[key] = version;
  if (fixed !== undefined) {
    const changes = [...Object.entries(target), ...Object.entries(pulled)].map(([key, to]) => ({ package: key, from: asRecorded(installed, key), to }));
    checkBaselinePlan(ctx, fixed.baseline, fixed.pinned, changes);
  }
  return { ...target, ...pulled };
}

async function offered(ctx: StrategyContext, packages: 'all' | 'security' | string[], installed: Installed, refresh: boolean): Promise<Record<string, string>> {
  const updates = await checkUpdate(ctx, packages, refresh);
  const target: Record<string, string> = Object.fromEntries(updates.map((u) => [u.package, u.version]));
  if (Array.isArray(packages)) {
    for (const spec of packages) {
      const [name = '', pinned] = spec.split(/=(.*)/s);
      if (pinned === undefined) continue;
      // Only installed packages, in each installed architecture: a patch never installs new software.
      for (const key of Object.keys(installed).filter((k) => splitKey(k).name === name)) {
        const version = normalizeEvr(pinned);
        if (atTarget(installed, key, version)) delete target[key];
        else target[key] = version;
      }
    }
  }
  return target;
}

async function lastTransaction(ctx: StrategyContext) {
  const result = await ctx.shell.run(dnfHistoryInfoCommand('last'), { timeoutSeconds: 120, become: true });
  return result.exitCode === 0 ? parseDnfHistoryInfo(result.stdout) : undefined;
}

/**
 * Throws, changing nothing, unless an enabled repository still offers every version the rollback
 * must put back: `history undo` and `downgrade` take them from there only. Checked first, so that
 * no failed job is left behind and a retry once the mirror has them again can still run.
 */
async function requireOffered(ctx: StrategyContext, before: Record<string, string>, current: Installed): Promise<void> {
  const needed = Object.entries(before).flatMap(([key, versions]) =>
    versions.split(' ').filter((v) => v !== '' && !(current[key] ?? []).includes(v)).map((v) => ({ key, version: v, nevra: nevra(key, v) })));
  if (needed.length === 0) return;
  const offered = parseRpmQuery(await runChecked(ctx, dnfRepoqueryCommand(needed.map((n) => n.nevra)), 600, { become: true }));
  const gone = needed.filter((n) => !(offered[n.key] ?? []).includes(n.version)).map((n) => n.nevra);
  if (gone.length > 0) {
    throw new Error(`${ctx.host.name}: cannot roll back: ${gone.join(', ')} ${gone.length === 1 ? 'is' : 'are'} in no enabled dnf repository any more (dnf's cache does not count); nothing was changed`);
  }
}

function explain(installed: Installed, wanted: Record<string, string>, keys: string[]): string {
  return keys.map((k) => `${k} ${asRecorded(installed, k) || '(not installed)'} instead of ${wanted[k] || '(not installed)'}`).join(', ');
}

/**
 * RHEL-family hosts: `dnf upgrade` to the versions recorded, rollback by `dnf history undo`. Every
 * dnf command runs through the host's become: the upgrade preview needs root, and the others must
 * see root's metadata cache (as another user dnf keeps a cache of its own), not only rpm -q.
 */
export const dnfStrategy: PatchStrategy<DnfStrategy> = {
  async preview(ctx, s, options) {
    const installed = await installedVersions(ctx);
    const target = await plan(ctx, s, installed, false, options);
    return Object.entries(target).map(([key, to]) => ({ package: key, from: asRecorded(installed, key), to }));
  },

  async record(ctx, s, options) {
    ctx.heartbeat('dnf check-update --refresh');
    const installed = await installedVersions(ctx);
    const target = await plan(ctx, s, installed, true, options);
    return { before: pick(installed, Object.keys(target)), target };
  },

  async apply(ctx, _s, record) {
    const keys = Object.keys(record.target);
    const current = await installedVersions(ctx);
    const missing = (installed: Installed) => keys.filter((k) => !atTarget(installed, k, record.target[k] ?? ''));
    if (missing(current).length === 0) {
      // Applied by an earlier attempt that did not live to report it: adopt its transaction if it is the last one.
      let adopted = record;
      if (record.transactionId === undefined && keys.length > 0) {
        const last = await lastTransaction(ctx);
        if (last?.succeeded && keys.every((k) => (last.installed[k] ?? '') === record.target[k])) adopted = { ...record, transactionId: last.id };
      }
      return { installed: pick(current, keys), alreadyApplied: true, record: adopted };
    }
    const previous = parseDnfHistoryList((await ctx.shell.run(dnfHistoryListCommand(), { timeoutSeconds: 120, become: true })).stdout);
    ctx.heartbeat('dnf upgrade');
    // Only what is installed: dnf pulls in the new dependencies the record lists itself.
    await changeKeyedByCommand(ctx, 'dnf-upgrade', dnfApplyCommand(Object.fromEntries(keys.filter((k) => record.before[k] !== '').map((k) => [k, record.target[k] ?? '']))));
    const last = await lastTransaction(ctx);
    const after = await installedVersions(ctx);
    const wrong = missing(after);
    if (wrong.length > 0) throw new Error(`${ctx.host.name}: after dnf upgrade, ${explain(after, record.target, wrong)}`);
    const transactionId = last !== undefined && last.id !== previous ? last.id : record.transactionId;
    return { installed: pick(after, keys), alreadyApplied: false, record: { ...record, ...(transactionId !== undefined ? { transactionId } : {}) } };
  },

  async rollback(ctx, _s, record: VersionRecord) {
    const keys = [...new Set([...Object.keys(record.before), ...Object.keys(record.target)])];
    const before = Object.fromEntries(keys.map((k) => [k, record.before[k] ?? '']));
    const wrong = (installed: Installed) => keys.filter((k) => !atBefore(installed, k, before[k] ?? ''));
    let current = await installedVersions(ctx);
    if (wrong(current).length === 0) return pick(current, keys);
    await requireOffered(ctx, before, current);

    if (record.transactionId !== undefined) {
      ctx.heartbeat(`dnf history undo ${record.transactionId}`);
      await changeKeyedByCommand(ctx, 'dnf-undo', dnfUndoCommand(record.transactionId));
      current = await installedVersions(ctx);
    }
    // No transaction id (or something changed the packages since): put each one back explicitly.
    const left = wrong(current);
    if (left.length > 0) {
      const remove: string[] = [];
      const downgrade: Record<string, string> = {};
      for (const key of left) {
        const wanted = (before[key] ?? '').split(' ').filter(Boolean);
        const now = current[key] ?? [];
        if (wanted.length === 0) remove.push(key);
        else if (wanted.every((v) => now.includes(v))) remove.push(...now.filter((v) => !wanted.includes(v)).map((v) => `${splitKey(key).name}-${v}.${splitKey(key).arch}`));
        else if (wanted.length === 1) downgrade[key] = wanted[0] ?? '';
        else throw new Error(`${ctx.host.name}: cannot put back ${key} ${before[key]} (now ${now.join(' ') || 'not installed'}) without a dnf transaction id`);
      }
      if (Object.keys(downgrade).length > 0) {
        ctx.heartbeat('dnf downgrade');
        await changeKeyedByCommand(ctx, 'dnf-downgrade', dnfDowngradeCommand(downgrade));
      }
      if (remove.length > 0) {
        ctx.heartbeat('dnf remove');
        await changeKeyedByCommand(ctx, 'dnf-remove', dnfRemoveCommand(remove));
      }
      current = await installedVersions(ctx);
    }
    const still = wrong(current);
    if (still.length > 0) throw new Error(`${ctx.host.name}: after rollback, ${explain(current, before, still)}`);
    return pick(current, keys);
  },

  async rebootRequired(ctx) {
    const command = dnfRebootCheckCommand();
    const result = await ctx.shell.run(command, { timeoutSeconds: 120 });
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new HostCommandError(ctx.host.name, command, result.exitCode, result.stderr || result.stdout);
    return rebootFromNeedsRestarting(result.exitCode);
  },
};
