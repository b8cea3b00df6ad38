import type { HostPhase, RolloutProgress } from '../policies/rollout/types';
import type { HostPreview } from '../workflows/previewRollout';
import type { WavePlan } from '../policies/rollout/waves';
import type { ResolvedHost } from '../policies/inventory/hosts';
import { renderTable } from './table';

const DONE: ReadonlySet<HostPhase> = new Set(['healthy', 'failed', 'rolled-back', 'skipped']);

function versions(v: Record<string, string> | undefined): string {
  if (!v) return '';
  const entries = Object.entries(v);
  return entries.length === 1 && entries[0]![0] === 'version' ? entries[0]![1] : entries.map(([k, val]) => `${k}=${val}`).join(' ');
}

function bar(done: number, total: number, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The status screen: a bar per wave, then every host with its state, versions and last error. */
export function renderProgress(p: RolloutProgress): string {
  const lines = [`rollout ${p.rolloutId} (${p.policy}): ${p.status}${p.message ? ` — ${p.message}` : ''}`, `failures ${p.failures} of ${p.failuresTolerated} tolerated`, ...(p.notes ?? []).map((n) => `note: ${n}`), ''];
  for (const w of p.waves) {
    const hosts = p.hosts.filter((h) => h.wave === w.index);
    const done = hosts.filter((h) => DONE.has(h.state)).length;
    lines.push(`wave ${w.index}${w.canary ? ' (canary)' : ''}`.padEnd(18) + `${bar(done, w.size)} ${done}/${w.size} ${w.state}`);
  }
  lines.push('');
  lines.push(renderTable(['HOST', 'WAVE', 'STATE', 'BEFORE', 'AFTER', 'ATTEMPTS', 'ERROR'], p.hosts.map((h) => [
    h.name, String(h.wave), h.state, versions(h.record?.before), versions(h.after), String(h.attempts), (h.waiting !== undefined ? `waiting: ${h.waiting}` : h.error ?? '').split('\n')[0] ?? '',
  ])));
  for (const h of p.hosts) if (h.record?.ignoredRecord) lines.push(`note: ${h.name}: found ${h.record.ignoredRecord}; BEFORE is what the host had`);
  return lines.join('\n');
}

/** A baseline host's line: each approved update (old → new, security or other), then what it pulls in. */
function baselineChanges(preview: HostPreview): string {
  const { approved, withheld } = preview.baseline!;
  const later = withheld > 0 ? ` (${withheld} pending update${withheld === 1 ? '' : 's'} not approved yet or held)` : '';
  if (approved.length === 0) return `nothing approved by the baseline${later}`;
  const names = new Set(approved.map((u) => u.package));
  const pulled = (preview.changes ?? []).filter((c) => !names.has(c.package)).map((c) => `${c.package} ${c.from || '(none)'} → ${c.to || '(removed)'} (dependency)`);
  return [...approved.map((u) => `${u.package} ${u.from} → ${u.to} (${u.classification})`), ...pulled].join(', ') + later;
}

export function renderPlan(rolloutId: string, plan: WavePlan[], hosts: ResolvedHost[], previews: HostPreview[], baselineName?: string): string {
  const byName = new Map(previews.map((p) => [p.name, p]));
  const lines = [`dry run of rollout ${rolloutId}: ${hosts.length} host(s) in ${plan.length} wave(s); nothing was changed`, ''];
  for (const w of plan) {
    lines.push(`wave ${w.index}${w.canary ? ' (canary)' : ''}${w.zone !== undefined ? ` in zone ${w.zone}` : ''}: ${w.size} host(s), at most ${w.parallelism} at once`);
    for (const h of hosts.slice(w.start, w.start + w.size)) {
      const preview = byName.get(h.name);
      const what = preview?.error !== undefined ? `cannot preview: ${preview.error.split('\n')[0]}`
        : preview?.baseline !== undefined ? baselineChanges(preview)
        : !preview?.changes || preview.changes.length === 0 ? 'already up to date'
        : preview.changes.map((c) => `${c.package} ${c.from || '(none)'} → ${c.to}`).join(', ');
      lines.push(`  ${h.name.padEnd(20)} ${what}`);
    }
  }
  const nothing = baselineName !== undefined && previews.length > 0 && previews.every((p) => p.error === undefined && p.baseline !== undefined && p.baseline.approved.length === 0);
  if (nothing) lines.push('', `baseline ${baselineName} approves nothing to install on ${previews.length === 1 ? 'the host' : `any of the ${previews.length} hosts`}: a rollout now would touch no host`);
  return lines.join('\n');
}
