/**
 * The one failure vocabulary: the `type` of every ApplicationFailure the product raises, and which
 * of them each activity profile does not retry. Workflows branch on these names and retry policies
 * list them, so a name is written once, here.
 */
export const FAILURE = {
  // Hosts: SSH (activities/hosts/ssh.ts) and the steps run over it.
  HostKeyMismatch: 'HostKeyMismatch',
  AuthenticationFailed: 'AuthenticationFailed',
  ConnectFailed: 'ConnectFailed',
  CommandTimedOut: 'CommandTimedOut',
  ConnectionLost: 'ConnectionLost',
  HostCommandFailed: 'HostCommandFailed',
  /** A command failed for a passing reason (a held dpkg lock, an unreachable mirror): retried with backoff. */
  HostCommandTransient: 'HostCommandTransient',
  /** The runner's own state on the host (job directory, job files, version records) is wrong or tampered with. */
  HostStateInvalid: 'HostStateInvalid',
  PreflightFailed: 'PreflightFailed',
  RecordMissing: 'RecordMissing',
  RebootTimedOut: 'RebootTimedOut',
  HealthCheckFailed: 'HealthCheckFailed',
  // Inventory sources.
  InventoryUnavailable: 'InventoryUnavailable',
  InventoryInvalid: 'InventoryInvalid',
  // Notices.
  NoticeInvalid: 'NoticeInvalid',
  NoticeRejected: 'NoticeRejected',
  /** A channel or credential names a secret file or variable the worker does not allow (MAINT_SECRET_DIRS, MAINT_SECRET_ENV_PREFIX). */
  SecretRefused: 'SecretRefused',
  // Paging (activities/probes/paging).
  PageRejected: 'PageRejected',
  // Dependency runs: Renovate, the checkout, GitHub.
  RenovateMissing: 'RenovateMissing',
  RenovateTimeout: 'RenovateTimeout',
  RenovateCancelled: 'RenovateCancelled',
  RenovateReportInvalid: 'RenovateReportInvalid',
  AdvisoriesInvalid: 'AdvisoriesInvalid',
  RenovateConfigInvalid: 'RenovateConfigInvalid',
  RenovateInputInvalid: 'RenovateInputInvalid',
  FileChange: 'FileChange',
  Checkout: 'Checkout',
  GitHub: 'GitHub',
  NothingToChange: 'NothingToChange',
  // Workflows: rejected updates and impossible inputs.
  NoOccurrence: 'NoOccurrence',
  WindowOver: 'WindowOver',
  InvalidExtension: 'InvalidExtension',
  NotAwaitingApproval: 'NotAwaitingApproval',
  RolloutFinished: 'RolloutFinished',
} as const;

export type FailureType = (typeof FAILURE)[keyof typeof FAILURE];

/** SSH failures retrying cannot fix: the host is not who it should be, or will not let us in. */
export const PERMANENT_SSH_FAILURES = [FAILURE.HostKeyMismatch, FAILURE.AuthenticationFailed] as const;

/** Per activity profile (workflows/activityProfiles.ts), the failure types that are not retried. */
export const NON_RETRYABLE = {
  /** Read-only facts of a host. */
  hostFacts: [...PERMANENT_SSH_FAILURES],
  /** Dry-run previews: a command that fails once fails again. */
  hostPreview: [...PERMANENT_SSH_FAILURES, FAILURE.HostCommandFailed, FAILURE.HostStateInvalid],
  /** The steps of a rollout on a host: a failed command, health check, reboot or preflight is the host's verdict. */
  hostSteps: [...PERMANENT_SSH_FAILURES, FAILURE.HostCommandFailed, FAILURE.HostStateInvalid, FAILURE.HealthCheckFailed, FAILURE.RebootTimedOut, FAILURE.PreflightFailed],
  /** Reading an inventory source: unavailable or invalid is reported, not waited out. */
  inventory: [FAILURE.InventoryUnavailable, FAILURE.InventoryInvalid],
} as const satisfies Record<string, readonly FailureType[]>;
