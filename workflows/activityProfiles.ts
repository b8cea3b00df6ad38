/**
 * Every activity profile workflows use, in one place: which domain's task queue it runs on
 * (policies/common/taskQueues.ts), its timeouts and its retry policy. A profile is typed with its
 * domain's activities only, so calling a host step through a dependencies profile does not compile.
 */
import { ActivityCancellationType, proxyActivities, workflowInfo, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { DomainActivities } from '../activities';
import { FAILURE, NON_RETRYABLE } from '../policies/common/failures';
import { activityTaskQueue, type ActivityDomain } from '../policies/common/taskQueues';
import type { ProbeGroupPlan } from '../policies/probes/plan';
import type { RolloutPolicy } from '../policies/rollout/policy';

/**
 * Activities of `domain` with `options`, on the domain's queue beside the workflow's own task queue.
 * The queue is looked up when an activity is called (workflow modules load before any workflow runs).
 */
function profile<D extends ActivityDomain>(domain: D, options: Omit<ActivityOptions, 'taskQueue'>): ActivityInterfaceFor<DomainActivities[D]> {
  return new Proxy({} as ActivityInterfaceFor<DomainActivities[D]>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const activities: Record<string, unknown> = proxyActivities<DomainActivities[D]>({ ...options, taskQueue: activityTaskQueue(workflowInfo().taskQueue, domain) });
      return activities[name];
    },
  });
}

/** Reading an inventory source (target names, the hosts of a batch). */
export const inventoryReads = profile('control', { startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.inventory] } });

/** A host's facts over SSH: read-only, quick. */
export const hostFacts = profile('hosts', {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '45 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.hostFacts] },
});

/** A compliance scan of one host: read-only SSH, recorded in the store; an unreachable host is a result, not a failure. */
export const hostScans = profile('hosts', {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 3 },
});

/** Dry runs: what a host would install. */
export const hostPreviews = profile('hosts', {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '60 seconds',
  retry: { maximumAttempts: 2, nonRetryableErrorTypes: [...NON_RETRYABLE.hostPreview] },
});

const hostStepRetry = { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.hostSteps] };

/** Quick read-only steps of a rollout on a host (preflight). */
export const hostChecks = profile('hosts', { startToCloseTimeout: '2 minutes', heartbeatTimeout: '45 seconds', retry: hostStepRetry });

/**
 * The steps of a rollout on a host, with timeouts from its policy. Each SSH step heartbeats on a
 * timer (every 10 s, activities/context.ts heartbeatWhile) while a command runs, so a worker that
 * died is noticed within the heartbeat timeout, however long the policy lets a command run.
 */
export function hostSteps(policy: RolloutPolicy) {
  return {
    // Recording versions refreshes the package lists first (apt-get update, dnf check-update
    // --refresh): minutes on a slow mirror, so the policy's command timeout, not a fixed 2 minutes.
    recording: profile('hosts', { startToCloseTimeout: policy.commandTimeout + 60_000, heartbeatTimeout: '30 seconds', retry: hostStepRetry }),
    // Steps that change the host: a cancelled workflow waits for them to finish before it rolls back.
    changing: profile('hosts', {
      startToCloseTimeout: policy.commandTimeout + 60_000, heartbeatTimeout: '20 seconds', retry: hostStepRetry,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
    verifying: profile('hosts', { startToCloseTimeout: policy.health.deadline + 60_000, heartbeatTimeout: '20 seconds', retry: hostStepRetry }),
    rebooting: profile('hosts', {
      startToCloseTimeout: policy.reboot.timeout + 120_000, heartbeatTimeout: '20 seconds', retry: hostStepRetry,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
  };
}
export type HostSteps = ReturnType<typeof hostSteps>;

/** A window's pre-flight of its task hosts (read-only SSH, many hosts). */
export const windowChecks = profile('hosts', { startToCloseTimeout: '30 minutes', heartbeatTimeout: '2 minutes', retry: { maximumAttempts: 2 } });

/** Attempts per batch of notices; the last one reports what could not be delivered instead of failing. */
export const NOTICE_ATTEMPTS = 6;
export const noticeDelivery = profile('control', {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  // Backoff for mail servers and webhooks that are down for a while; the ledger keeps retries from sending twice.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: NOTICE_ATTEMPTS },
});

/** Gathering, printing and e-mailing a monthly report; the ledger keeps retries from sending it twice. */
export const reportDelivery = profile('control', {
  startToCloseTimeout: '15 minutes',
  // The activity heartbeats every 10 s while it gathers and prints: a dead worker is noticed within a minute.
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 8 },
});

/** Topping up a window schedule's launch times. */
export const scheduleUpkeep = profile('control', { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

/** Renovate's lookup on a fresh checkout (minutes; heavy). */
export const renovateRuns = profile('dependencies', {
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

// GitHub writes are idempotent on the branch, so retries (5xx, a worker crash) never duplicate a commit or PR.
export const githubWrites = profile('dependencies', {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
});

// A dry run reads GitHub once: an unreachable GitHub must not hold the plan back for every retry.
export const dryRunGitHubReads = profile('dependencies', { startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

/**
 * A round of a probe group's services, on the workers of its `probeFrom` queue (default: the
 * control queue). A round no worker picks up in time is given up: the next round is the next try.
 */
export function probeRounds(group: Pick<ProbeGroupPlan, 'probeFrom' | 'services' | 'intervalMs'>) {
  const longest = Math.max(1000, ...group.services.flatMap((s) => s.probes.map((p) => p.timeout)));
  return proxyActivities<DomainActivities['control']>({
    taskQueue: group.probeFrom ?? activityTaskQueue(workflowInfo().taskQueue, 'control'),
    startToCloseTimeout: longest + 30_000,
    scheduleToCloseTimeout: longest + 30_000 + group.intervalMs,
    retry: { initialInterval: '1 second', maximumAttempts: 3 },
  });
}

/** Linking and paging incidents; the ledger in the store keeps retries from paging twice. */
export const incidentReports = profile('control', {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.PageRejected] },
});

/** The lease workflow's upkeep and starting it: quick calls to Temporal itself, retried until the server answers. */
export const leaseUpkeep = profile('control', { startToCloseTimeout: '1 minute', retry: { initialInterval: '1 second', maximumInterval: '10 seconds' } });

/** A rollout's service gate: one long watch per wave, heartbeating every round (policy.serviceGate). */
export function serviceWatch(gate: NonNullable<RolloutPolicy['serviceGate']>) {
  return profile('hosts', {
    startToCloseTimeout: '7 days',
    heartbeatTimeout: gate.interval + gate.timeout * gate.checks.length + 30_000,
    retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  });
}

/** Reading this month's error budgets of a window's services from the store. */
export const budgetReads = profile('control', { startToCloseTimeout: '2 minutes', retry: { initialInterval: '2 seconds', maximumAttempts: 5 } });
