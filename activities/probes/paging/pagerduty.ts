import { FAILURE } from '../../../policies/common/failures';
import type { PagingDefinition } from '../../../policies/probes/schema';
import { postJson } from '../../notices/http';
import { readSecret } from '../../notices/secrets';
import type { Pager } from './pager';

/**
 * PagerDuty's Events API v2: `trigger` and then `resolve` with the incident id as dedup_key, so
 * PagerDuty itself folds a repeated event into the same alert. The routing key is read here, on
 * the worker, and never enters a workflow payload.
 */
export const pagerDuty: Pager<Extract<PagingDefinition, { kind: 'pagerduty' }>> = async (paging, { action, incident, organisation, source }) => {
  const routingKey = readSecret({ env: paging.routingKeySecretEnv, file: paging.routingKeySecretFile, settings: { env: 'routingKeySecretEnv', file: 'routingKeySecretFile' } }, 'paging (pagerduty routing key)')!;
  const body = action === 'trigger'
    ? {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: incident.id,
      payload: {
        summary: incident.summary.slice(0, 1024),
        source,
        severity: 'critical',
        component: incident.service,
        timestamp: new Date(incident.openedAt).toISOString(),
        custom_details: {
          organisation, service: incident.service, incident: incident.id, opened_at: new Date(incident.openedAt).toISOString(),
          failures: incident.failures, ...(incident.windowRun !== undefined ? { maintenance_window_run: incident.windowRun } : {}),
          ...(incident.rolloutId !== undefined ? { rollout: incident.rolloutId } : {}),
        },
      },
    }
    : { routing_key: routingKey, event_action: 'resolve', dedup_key: incident.id };
  await postJson(paging.url, body, { deliveryId: `${incident.id}/${action}`, what: `page ${action} for incident ${incident.id}`, rejected: FAILURE.PageRejected });
};
