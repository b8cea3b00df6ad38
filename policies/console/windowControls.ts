import type { WindowStatus } from '../windows/types';
import type { ConsolePermission } from './roles';

export type WindowControlAction = 'cancel' | 'extend' | 'override';

/** A control a window's run accepts now, who may give it, and what it does, in words shown before a person confirms. */
export interface OfferedWindowControl {
  action: WindowControlAction;
  permission: ConsolePermission;
  consequence: string;
}

/** How long the console offers to extend a run by, in minutes. */
export const EXTEND_CHOICES_MIN = [30, 60, 120] as const;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The controls of one occurrence's run: none before its run starts or after it ended; `current`
 * says whether it is the run `maint windows cancel/extend/override` would act on (only that one is controlled).
 */
export function offeredWindowControls(status: WindowStatus | undefined, running: boolean, current: boolean, budgetServices: string[]): OfferedWindowControl[] {
  if (!status || !running || !current || (status.phase !== 'scheduled' && status.phase !== 'in-progress')) return [];
  const told = new Set(status.notices.flatMap((n) => (n.delivered > 0 ? [n.kind] : []))).size > 0;
  const runningTasks = status.tasks.filter((t) => t.state === 'running').map((t) => t.name);
  const out: OfferedWindowControl[] = [{
    action: 'cancel', permission: 'control-window',
    consequence: status.phase === 'in-progress'
      ? `cancel ends the window now: ${runningTasks.length ? `${runningTasks.join(', ')} starts no new wave (what is in flight finishes or is rolled back)` : 'no further task starts'}, and the customers who were told get a "cancelled" notice`
      : `cancel calls the occurrence off before it begins: no task runs${told ? ', and the customers who were told get a "cancelled" notice' : ''}`,
  }, {
    action: 'extend', permission: 'control-window',
    consequence: `extend moves the end (and the cutoff) later than ${status.end}; customers get an "extended" notice with the new end`,
  }];
  if (budgetServices.length > 0 && !status.budgetOverride) {
    out.push({
      action: 'override', permission: 'override',
      consequence: `override lets the routine tasks run although the error budget of ${budgetServices.join(', ')} is spent (${plural(status.tasks.length, 'task')} in this run)`,
    });
  }
  return out;
}
