/**
 * The kinds of task a maintenance window runs, in order, inside its occurrence: one unit per kind
 * (a file beside this one: how an organisation file writes it, what the plan carries, which hosts
 * its pre-flight checks) and one line in {@link WINDOW_TASKS}. Its run is one file in
 * workflows/windowTasks/, listed there by kind: a kind without one does not compile.
 */
import { z } from 'zod';
import type { TargetSet } from '../../rollout/types';
import { rolloutTask } from './rollout';

export const WINDOW_TASKS = [rolloutTask] as const;

type Unit = (typeof WINDOW_TASKS)[number];
export type WindowTaskKind = Unit['kind'];
/** What a window's plan carries for one task. */
export type WindowTaskPlan = Parameters<Unit['targets']>[0];
export type WindowTaskPlanOf<K extends WindowTaskKind> = Extract<WindowTaskPlan, { kind: K }>;

type SchemasOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] extends { schema: infer S } ? S : never };
type Schemas = SchemasOf<typeof WINDOW_TASKS>;

/** A task as an organisation file writes it (`windows[].tasks[]`). */
export const taskSchema = z.discriminatedUnion('kind', WINDOW_TASKS.map((t) => t.schema) as unknown as Schemas);
export type WindowTaskDefinition = z.output<typeof taskSchema>;

/** The hosts of every task, for the window's pre-flight. */
export function taskTargets(tasks: readonly WindowTaskPlan[]): TargetSet[] {
  // Each unit reads only its own kind's plan (TypeScript cannot correlate the two unions by itself).
  return tasks.flatMap((task) => (WINDOW_TASKS.find((u) => u.kind === task.kind)!.targets as (plan: WindowTaskPlan) => TargetSet[])(task));
}
