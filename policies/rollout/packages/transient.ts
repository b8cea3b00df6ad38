// Failures of a package manager that say nothing about the patch: another apt/dpkg holds the lock
// (unattended-upgrades, a cron job), the mirror cannot be reached for a moment. Retried with backoff
// (activities/patch/index.ts), not reported as a permanent HostCommandFailed.

const TRANSIENT: ReadonlyArray<[RegExp, string]> = [
  // apt: the dpkg frontend lock, dpkg's own, the lists lock (apt-get update does not wait for it).
  [/Could not get lock (\S+?)\.? /, 'the lock $1 is held by another process (an apt or dpkg run)'],
  [/Unable to (?:lock|acquire) the (?:administration|dpkg frontend) (?:directory|lock)/, 'another package manager holds the dpkg lock'],
  [/dpkg status database is locked by another process/, 'another package manager holds the dpkg lock'],
  // apt: the mirror (DNS, TCP, HTTP 5xx).
  [/Temporary failure resolving '([^']+)'/, 'the mirror $1 cannot be resolved for now'],
  [/Could not connect to ([^\s(]+)/, 'the mirror $1 cannot be reached for now'],
  [/Could not resolve '([^']+)'/, 'the mirror $1 cannot be resolved for now'],
  [/Failed to fetch \S+\s+(?:50[234]|429) /, 'the mirror answers with a temporary error'],
  // dnf/yum: the metadata or a package cannot be downloaded, another dnf holds its lock.
  [/Cannot download repomd\.xml/, 'the repository metadata cannot be downloaded for now'],
  [/Curl error \((?:5|6|7|28|35|56)\)/, 'the repository cannot be reached for now'],
  [/Failed to download metadata for repo/, 'the repository metadata cannot be downloaded for now'],
  [/Waiting for process with pid \d+ to finish|another copy is running/i, 'another dnf holds its lock'],
];

/**
 * Why a failed package-manager command may well succeed if tried again a little later (a held
 * lock, an unreachable mirror), from its output; undefined when nothing says so.
 */
export function transientHostProblem(output: string): string | undefined {
  for (const [pattern, why] of TRANSIENT) {
    const match = pattern.exec(output);
    if (match) return why.replace('$1', match[1] ?? '');
  }
  return undefined;
}
