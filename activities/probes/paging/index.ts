import type { PagingDefinition } from '../../../policies/probes/schema';
import type { Pager, PageEvent } from './pager';
import { pagerDuty } from './pagerduty';

export type { PageEvent } from './pager';

/** One pager per `PagingDefinition['kind']`: a kind left out does not compile. */
export type PagerRegistry = { [K in PagingDefinition['kind']]: Pager<Extract<PagingDefinition, { kind: K }>> };

const PAGERS: PagerRegistry = {
  pagerduty: pagerDuty,
};

export function page(paging: PagingDefinition, event: PageEvent): Promise<void> {
  if (!Object.hasOwn(PAGERS, paging.kind)) throw new Error(`paging kind "${paging.kind}" is unknown to this worker (upgrade it)`);
  return (PAGERS[paging.kind] as Pager)(paging, event);
}
