// What the runner keeps on a host (activities/hosts/jobs.ts, activities/patch/keptRecord.ts), as
// schemas: whatever is read back from a host is checked against them before anything believes it.
// Any local user who could write there, a full disk or an older version may have left something
// else; a file that does not fit is an error naming the host and the file, never a crash or a
// silently wrong "before".
import { z } from 'zod';

/** Installed versions before and after a patch (the `record` of a kept record). */
export const versionRecordSchema = z.object({
  before: z.record(z.string(), z.string()),
  target: z.record(z.string(), z.string()),
  transactionId: z.string().optional(),
});

/**
 * The version record applyPatch keeps on a host, bound to the rollout execution that wrote it:
 * `execution` is the rollout's first run id.
 */
export const keptRecordSchema = z.object({
  rolloutId: z.string(),
  host: z.string(),
  execution: z.string().min(1),
  record: versionRecordSchema,
});

/** A job's `.exit` file (and the exit code of the check after it): the exit status, one number 0-255. */
export const jobExitSchema = z
  .string()
  .regex(/^\d{1,3}$/, 'not an exit status')
  .transform(Number)
  .pipe(z.number().int().max(255, 'not an exit status'));

