import type { PagingDefinition } from '../../../policies/probes/schema';
import type { Incident, PageAction } from '../../../store/incidents';

export interface PageEvent {
  action: PageAction;
  incident: Incident;
  organisation: string;
  /** Where the service is probed (a URL's host, a host name), for the page's `source`. */
  source: string;
}

/** One kind of paging service (pagerduty, …): one file each, registered in index.ts. Resolves once the service accepted the page. */
export type Pager<P extends PagingDefinition = PagingDefinition> = (paging: P, event: PageEvent) => Promise<void>;
