import { monthAvailability, RESULT_STANDS_FOR_INTERVALS } from '../../policies/availability/monthly';
import { monthInterval, monthOf } from '../../policies/availability/months';
import type { Interval } from '../../policies/availability/types';
import type { WindowTiming } from '../../policies/windows/schema';
import { nextOccurrences } from '../../policies/windows/occurrences';
import type { ErrorBudgetPlan, SpentBudget } from '../../policies/windows/types';
import type { Store } from '../../store';
import { probeResults } from '../../store/probes';

export function createBudgetActivities(deps: { store: Store }) {
  return {
    /**
     * The window's services whose error budget for this month (in the tier's timezone, up to now) is
     * spent, from their probe results in the store; this window's earlier runs this month are its
     * maintenance (the run in progress is not: it has not spent anything yet).
     */
    async spentErrorBudgets(input: { budgets: ErrorBudgetPlan[]; timing: WindowTiming; occurrenceStart: string }): Promise<SpentBudget[]> {
      const now = Date.now();
      const spent: SpentBudget[] = [];
      for (const { service, tier, probeIntervalMs } of input.budgets) {
        const month = monthOf(now, tier.timezone);
        const { start } = monthInterval(month, tier.timezone);
        const maintenance: Interval[] = nextOccurrences(input.timing, new Date(start - 1), 100)
          .filter((o) => o.start < input.occurrenceStart && Date.parse(o.start) < now)
          .map((o) => ({ start: Date.parse(o.start), end: Math.min(Date.parse(o.end), now) }));
        const results = await probeResults(deps.store, service, { from: start - RESULT_STANDS_FOR_INTERVALS * probeIntervalMs, to: now });
        const figures = monthAvailability({ service, month, tier, results, probeIntervalMs, maintenance, asOf: now });
        if (figures.errorBudget.leftMinutes <= 0) {
          spent.push({
            service, tier: tier.name, month, targetPercent: figures.targetPercent, availabilityPercent: figures.availabilityPercent,
            allowedMinutes: figures.errorBudget.allowedMinutes, spentMinutes: figures.errorBudget.spentMinutes,
          });
        }
      }
      return spent;
    },
  };
}
