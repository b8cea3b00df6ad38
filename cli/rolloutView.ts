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

export function renderPlan(rolloutId: string, plan: WavePlan[], hosts: ResolvedHost[], previews: HostPreview[]): string {
  const byName = new Map(previews.map((p) => [p.name, p]));
  const lines = [`dry run of rollout ${rolloutId}: ${hosts.length} host(s) in ${plan.length} wave(s); nothing was changed`, ''];
  for (const w of plan) {
    lines.push(`wave ${w.index}${w.canary ? ' (canary)' : ''}${w.zone !== undefined ? ` in zone ${w.zone}` : ''}: ${w.size} host(s), at most ${w.parallelism} at once`);
    for (const h of hosts.slice(w.start, w.start + w.size)) {
      const preview = byName.get(h.name);
      const what = preview?.error !== undefined ? `cannot preview: ${preview.error.split('\n')[0]}`
        : !preview?.changes || preview.changes.length === 0 ? 'already up to date'
        : preview.changes.map((c) => `${c.package} ${c.from || '(none)'} → ${c.to}`).join(', ');
      lines.push(`  ${h.name.padEnd(20)} ${what}`);
    }
  }
  return lines.join('\n');
}
