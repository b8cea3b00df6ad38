/**
 * The monthly operations review of one customer: what it is computed from (plain inputs the
 * gatherer, control/report.ts, reads from the store and Temporal) and the figures it holds. Pure.
 */
import type { DayAvailability, ProbeRoundBucket } from '../availability/daily';
import type { AvailabilityTerms } from '../availability/monthly';
import type { Interval, ProbeSegment } from '../availability/types';
import type { Classification, HostScan } from '../compliance/types';
import type { DependencyRunSummary } from '../deps/run';
import type { Language, LocalizedText } from '../organisation/schema';
import type { HostReport, RecordedRolloutStatus } from '../rollout/types';
import type { OrganisationInfo, WindowStatus } from '../windows/types';

/** Whom the report is for: a subscriber name of the organisation file (services[].subscribers[].name). */
export interface ReportCustomer {
  name: string;
  language: Language;
  timezone: string;
}

export interface ServiceInput {
  name: string;
  title: LocalizedText;
  /** Its SLA tier, when it has one. */
  tier?: AvailabilityTerms & { name: string };
  /** How often its probes run; absent: not probed. */
  probeIntervalMs?: number;
  /**
   * Its probes' segments (runs of results in one state, policies/availability/monthly.ts) over the
   * month and a day each side of it, as the store computes them (store/probes.ts probeSegmentsBetween).
   */
  segments: readonly ProbeSegment[];
  /** How many of its probe results failed in each span of a window run that held maintenance on it (model.ts heldRunSpans). */
  failedResults: ReadonlyArray<Interval & { failed: number }>;
  /** Its probe rounds per hour over the 90 days up to the month's end (the status page's bar). */
  hourlyRounds: readonly ProbeRoundBucket[];
  /** Incidents opened in the month. */
  incidents: ReadonlyArray<{ id: string; openedAt: number; resolvedAt?: number; summary: string; windowRun?: string; rolloutId?: string; failures: Array<{ probe: string; error: string }> }>;
}

/** A rollout a window run of the month started, with every host's versions (control/rollouts.ts rolloutProgress). */
export interface RolloutInput {
  rolloutId: string;
  status: RecordedRolloutStatus;
  finishedAt?: number;
  message?: string;
  hosts: readonly HostReport[];
}

/** What a compliance scan said was offered for a host before it was patched: how a patch is classified and dated. */
export interface KnownUpdate {
  host: string;
  package: string;
  version: string;
  classification: Classification;
  /** Epoch ms: the earlier of the repository's date and the first scan that saw it (policies/compliance/types availableSince). */
  availableSince: number;
}

export interface ReportInput {
  month: string;
  /** When the report was made (epoch ms). */
  generatedAt: number;
  organisation: OrganisationInfo;
  customer: ReportCustomer;
  services: readonly ServiceInput[];
  /** Window runs (Temporal) whose occurrence began in the month, on any service (each section keeps its own). */
  windowRuns: readonly WindowStatus[];
  /** The rollouts those runs started, by rollout id. */
  rollouts: readonly RolloutInput[];
  knownUpdates: readonly KnownUpdate[];
  /** The customer's hosts (those its windows' tasks target) and their scans, from before the month to its end. */
  hosts: readonly string[];
  scans: readonly HostScan[];
  /** Dependency runs (Temporal) that finished in the month; undefined: the organisation has no dependency updates. */
  dependencyRuns?: readonly DependencyRunSummary[];
  /** Window occurrences of next month on the customer's services (from the applied plans). */
  nextMonth: ReadonlyArray<{ window: string; title: LocalizedText; start: string; end: string; services: string[] }>;
}

export interface ReportIncident {
  id: string;
  start: string;
  /** Minutes until resolved, or until the month's end when still open. */
  durationMinutes: number;
  open: boolean;
  /** What the probes said failed, and the window run / rollout in progress then. */
  cause: string;
  windowRun?: string;
  rolloutId?: string;
}

export interface ReportWindow {
  window: string;
  title: LocalizedText;
  start: string;
  plannedEnd: string;
  /** When it really finished (absent: still running at the month's end, or never began). */
  finishedAt?: string;
  phase: WindowStatus['phase'];
  plannedMinutes: number;
  /** From its start to when it finished; null when it did not finish. */
  actualMinutes: number | null;
  tasks: Array<{ name: string; state: string; rolloutId?: string; message?: string }>;
  reason?: string;
  /** Customer-visible impact: what the probes of this service saw inside the window (start to its real end). */
  impact: { failedProbeResults: number; downMinutes: number };
}

export interface ServiceReport {
  name: string;
  title: LocalizedText;
  tier?: { name: string; targetPercent: number; plannedMaintenanceCounts: boolean; degradedCounts: string };
  /** null when the service has no tier or no probes. */
  availability: {
    availabilityPercent: number | null;
    targetPercent: number;
    met: boolean | null;
    countedMinutes: number;
    downtimeMinutes: number;
    downMinutes: number;
    degradedMinutes: number;
    unknownMinutes: number;
    maintenanceMinutes: number;
    maintenanceDownMinutes: number;
    errorBudget: { allowedMinutes: number; spentMinutes: number; leftMinutes: number; usedPercent: number | null };
  } | null;
  /** Per day of the month, counted in probe rounds as the status page counts them. */
  daily: DayAvailability[];
  /** The last 90 days up to the month's end (the status page's bar). */
  uptime90: DayAvailability[];
  incidents: ReportIncident[];
  windows: ReportWindow[];
}

export interface PatchRow {
  host: string;
  package: string;
  from: string;
  to: string;
  /** From a scan that offered this version before it was installed; `other` when no scan did. */
  classification: Classification | 'unclassified';
  rolloutId: string;
  installedAt?: string;
  /** Release (as available since) → installed, in days; absent when no scan dated it. */
  latencyDays?: number;
}

export interface MonthlyReport {
  month: string;
  /** [start, end) of the month in the customer's timezone, ISO. */
  from: string;
  to: string;
  generatedAt: string;
  organisation: OrganisationInfo;
  customer: ReportCustomer;
  services: ServiceReport[];
  patches: {
    hosts: number;
    packages: number;
    security: number;
    other: number;
    rows: PatchRow[];
    /** Latencies in days of the patches that have one, ascending. */
    latencyDays: number[];
  };
  /** `why`: the hosts' errors or the run's reason as recorded; absent when nothing recorded a cause. */
  rollbacks: Array<{ window?: string; rolloutId?: string; at: string; why?: string; hosts: string[] }>;
  compliance: {
    hosts: number;
    /** The state at the month's end, from each host's last scan before it. */
    monthEnd: { compliant: number; nonCompliant: number; unknown: number; securityPending: number };
    /** At the end of each day of the month. */
    trend: Array<{ day: string; compliant: number; nonCompliant: number; unknown: number; compliantPercent: number | null }>;
  };
  dependencies:
    | { recorded: false; why: string }
    | { recorded: true; runs: number; opened: number; merged: number; waiting: number; medianMinutesToMerge: number | null; mergedByPeople: 'counted' | 'not recorded' };
  maintenance: { minutesPerWeek: Array<{ week: string; minutes: number }> };
  nextMonth: Array<{ window: string; title: LocalizedText; start: string; end: string; services: string[] }>;
}

export type { Interval };
