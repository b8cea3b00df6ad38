import { withClient } from '../control/connection';
import { latestRuns, loadDependencies, repositoryPlan, scanRepository } from '../control/dependencies';
import type { DependencyRunSummary } from '../policies/deps/run';
import { EXIT } from './errors';
import { InvalidInputError } from '../control/errors';
import { renderTable } from './table';

const shortDigest = (value: string) => value.replace(/@(sha256:)?([0-9a-f]{12})[0-9a-f]{20,}/, '@$1$2…');

/** The summary as a person reads it: PRs, what waits and why, and every problem Renovate reported. */
export function renderRunSummary(s: DependencyRunSummary, options: { showBody?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`${s.repo}${s.dryRun ? ' (dry run: nothing written)' : ''}, Renovate ${s.renovateVersion ?? '?'}, ${s.finishedAt || 'running'}`);
  if (s.managers.length > 0) out.push(`managers: ${s.managers.map((m) => `${m.manager} (${m.dependencies} deps in ${m.packageFiles.join(', ')})`).join('; ')}`);
  if (s.pullRequestsUnknown) out.push(`existing PRs unknown (${s.pullRequestsUnknown}): planned as if there were none; closed PRs and limits not compared`);
  if (s.unscanned?.length) out.push(`not scanned: ${s.unscanned.map((u) => `${u.manager} (${u.reason})`).join('; ')}`);
  out.push('');
  if (s.pullRequests.length === 0) out.push('No pull requests to open or update.');
  else {
    out.push(renderTable(['PR', 'outcome', 'title', 'branch', 'updates', 'group', 'automerge'], s.pullRequests.map((p) => [
      p.number !== undefined ? `#${p.number}` : '-',
      p.error ? `failed: ${p.error}` : p.outcome,
      p.title,
      p.branch,
      p.updates.map((u) => `${u.depName} ${shortDigest(u.from)} → ${shortDigest(u.to)} (${u.type})`).join('\n'),
      p.group !== undefined ? `${p.group}${p.groupReason !== undefined ? ` (${p.groupReason})` : ''}` : '-',
      p.automerge ?? '',
    ])));
  }
  if (options.showBody) {
    for (const p of s.pullRequests.filter((pr) => pr.body !== undefined)) {
      out.push('', `── ${p.title} (${p.branch}) ${'─'.repeat(8)}`, p.body!);
    }
  }
  if (s.splits?.length) {
    out.push('', s.dryRun ? 'Would split (group PRs whose checks failed go on as two smaller PRs):' : 'Split (group PRs whose checks failed go on as two smaller PRs):');
    out.push(renderTable(['PR', 'outcome', 'failing checks', 'into'], s.splits.map((sp) => [
      `#${sp.number} ${sp.branch}`,
      sp.error ? `${sp.outcome}: ${sp.error}` : sp.outcome,
      sp.failing.join(', ') || '-',
      sp.into.map((p) => `${p.number !== undefined ? `#${p.number} ` : ''}${p.branch}`).join('\n'),
    ])));
  }
  if (s.culprits?.length) {
    out.push('', 'Failing alone (the update that breaks its group; left open for a person):');
    out.push(renderTable(['PR', 'package', 'split from', 'failing checks'], s.culprits.map((c) => [`#${c.number} ${c.branch}`, c.depName, `#${c.from}`, c.failing.join(', ') || '-'])));
  }
  if (s.waiting?.length) {
    out.push('', 'Waiting for the limits (opened in this order as they allow):');
    out.push(renderTable(['branch', 'title', 'limit'], s.waiting.map((w) => [w.branch, w.title, w.limit])));
  }
  if (s.held.length > 0) {
    out.push('', 'Not proposed:');
    out.push(renderTable(['package', 'to', 'why'], s.held.map((h) => [`${h.depName} (${h.manager})`, h.to, h.detail])));
  }
  if (s.advisories?.length) out.push('', 'Open advisories:', renderAdvisories(s));
  if (s.stale.length > 0) out.push('', `Open PRs with nothing left to update (close them): ${s.stale.map((p) => `#${p.number} ${p.branch}`).join(', ')}`);
  if (s.problems.length > 0) {
    out.push('', 'Problems:');
    for (const p of s.problems) out.push(`  ${p.level}: ${[p.packageFile, p.depName].filter(Boolean).join(' ')}${p.packageFile || p.depName ? ': ' : ''}${p.message}`);
  }
  return out.join('\n');
}

/** The open advisories of a run, one row per vulnerable dependency, and how many more there were. */
function renderAdvisories(s: DependencyRunSummary): string {
  const table = renderTable(['package', 'current', 'advisories', 'fixed in', 'fix'], (s.advisories ?? []).map((a) => [
    `${a.depName} (${a.manager}, ${a.packageFile})`, a.currentVersion, a.ids.join('\n'), a.fixedIn.join(', ') || '-', a.url !== undefined ? `${a.status} ${a.url}` : a.status,
  ]));
  return s.advisoriesMore ? `${table}\n… and ${s.advisoriesMore} more vulnerable dependencies (maint deps status --json lists the first ${s.advisories?.length ?? 0})` : table;
}

/** `maint deps scan --repo owner/name [--dry-run]`: runs the repository's dependency workflow now and prints what it did. */
export async function depsScan(opts: { files: string[]; repo: string; dryRun?: boolean; showBody?: boolean; json?: boolean }): Promise<number> {
  if (opts.showBody && !opts.dryRun) throw new InvalidInputError('--show-body needs --dry-run (the PRs on GitHub show their own bodies)');
  const plan = repositoryPlan(await loadDependencies(opts.files), opts.repo);
  return withClient(async (c) => {
    const summary = await scanRepository(c.client, c.env.MAINT_TASK_QUEUE, plan, {
      ...(opts.dryRun ? { dryRun: true } : {}),
      onAlreadyRunning: () => process.stderr.write(`a run for ${plan.repo} is already going; waiting for it\n`),
    });
    process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderRunSummary(summary, opts.showBody ? { showBody: true } : {})}\n`);
    const failed = summary.pullRequests.some((p) => p.outcome === 'failed') || summary.problems.some((p) => p.level === 'error');
    return failed ? EXIT.failed : EXIT.ok;
  });
}

/** `maint deps status`: each repository's latest run (or the one going on). */
export async function depsStatus(opts: { files: string[]; json?: boolean }): Promise<number> {
  const setup = await loadDependencies(opts.files);
  return withClient(async (c) => {
    const rows = await latestRuns(c.client, setup.repositories);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return EXIT.ok;
    }
    const count = (s: DependencyRunSummary | undefined, f: (o: string) => boolean) => (s ? s.pullRequests.filter((p) => f(p.outcome)).length : 0);
    process.stdout.write(`${renderTable(['repository', 'last run', 'finished', 'PRs open', 'merged', 'failed', 'waiting', 'problems', 'advisories'], rows.map((r) => [
      r.repo, r.state, r.summary?.finishedAt || '-',
      String(count(r.summary, (o) => ['created', 'updated', 'unchanged'].includes(o))),
      String(count(r.summary, (o) => o === 'merged')),
      String(count(r.summary, (o) => o === 'failed')),
      String(r.summary?.held.length ?? 0),
      String(r.summary?.problems.length ?? 0),
      r.summary?.advisories === undefined ? '-' : String(r.summary.advisories.length + (r.summary.advisoriesMore ?? 0)),
    ]))}\n`);
    for (const r of rows.filter((row) => row.summary?.advisories?.length)) {
      process.stdout.write(`\nOpen advisories in ${r.repo}:\n${renderAdvisories(r.summary!)}\n`);
    }
    return EXIT.ok;
  });
}
