import { formatMs } from '../common/durations';
import { policyType, updateKey, type PlannedPullRequest, type ProposedUpdate, type SplitOrigin } from './plan';
import { failingChecks } from './split';
import type { DetectedUpdate } from './types';

const MARKER = /<!-- maint-deps:v1 (\{.*?\}) -->/s;

/** What a PR body says about merging, decided by the workflow. */
export interface MergeOutlook {
  window?: { name: string; nextStart?: string; nextEnd?: string; timezone: string; open: boolean };
  automerge: boolean;
  /** Rollouts of the merge window that ship this change. */
  rollouts: string[];
  /** Latest verdict on the PR head, when it has one. */
  checks?: { state: 'success' | 'pending' | 'failure' | 'none'; details: string[]; failing?: string[] };
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

/** What the dependency is to its package, in a reviewer's words (Renovate's depType, per manager). */
export function dependencyKind(u: Pick<DetectedUpdate, 'manager' | 'depType'>): string {
  switch (u.depType) {
    case 'dependencies': return 'production';
    case 'devDependencies': return 'dev';
    case 'peerDependencies': return 'peer';
    case 'optionalDependencies': return 'optional';
    case 'overrides':
    case 'resolutions': return 'override';
    case 'engines': return 'engine';
    case 'final': return 'image';
    case 'stage': return 'build stage';
    case undefined: return u.manager;
    default: return u.depType;
  }
}

const link = (text: string, url: string | undefined) => (url !== undefined ? `[${text}](${url})` : undefined);

function links(u: DetectedUpdate): string {
  const l = u.links ?? {};
  const parts = [
    link('source', l.source), link('homepage', l.homepage), link('changelog', l.changelog), link('release notes', u.releaseNotes?.url),
    link(u.datasource === 'npm' ? 'npm' : 'registry', l.registry),
  ];
  // npmjs packages only: npmdiff.dev reads the public registry.
  if (u.datasource === 'npm' && u.registryUrl !== undefined && /^https:\/\/registry\.npmjs\.org\/?$/.test(u.registryUrl) && u.currentVersion !== undefined) {
    parts.push(link('diff', `https://npmdiff.dev/${encodeURIComponent(u.depName)}/${u.currentVersion}/${u.newVersion}/`));
  }
  const present = parts.filter((p): p is string => p !== undefined);
  return present.length > 0 ? present.join(' · ') : '-';
}

const REBASE_BOX = /^- \[( |x|X)\] <!-- maint-deps:rebase -->/m;

/** Whether a reviewer ticked the rebase/retry box in one of our PR bodies. */
export function rebaseRequested(body: string): boolean {
  return /x/i.test(REBASE_BOX.exec(body)?.[1] ?? '');
}

/** The body a reviewing developer reads, with a hidden marker recording what it proposes. */
export function renderPullRequestBody(pr: PlannedPullRequest, outlook: MergeOutlook, now: Date): string {
  const lines: string[] = [];
  const security = pr.updates.filter((u) => u.vulnerabilityAlert);
  lines.push(pr.group !== undefined
    ? `This PR updates ${pr.updates.length} dependenc${pr.updates.length === 1 ? 'y' : 'ies'} of group **${pr.group}**.${pr.groupReason?.startsWith('default') ? ` A default group (${pr.groupReason.replace(/^default: /, '')}); \`defaultGroups: false\` in the policy switches default groups off.` : ''}`
    : `This PR updates **${pr.updates[0]!.depName}** (${pr.updates[0]!.packageFile}).`);
  lines.push('');
  if (pr.split) lines.push(...splitNote(pr, pr.split, outlook), '');
  lines.push('| Package | File | Dependency | Update | Change | Age | Links |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const u of pr.updates) {
    lines.push(`| ${cell(u.depName)} | ${cell(u.packageFile)} | ${dependencyKind(u)} | ${policyType(u)} | ${change(u)} | ${age(u, now)} | ${links(u)} |`);
  }
  lines.push('');
  if (security.length > 0) {
    lines.push('> [!IMPORTANT]');
    lines.push(`> **Security update:** ${security.map((u) => code(u.depName)).join(', ')} ${security.length === 1 ? 'has' : 'have'} a known vulnerability that this version fixes.`);
    lines.push('');
    const advisories = security.flatMap((u) => (u.advisories ?? []).map((a) => ({ u, a })));
    if (advisories.length > 0) {
      lines.push('### Advisories');
      lines.push('');
      lines.push('| Advisory | Package | Severity | Summary | Also known as | Fixed in |');
      lines.push('| --- | --- | --- | --- | --- | --- |');
      for (const { u, a } of advisories) {
        lines.push(`| [${cell(a.id)}](${a.url}) | ${cell(u.depName)} ${cell(u.currentVersion ?? u.currentValue)} | ${a.severity !== undefined ? cell(a.severity) : '-'} | ${a.summary !== undefined ? cell(a.summary) : '-'} | ${a.aliases.map(cell).join(', ') || '-'} | ${a.fixed.map(cell).join(', ') || '-'} (this PR: ${cell(u.newVersion)}) |`);
      }
      lines.push('');
    }
  }
  const majors = pr.updates.filter((u) => policyType(u) === 'major');
  if (majors.length > 0) {
    lines.push('> [!WARNING]');
    lines.push(`> **Major update${majors.length === 1 ? '' : 's'}:** ${majors.map((u) => `${code(u.depName)} ${u.currentVersion ?? u.currentValue} → ${u.newVersion}`).join(', ')} may contain breaking changes. Read the release notes before merging.`);
    lines.push('');
  }
  for (const u of pr.updates.filter((d) => d.deprecationMessage !== undefined)) {
    lines.push('> [!CAUTION]');
    lines.push(`> **${cell(u.depName)} is deprecated** on its registry: ${cell(u.deprecationMessage!)}`);
    lines.push('');
  }
  const pending = pr.updates.filter((u) => u.pendingVersions?.length);
  if (pending.length > 0) {
    lines.push(`**Newer versions wait for minimumReleaseAge:** ${pending.map((u) => `${u.depName} ${u.pendingVersions!.join(', ')}`).join('; ')} (proposed once old enough).`);
    lines.push('');
  }

  const notes = pr.updates.filter((u, i) => u.releaseNotes !== undefined && pr.updates.findIndex((o) => o.releaseNotes?.url === u.releaseNotes!.url) === i);
  if (notes.length > 0) {
    lines.push('### Release notes');
    lines.push('');
    for (const u of notes) {
      const r = u.releaseNotes!;
      lines.push(`<details${notes.length === 1 ? ' open' : ''}><summary>${escapeHtml(u.depName)} ${escapeHtml(r.name)}</summary>`);
      lines.push('');
      // A release's text is the package author's: no HTML comment of it may pose as our marker or rebase box.
      lines.push(r.body.replace(/<!--[\s\S]*?(-->|$)/g, '').replace(/maint-deps:/g, 'maint-deps&#58;').replace(/<\/?details>/gi, '') || '_No text in this release._');
      lines.push('');
      lines.push(r.truncated ? `… [the whole release notes](${r.url})` : `[On GitHub](${r.url})`);
      lines.push('');
      lines.push('</details>');
      lines.push('');
    }
  } else if (pr.updates.some((u) => u.links?.changelog ?? u.links?.source)) {
    lines.push('Release notes: see the changelog or source links above (not on the GitHub this tool is configured with).');
    lines.push('');
  }

  lines.push('### What was checked');
  lines.push('');
  const min = outlook.minimumReleaseAgeMs;
  lines.push(min === undefined ? '- **Release age:** no minimum set.' : `- **Release age:** every version here was released at least ${formatMs(min)} ago (minimumReleaseAge)${security.length > 0 ? ', except security fixes, which do not wait' : ''}.`);
  if (pr.updates.some((u) => u.manager === 'npm')) lines.push('- **Lockfile:** npm refreshed package-lock.json (where the package has one) with these exact versions, so `npm ci` installs what this PR names.');
  const checks = outlook.checks;
  lines.push(!checks || checks.state === 'none'
    ? '- **Checks:** none reported yet on this commit.'
    : `- **Checks:** ${checks.state}${checks.details.length > 0 ? ` (${checks.details.map(cell).join('; ')})` : ''}.`);
  lines.push('');
  lines.push('### Merging');
  lines.push('');
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
  lines.push('### Rolling back');
  lines.push('');
  lines.push('- **Before merging:** close this PR without merging: these versions are not proposed again, and a newer version opens a new PR.');
  lines.push('- **After merging:** revert the merge commit (the **Revert** button on this PR); the previous versions come back with their lockfile entries. '
    + 'The next run proposes these versions again: close that PR to decline them, or add the package to `ignore` of its policy.');
  lines.push('');
  lines.push('---');
  lines.push('');
  lines.push('- [ ] <!-- maint-deps:rebase --> **Rebase/retry:** tick this box and the next run rebuilds this branch on the base branch, also over commits someone else pushed to it.');
  lines.push('');
  lines.push('Opened by **maint** (Maintenance Orchestrator) dependency updates, with Renovate finding the versions. '
    + 'Configure it in the organisation file under `dependencies` (`policies`: updateTypes, ignore, allow, groups, minimumReleaseAge, limits, mergeWindow, automerge). '
    + 'Pushing to this branch is fine: the next run then leaves the PR alone (tick the box above to hand it back). '
    + 'You may edit the title, and add text above or below this description: later runs keep both and rewrite only this part.');
  const proposed: ProposedUpdate[] = pr.updates.map((u) => ({ key: updateKey(u), to: u.newVersion, ...(u.newDigest ? { digest: u.newDigest } : {}) }));
  lines.push(`<!-- maint-deps:v1 ${JSON.stringify({ updates: proposed, ...(pr.split ? { split: pr.split } : {}) }).replace(/--/g, '-\\u002d')} -->`);
  return lines.join('\n');
}

const checkNames = (names: string[]) => (names.length > 0 ? names.map(code).join(', ') : 'its checks');

/** Where a part of a split group PR came from, and, when it fails with one package left, that this is the one. */
function splitNote(pr: PlannedPullRequest, split: SplitOrigin, outlook: MergeOutlook): string[] {
  const lines = ['> [!NOTE]', `> **Split from #${split.from}:** ${checkNames(split.failing)} failed on that PR of group **${pr.group}**, so maint split its updates in two; this is part ${split.part} of 2. A part whose checks fail is split again, until the update that breaks them stands alone.`];
  const packages = new Set(pr.updates.map(updateKey));
  if (packages.size === 1 && outlook.checks?.state === 'failure') {
    const failing = failingChecks(outlook.checks);
    lines.push('>', `> **This is the update that fails:** ${checkNames(failing)} fail${failing.length === 1 ? 's' : ''} with ${code(pr.updates[0]!.depName)} ${pr.updates[0]!.newVersion} alone. `
      + 'The rest of the group goes on in its other parts. Fix the code for this version, or close this PR to decline it.');
  }
  return lines;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

/** The split a PR's marker records, when it is a part of a split group PR. */
export function splitOrigin(body: string): SplitOrigin | undefined {
  const match = MARKER.exec(body);
  if (!match) return undefined;
  try {
    const s = (JSON.parse(match[1]!) as { split?: Partial<SplitOrigin> }).split;
    if (!s || typeof s.from !== 'number' || typeof s.depth !== 'number' || (s.part !== 1 && s.part !== 2) || typeof s.root !== 'string') return undefined;
    return { from: s.from, depth: s.depth, part: s.part, root: s.root, failing: Array.isArray(s.failing) ? s.failing.filter((f): f is string => typeof f === 'string') : [] };
  } catch {
    return undefined;
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
