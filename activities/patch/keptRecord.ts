import { z } from 'zod';
import type { RolloutRef, VersionRecord } from '../../policies/rolloutTypes';
import { shellQuote } from '../../policies/shell';
import { JOB_DIR_SH } from '../hosts/jobs';

/**
 * The version record applyPatch keeps on a host, before anything changes: what a rollback restores
 * when the workflow no longer has it (rollback scope `all-patched`, a retry after a crash). It is
 * bound to the rollout execution that wrote it: rollout ids are chosen by people or derived from
 * windows, so another rollout with the same id (another namespace, a rebuilt Temporal database)
 * must never take it for its own "before".
 */
const KeptRecord = z.object({
  rolloutId: z.string(),
  host: z.string(),
  execution: z.string().min(1),
  record: z.object({
    before: z.record(z.string(), z.string()),
    target: z.record(z.string(), z.string()),
    transactionId: z.string().optional(),
  }),
});

type KeptRecordStep = RolloutRef & { host: { name: string } };

/** Where a host keeps the version record of a rollout, as a shell word. */
export function recordFile(step: KeptRecordStep): string {
  return `${JOB_DIR_SH}/${shellQuote(`${`${step.rolloutId}.${step.host.name}`.replace(/[^A-Za-z0-9._-]/g, '_')}.record.json`)}`;
}

/**
 * A script (fed the record on stdin) that keeps the record unless the host already holds one of
 * this execution: write-once, so a retry never replaces the first, true "before". A record of
 * another execution is replaced.
 */
export function keepRecordScript(step: KeptRecordStep, record: VersionRecord): { script: string; stdin: string } {
  const { ignoredRecord: _ignored, ...kept } = record;
  const content = JSON.stringify({ rolloutId: step.rolloutId, host: step.host.name, execution: step.execution, record: kept });
  const file = recordFile(step);
  const ours = shellQuote(`"execution":${JSON.stringify(step.execution)}`);
  return {
    script: `mkdir -p ${JOB_DIR_SH} && if [ -s ${file} ] && grep -qF ${ours} ${file}; then cat > /dev/null; else cat > ${file}.tmp && mv ${file}.tmp ${file}; fi`,
    stdin: content,
  };
}

export type KeptRecordFound =
  | { kind: 'none' }
  | { kind: 'ours'; record: VersionRecord }
  /** `found` says what was there and why it is not this execution's. */
  | { kind: 'foreign'; found: string };

/** What the record file on the host (its content, '' when there is none) means for this execution. */
export function readKeptRecord(content: string, step: KeptRecordStep): KeptRecordFound {
  if (content.trim() === '') return { kind: 'none' };
  let parsed: z.infer<typeof KeptRecord>;
  try {
    const result = KeptRecord.safeParse(JSON.parse(content));
    if (!result.success) return { kind: 'foreign', found: `a version record in an unknown format (${result.error.issues[0]?.path.join('.') || 'record'}: ${result.error.issues[0]?.message ?? 'invalid'}), ignored` };
    parsed = result.data;
  } catch {
    return { kind: 'foreign', found: 'an unreadable version record (not JSON), ignored' };
  }
  if (parsed.rolloutId !== step.rolloutId || parsed.host !== step.host.name) {
    return { kind: 'foreign', found: `a version record of rollout ${parsed.rolloutId} on ${parsed.host}, ignored` };
  }
  if (parsed.execution !== step.execution) {
    return { kind: 'foreign', found: `a version record left by another execution of rollout ${parsed.rolloutId} (run ${parsed.execution}, before: ${versions(parsed.record.before)}), ignored` };
  }
  return { kind: 'ours', record: parsed.record };
}

function versions(v: Record<string, string>): string {
  const entries = Object.entries(v);
  return entries.length === 0 ? 'nothing' : entries.slice(0, 5).map(([k, x]) => `${k} ${x || '(not installed)'}`).join(', ') + (entries.length > 5 ? ', …' : '');
}
