import { formatMs } from '../common/durations';
import { policyType, updateKey, type PlannedPullRequest, type ProposedUpdate } from './plan';
import type { DetectedUpdate } from './types';

const MARKER = /<!-- maint-deps:v1 (\{.*?\}) -->/s;

/** What a PR body says about merging, decided by the workflow. */
export interface MergeOutlook {
  window?: { name: string; nextStart?: string; nextEnd?: string; timezone: string; open: boolean };
  automerge: boolean;
  /** Rollouts of the merge window that ship this change. */
  rollouts: string[];
  /** Latest verdict on the PR head, when it has one. */
  checks?: { state: 'success' | 'pending' | 'failure' | 'none'; details: string[] };
  minimumReleaseAgeMs?: number;
}

function age(u: DetectedUpdate, now: Date): string {
  if (u.releaseTimestamp === undefined) return 'unknown';
  const ms = now.getTime() - Date.parse(u.releaseTimestamp);
  if (!Number.isFinite(ms)) return 'unknown';
  const days = Math.floor(ms / 86_400_000);
  return days >= 1 ? `${days} day${days === 1 ? '' : 's'}` : ms >= 3_600_000 ? `${Math.floor(ms / 3_600_000)} h` : '< 1 h';
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function change(u: DetectedUpdate): string {
  const digest = (d?: string) => (d ? `@${d.replace(/^sha256:/, '').slice(0, 12)}` : '');
  return `${code(u.currentValue + digest(u.currentDigest))} → ${code(u.newValue + digest(u.newDigest))}`;
}

function localTime(iso: string, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date(iso));
}

/** The body a reviewing developer reads, with a hidden marker recording what it proposes. */
export function renderPullRequestBody(pr: PlannedPullRequest, outlook: MergeOutlook, now: Date): string {
  const lines: string[] = [];
  lines.push(pr.group !== undefined
    ? `This PR updates ${pr.updates.length} dependenc${pr.updates.length === 1 ? 'y' : 'ies'} of group **${pr.group}**.`
    : `This PR updates **${pr.updates[0]!.depName}** (${pr.updates[0]!.packageFile}).`);
  lines.push('');
  lines.push('| Package | File | Type | Change | Age | Datasource |');
  lines.push('| --- | --- | --- | --- | --- | --- |');
  for (const u of pr.updates) {
    lines.push(`| ${cell(u.depName)} | ${cell(u.packageFile)} | ${policyType(u)} | ${change(u)} | ${age(u, now)} | ${cell(u.datasource)} |`);
  }
  lines.push('');
  const min = outlook.minimumReleaseAgeMs;
  lines.push(min === undefined ? '**Release age:** no minimum set.' : `**Release age:** every version here was released at least ${formatMs(min)} ago (minimumReleaseAge).`);
  const checks = outlook.checks;
  lines.push(!checks || checks.state === 'none'
    ? '**Checks:** none reported yet on this commit.'
    : `**Checks:** ${checks.state}${checks.details.length > 0 ? ` (${checks.details.map(cell).join('; ')})` : ''}.`);
  const w = outlook.window;
  if (w) {
    const when = w.open ? 'now open' : w.nextStart ? `next: ${localTime(w.nextStart, w.timezone)} – ${localTime(w.nextEnd!, w.timezone)}` : 'no upcoming occurrence';
    lines.push(outlook.automerge
      ? `**Merging:** merged automatically inside maintenance window **${w.name}** (${when}) once all checks are green.`
      : `**Merging:** by a reviewer; it is meant to land inside maintenance window **${w.name}** (${when}).`);
  } else {
    lines.push('**Merging:** by a reviewer (no maintenance window governs this repository).');
  }
  if (outlook.rollouts.length > 0) lines.push(`**Ships with:** rollout${outlook.rollouts.length === 1 ? '' : 's'} ${outlook.rollouts.map(code).join(', ')} of window **${w?.name}**.`);
  lines.push('');
  lines.push('---');
  lines.push('**To ignore these versions,** close this PR without merging: they are not proposed again, and a newer version opens a new PR. '
    + 'To stop updating a package altogether, add it to `ignore` of its policy in the organisation file (`dependencies.policies`). '
    + 'If you push to this branch, this PR is left to you (no run pushes over your commit). '
    + 'You may edit the title, and add text above or below this description: later runs keep both and rewrite only this part.');
  const proposed: ProposedUpdate[] = pr.updates.map((u) => ({ key: updateKey(u), to: u.newVersion, ...(u.newDigest ? { digest: u.newDigest } : {}) }));
  lines.push(`<!-- maint-deps:v1 ${JSON.stringify({ updates: proposed })} -->`);
  return lines.join('\n');
}

/** What a PR body's marker says it proposed; none for PRs that are not ours or were edited beyond recognition. */
export function proposedUpdates(body: string): ProposedUpdate[] {
  const match = MARKER.exec(body);
  if (!match) return [];
  try {
    const parsed = JSON.parse(match[1]!) as { updates?: unknown };
    if (!Array.isArray(parsed.updates)) return [];
    return parsed.updates.filter((p): p is ProposedUpdate => typeof p === 'object' && p !== null && typeof (p as ProposedUpdate).key === 'string' && typeof (p as ProposedUpdate).to === 'string');
  } catch {
    return [];
  }
}

const SECTION_START = /<!-- maint-deps:section (\{.*?\}) -->\n?/s;
const SECTION_END = /\n?<!-- maint-deps:section-end -->/;
/** The marker of bodies written before sections: such a body is all ours. */
const OLD_BODY = /<!-- maint-deps:v1 /;

/**
 * Our part of a PR body, between markers; the start marker records the title we set, so a later
 * run can tell a title a person changed from one it wrote. (`--` is escaped: it would end the comment.)
 */
export function pullRequestSection(body: string, title: string): string {
  return `<!-- maint-deps:section ${JSON.stringify({ title }).replace(/--/g, '-\\u002d')} -->\n${body}\n<!-- maint-deps:section-end -->`;
}

/**
 * The title and body to write over an open PR: our section is replaced, whatever a person wrote
 * before or after it stays; a title a person changed (not the one our section recorded) stays.
 * A body without our section: an older one of ours (all ours) is replaced; anyone else's text is kept
 * and our section follows it.
 */
export function mergePullRequestText(current: { title: string; body: string }, ours: { title: string; body: string }): { title: string; body: string } {
  const section = pullRequestSection(ours.body, ours.title);
  const start = SECTION_START.exec(current.body);
  const end = start ? SECTION_END.exec(current.body.slice(start.index + start[0].length)) : null;
  if (start && end) {
    let recorded: string | undefined;
    try {
      const parsed = JSON.parse(start[1]!) as { title?: unknown };
      if (typeof parsed.title === 'string') recorded = parsed.title;
    } catch {
      // an edited marker: the title is treated as ours
    }
    const before = current.body.slice(0, start.index);
    const after = current.body.slice(start.index + start[0].length + end.index + end[0].length);
    return { title: recorded !== undefined && current.title !== recorded ? current.title : ours.title, body: `${before}${section}${after}` };
  }
  if (current.body.trim() === '' || OLD_BODY.test(current.body)) return { title: ours.title, body: section };
  return { title: ours.title, body: `${current.body.trimEnd()}\n\n${section}` };
}
