import { z } from 'zod';
import { cronExpressionProblem } from '../windows/occurrences';
import { timezoneSchema } from '../windows/schema';

/** One inventory scanned on a schedule (`compliance:` in the organisation file): a Temporal Schedule each, synced by `maint apply`. */
export const complianceScheduleSchema = z
  .strictObject({
    inventory: z.string().min(1).describe('Inventory file (relative to this file) whose hosts are scanned.'),
    selector: z.string().min(1).optional().describe('Only hosts whose tags match, e.g. "role=web".'),
    schedule: z
      .strictObject({
        cron: z.string().regex(/^\S+( \S+){4}$/, 'expected five cron fields like "0 5 * * *"').describe('When the hosts are scanned, five-field cron.'),
        timezone: timezoneSchema.default('UTC'),
      })
      .superRefine((s, ctx) => {
        const problem = cronExpressionProblem(s.cron);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
      }),
    parallelism: z.number().int().min(1).max(200).optional().describe('Hosts scanned at once (default 20).'),
    refresh: z.boolean().default(false).describe('Re-read the repositories first (apt-get update / dnf --refresh, through become); default read-only.'),
  })
  .describe('A compliance scan of an inventory on a schedule; results go to the store (`maint hosts compliance`).');
export type ComplianceScheduleDefinition = z.output<typeof complianceScheduleSchema>;

/** `compliance-<inventory file name>-<8 hex of its path>`: deterministic, meaningful, no host names. */
export const COMPLIANCE_SCHEDULE_PREFIX = 'compliance-';
