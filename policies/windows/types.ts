import type { NoticeKind } from '../notices/render';
import type { Channel, Language, LocalizedText, SlaTier } from '../organisation/schema';
import type { Occurrence, WindowTiming } from './schema';
import type { WindowTaskPlan } from './tasks';

/** One person or system a window's notices go to; several services of one window share one notice. */
export interface NoticeRecipient {
  /** Stable across applies: part of every notice's idempotency key. */
  key: string;
  name: string;
  channel: string;
  to?: string;
  language: Language;
  timezone: string;
}

export type { WindowTaskPlan } from './tasks';

export interface OrganisationInfo {
  name: string;
  contact: { email: string; phone?: string };
  statusPage?: string;
}

/** Everything a window's schedule carries (its action's argument), compiled by `maint apply`. Secrets are only named. */
export interface WindowPlan {
  name: string;
  title: LocalizedText;
  timing: WindowTiming;
  /** Descending: the first is the "scheduled" notice, the others reminders. */
  leadTimesMs: number[];
  preflightBeforeMs?: number;
  /** The "scheduled" notice names what the tasks' patch baselines will install (`notices.describeUpdates`). */
  describeUpdates?: boolean;
  impact?: LocalizedText;
  services: Array<{ name: string; title: LocalizedText }>;
  organisation: OrganisationInfo;
  channels: Channel[];
  recipients: NoticeRecipient[];
  operations: NoticeRecipient[];
  tasks: WindowTaskPlan[];
  /** The window's services with an SLA tier and probes: a routine task waits while one has spent its error budget. */
  errorBudgets?: ErrorBudgetPlan[];
  /** sha256 of the rest: `maint apply` changes a schedule only when this changes. */
  configHash: string;
}

export interface WindowRunInput {
  plan: WindowPlan;
  /**
   * Run this occurrence (ISO instant). Schedules start windowLaunchWorkflow without it (the
   * schedule's time says which occurrence); a run is always started with it.
   */
  occurrenceStart?: string;
}

/** What a window's launch at a schedule's time did: started the occurrence's run, or found it started. */
export interface WindowLaunchOutcome {
  window: string;
  occurrenceStart: string;
  /** The occurrence's run ({@link windowRunId}). */
  workflowId: string;
  outcome: 'started' | 'already-started';
}

export type WindowPhase = 'scheduled' | 'in-progress' | 'completed' | 'rolled-back' | 'cancelled' | 'missed';

export type WindowTaskState = 'pending' | 'running' | 'completed' | 'rolled-back' | 'failed' | 'postponed' | 'cancelled';

/** What `maint windows status` and the feeds show of one occurrence. */
export interface WindowStatus {
  window: string;
  title: LocalizedText;
  services: Array<{ name: string; title: LocalizedText }>;
  occurrence: Occurrence;
  /** The planned end now: the occurrence's end, or later after an extension. */
  end: string;
  phase: WindowPhase;
  reason?: string;
  tasks: Array<{ name: string; state: WindowTaskState; rolloutId?: string; message?: string; /** Postponed because an error budget is spent. */ deferred?: boolean }>;
  /** `maint windows override`: routine tasks run although an error budget is spent. */
  budgetOverride?: { by: string; reason: string };
  notices: Array<{ kind: NoticeKind; sentAt: string; delivered: number; failed: number }>;
  /** `installs`: per host, what the rollout tasks' patch baselines will install (tasks with `packages: {baseline}`). */
  preflight?: { at: string; ok: boolean; problems: string[]; installs?: string[] };
  finishedAt?: string;
}

/** Memo `managedBy` of the schedules `maint apply` owns (it never touches others). */
export const MANAGED_BY = 'maint';

export function windowScheduleId(window: string): string {
  return `window-${window}`;
}

/**
 * `window-web-monthly-20261124T2100Z`: the one run of an occurrence, whoever starts it (its
 * schedule's launch or `maint apply`); started with REJECT_DUPLICATE, so there is never a second.
 */
export function windowRunId(window: string, occurrenceStart: string): string {
  return `window-${window}-${occurrenceStart.replace(/[-:]/g, '').replace(/\.\d+/, '')}`;
}

/** A service whose error budget gates a window's routine tasks. */
export interface ErrorBudgetPlan {
  service: string;
  tier: SlaTier;
  probeIntervalMs: number;
}

/** A service whose error budget is spent this month (what postponed a routine task). */
export interface SpentBudget {
  service: string;
  tier: string;
  month: string;
  targetPercent: number;
  availabilityPercent: number | null;
  allowedMinutes: number;
  spentMinutes: number;
}
