import { z } from 'zod';
import type { RolloutPolicy } from '../../rollout/policy';
import type { TargetSet } from '../../rollout/types';

/** What a window's plan carries for a rollout task (compiled by `maint apply`). */
export interface RolloutTaskPlan {
  kind: 'rollout';
  /** The rollout policy's name; the rollout id is derived from the window occurrence. */
  name: string;
  policy: RolloutPolicy;
  /** By reference: the worker reads the inventory when the task starts. */
  targets: TargetSet;
  /** `routine` (the default) waits when a service's error budget is spent this month; `security` runs anyway. */
  urgency?: Urgency;
}

export const URGENCIES = ['routine', 'security'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** A window task that rolls a RolloutPolicy's patch across its targets (run by workflows/windowTasks/rollout.ts). */
export const rolloutTask = {
  kind: 'rollout',
  /** How an organisation file writes it. */
  schema: z.strictObject({
    kind: z.literal('rollout'),
    policy: z.string().min(1).describe('A RolloutPolicy file, relative to this file.'),
    urgency: z.enum(URGENCIES).default('routine').describe("routine: postponed while one of the window's services has spent this month's error budget (maint windows override runs it anyway); security: runs regardless."),
  }),
  /** The hosts the window's pre-flight checks ahead of the start. */
  targets: (plan: RolloutTaskPlan): TargetSet[] => [plan.targets],
} as const;
