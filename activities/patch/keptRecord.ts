import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE } from '../../policies/common/failures';
import { keptRecordSchema as KeptRecord, versionRecordSchema as VersionRecordSchema } from '../../policies/rollout/hostState';
import type { VersionRecord } from '../../policies/rollout/types';
import { shellQuote } from '../../policies/common/shell';
import { CHECK_JOB_DIR } from '../hosts/jobs';

/**
 * The version record applyPatch keeps on a host, before anything changes: what a rollback restores
 * when the workflow no longer has it (rollback scope `all-patched`, a retry after a crash). It is
 * bound to the rollout execution that wrote it, in its file name and its content: rollout ids are
 * chosen by people or derived from windows, so another rollout with the same id (another
 * namespace, a rebuilt Temporal database) must never take it for its own "before", nor replace it.
 * Read back, it is validated (policies/rollout/hostState.ts): this execution's file holding anything
 * but this execution's record is a permanent error naming the host and the file.
 */

/**
 * Whose record: `execution` is the rollout's first run id. Batches started by versions before
 * records were bound to executions have none: they keep and read records as those versions did
 * (`<rollout>.<host>.record.json`, the bare record), so their rollbacks still find what they kept.
 */
export type KeptRecordStep = { rolloutId: string; execution?: string; host: { name: string } };

const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_');
const prefix = (step: KeptRecordStep) => safe(`${step.rolloutId}.${step.host.name}.`);
const fileName = (step: KeptRecordStep) => `${prefix(step)}${step.execution !== undefined ? `${safe(step.execution)}.` : ''}record.json`;

/**
 * A script that prints the job directory's path, a NUL, this execution's record (if the file is
 * there: `=` then its content), a NUL, then the name and content of one record another execution of
 * the same rollout id kept for this host (if any). Ends with exit 97 (saying which) where one of
 * them is a symbolic link or someone else's file.
 */
export function readRecordsScript(step: KeptRecordStep): string {
  const ours = shellQuote(fileName(step));
  return [
    CHECK_JOB_DIR,
    `printf '%s\\0' "$maint_job_dir"`,
    `cd "$maint_job_dir" || exit 97`,
    `maint_check ${ours}`,
    `if [ -f ./${ours} ]; then printf =; cat ./${ours}; fi; printf '\\0'`,
    `for f in ${shellQuote(prefix(step))}*record.json; do if [ "$f" != ${ours} ] && { [ -e "$f" ] || [ -L "$f" ]; }; then maint_check "$f"; if [ -f "$f" ]; then printf '%s\\n' "$f"; cat "./$f"; break; fi; fi; done`,
  ].join('\n');
}

/**
 * A script (fed the record on stdin) that keeps the record unless the host already holds one of
 * this execution: write-once, so a retry never replaces the first, true "before".
 */
export function keepRecordScript(step: KeptRecordStep, record: VersionRecord): { script: string; stdin: string } {
  const { ignoredRecord: _ignored, ...kept } = record;
  const name = shellQuote(fileName(step));
  // Never through a link (maint_write, see activities/hosts/jobs.ts); the check refuses one there.
  const keep = `maint_write ${name}`;
  const enter = `${CHECK_JOB_DIR}\ncd "$maint_job_dir" && maint_check ${name}`;
  if (step.execution === undefined) return { script: `${enter} && if [ ! -s ./${name} ]; then ${keep}; else cat > /dev/null; fi`, stdin: JSON.stringify(kept) };
  // Ours and readable: kept. Empty or damaged (a disk that filled up): written again.
  const ours = shellQuote(`"execution":${JSON.stringify(step.execution)}`);
  return {
    script: `${enter} && if [ -s ./${name} ] && grep -qF -- ${ours} ./${name}; then cat > /dev/null; else ${keep}; fi`,
    stdin: JSON.stringify({ rolloutId: step.rolloutId, host: step.host.name, execution: step.execution, record: kept }),
  };
}

export type KeptRecordFound =
  | { kind: 'none' }
  | { kind: 'ours'; record: VersionRecord }
  /** `found` says what was there and why it is not this execution's. */
  | { kind: 'foreign'; found: string };

/**
 * What {@link readRecordsScript} printed means for this execution. This execution's own file must
 * hold this execution's record: anything else there (not JSON, another format, another rollout's or
 * execution's, empty) is a permanent error naming the host and the file, never taken for "before"
 * nor silently replaced by what the host has now.
 */
export function readKeptRecord(output: string, step: KeptRecordStep): KeptRecordFound {
  const [dir = '', oursPart = '', ...rest] = output.split('\0');
  const other = rest.join('\0');
  if (oursPart.startsWith('=')) {
    const ours = parse(oursPart.slice(1).trim(), step, step.execution);
    if (ours.kind === 'ours') return ours;
    const why = ours.kind === 'foreign' ? ours.found.replace(/, ignored$/, '') : 'nothing';
    throw ApplicationFailure.nonRetryable(
      `${step.host.name}: ${dir}/${fileName(step)} should hold this rollout execution's version record but holds ${why}: refusing to take it for the versions before the patch (remove it only if nothing of this rollout is left to roll back)`,
      FAILURE.HostStateInvalid,
    );
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
    return { kind: 'foreign', found: text === '' ? 'an empty version record, ignored' : 'an unreadable version record (not JSON), ignored' };
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
