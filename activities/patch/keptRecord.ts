import { z } from 'zod';
import type { VersionRecord } from '../../policies/rollout/types';
import { shellQuote } from '../../policies/common/shell';
import { CHECK_JOB_DIR, JOB_DIR_SH } from '../hosts/jobs';

/**
 * The version record applyPatch keeps on a host, before anything changes: what a rollback restores
 * when the workflow no longer has it (rollback scope `all-patched`, a retry after a crash). It is
 * bound to the rollout execution that wrote it, in its file name and its content: rollout ids are
 * chosen by people or derived from windows, so another rollout with the same id (another
 * namespace, a rebuilt Temporal database) must never take it for its own "before", nor replace it.
 */
const VersionRecordSchema = z.object({
  before: z.record(z.string(), z.string()),
  target: z.record(z.string(), z.string()),
  transactionId: z.string().optional(),
});
const KeptRecord = z.object({ rolloutId: z.string(), host: z.string(), execution: z.string().min(1), record: VersionRecordSchema });

/**
 * Whose record: `execution` is the rollout's first run id. Batches started by versions before
 * records were bound to executions have none: they keep and read records as those versions did
 * (`<rollout>.<host>.record.json`, the bare record), so their rollbacks still find what they kept.
 */
export type KeptRecordStep = { rolloutId: string; execution?: string; host: { name: string } };

const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');
const prefix = (step: KeptRecordStep) => safe(`${step.rolloutId}.${step.host.name}.`);
const fileName = (step: KeptRecordStep) => `${prefix(step)}${step.execution !== undefined ? `${safe(step.execution)}.` : ''}record.json`;

/** Where a host keeps this execution's version record, as a shell word. */
export function recordFile(step: KeptRecordStep): string {
  return `${JOB_DIR_SH}/${shellQuote(fileName(step))}`;
}

/**
 * A script that prints this execution's record (if any), a NUL, then the name and content of one
 * record another execution of the same rollout id kept for this host (if any).
 */
export function readRecordsScript(step: KeptRecordStep): string {
  const ours = shellQuote(fileName(step));
  return [
    CHECK_JOB_DIR,
    `cd ${JOB_DIR_SH} 2>/dev/null || { printf '\\0'; exit 0; }`,
    `cat ${ours} 2>/dev/null; printf '\\0'`,
    `for f in ${shellQuote(prefix(step))}*record.json; do if [ -f "$f" ] && [ "$f" != ${ours} ]; then printf '%s\\n' "$f"; cat "$f"; break; fi; done`,
  ].join('\n');
}

/**
 * A script (fed the record on stdin) that keeps the record unless the host already holds one of
 * this execution: write-once, so a retry never replaces the first, true "before".
 */
export function keepRecordScript(step: KeptRecordStep, record: VersionRecord): { script: string; stdin: string } {
  const { ignoredRecord: _ignored, ...kept } = record;
  const file = recordFile(step);
  const keep = `cat > ${file}.tmp && mv ${file}.tmp ${file}`;
  const mkdir = `${CHECK_JOB_DIR}\nmkdir -p ${JOB_DIR_SH}`;
  if (step.execution === undefined) return { script: `${mkdir} && if [ ! -s ${file} ]; then ${keep}; else cat > /dev/null; fi`, stdin: JSON.stringify(kept) };
  // Ours and readable: kept. Empty or damaged (a disk that filled up): written again.
  const ours = shellQuote(`"execution":${JSON.stringify(step.execution)}`);
  return {
    script: `${mkdir} && if [ -s ${file} ] && grep -qF ${ours} ${file}; then cat > /dev/null; else ${keep}; fi`,
    stdin: JSON.stringify({ rolloutId: step.rolloutId, host: step.host.name, execution: step.execution, record: kept }),
  };
}

export type KeptRecordFound =
  | { kind: 'none' }
  | { kind: 'ours'; record: VersionRecord }
  /** `found` says what was there and why it is not this execution's. */
  | { kind: 'foreign'; found: string };

/** What {@link readRecordsScript} printed means for this execution. */
export function readKeptRecord(output: string, step: KeptRecordStep): KeptRecordFound {
  const at = output.indexOf('\0');
  const oursText = (at < 0 ? output : output.slice(0, at)).trim();
  const other = at < 0 ? '' : output.slice(at + 1);
  if (oursText !== '') {
    const ours = parse(oursText, step, step.execution);
    if (ours.kind === 'ours') return ours;
    if (other.trim() === '') return ours;
  }
  if (other.trim() === '') return { kind: 'none' };
  const newline = other.indexOf('\n');
  const found = parse(newline < 0 ? '' : other.slice(newline + 1), step, undefined);
  const file = newline < 0 ? other : other.slice(0, newline);
  return { kind: 'foreign', found: found.kind === 'foreign' ? `${found.found} (${file})` : `a version record of rollout ${step.rolloutId} in an older format, ignored (${file})` };
}

function parse(text: string, step: KeptRecordStep, execution: string | undefined): KeptRecordFound {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'foreign', found: 'an unreadable version record (not JSON), ignored' };
  }
  const kept = KeptRecord.safeParse(json);
  if (!kept.success) {
    // The bare record batches without an execution keep.
    const bare = VersionRecordSchema.safeParse(json);
    if (bare.success && step.execution === undefined && execution === undefined) return { kind: 'ours', record: bare.data };
    if (bare.success) return { kind: 'foreign', found: `a version record of rollout ${step.rolloutId} in an older format (before: ${versions(bare.data.before)}), ignored` };
    const issue = kept.error.issues[0];
    return { kind: 'foreign', found: `a version record in an unknown format (${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}), ignored` };
  }
  const { data } = kept;
  if (data.rolloutId !== step.rolloutId || data.host !== step.host.name) return { kind: 'foreign', found: `a version record of rollout ${data.rolloutId} on ${data.host}, ignored` };
  if (execution !== undefined && data.execution === execution) return { kind: 'ours', record: data.record };
  return { kind: 'foreign', found: `a version record left by another execution of rollout ${data.rolloutId} (run ${data.execution}, before: ${versions(data.record.before)}), ignored` };
}

function versions(v: Record<string, string>): string {
  const entries = Object.entries(v);
  return entries.length === 0 ? 'nothing' : entries.slice(0, 5).map(([k, x]) => `${k} ${x || '(not installed)'}`).join(', ') + (entries.length > 5 ? ', …' : '');
}
