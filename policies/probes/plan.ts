import type { PolicyProblem } from '../common/errors';
import type { LoadedOrganisationFile } from '../organisation/plan';
import { DEFAULT_INCIDENT_RULES, type IncidentRules, type PagingDefinition, type ProbeDefinition } from './schema';

/** What a service's probe workflow runs: compiled from the organisation files by `maint apply`. */
export interface ServiceProbePlan {
  organisation: string;
  service: string;
  probes: ProbeDefinition[];
  intervalMs: number;
  /** The task queue whose workers run the probes; absent: the control queue beside the workflow's. */
  probeFrom?: string;
  incidents: IncidentRules;
  /** Names the routing key's secret, never the key. */
  paging?: PagingDefinition;
  /** Windows whose services include this one: an incident links to the one in progress when it opens. */
  windows: string[];
  /** sha256 of the rest (control/probes.ts): a probe workflow running this hash is up to date. */
  configHash: string;
}

/** `probe-acme-hosting-b-v-webshop`: the one probe workflow of a service. */
export function probeWorkflowId(organisation: string, service: string): string {
  const slug = organisation.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'organisation';
  return `probe-${slug}-${service}`;
}

export const PROBE_WORKFLOW_PREFIX = 'probe-';

/**
 * The probe plan of every service with probes. The files have passed planOrganisation (names are
 * unique, one file holds `organisation`); what is checked here is what only probes care about:
 * `incidents` and `paging` in at most one file, timeouts that fit the interval.
 */
export function planServiceProbes(files: LoadedOrganisationFile[]): { plans: Array<Omit<ServiceProbePlan, 'configHash'>>; problems: Map<string, PolicyProblem[]> } {
  const problems = new Map<string, PolicyProblem[]>();
  const report = (file: string, path: string, message: string) => problems.set(file, [...(problems.get(file) ?? []), { path, message }]);
  const once = <K extends 'incidents' | 'paging'>(key: K) => {
    const holders = files.filter((f) => f.content[key] !== undefined);
    for (const extra of holders.slice(1)) report(extra.file, key, `is already defined in ${holders[0]!.file}; define it in one file only`);
    return holders[0]?.content[key];
  };
  const defaults = once('incidents') ?? DEFAULT_INCIDENT_RULES;
  const paging = once('paging');
  const organisation = files.find((f) => f.content.organisation !== undefined)?.content.organisation?.name ?? '';
  const windowsOf = (service: string) => files.flatMap((f) => f.content.windows).filter((w) => w.services.includes(service)).map((w) => w.name).sort();

  const plans: Array<Omit<ServiceProbePlan, 'configHash'>> = [];
  for (const { file, content } of files) {
    for (const [i, s] of content.services.entries()) {
      if (s.probes.length === 0) continue;
      s.probes.forEach((p, j) => {
        if (p.timeout > s.probeInterval) report(file, `services[${i}].probes[${j}].timeout`, `expected at most the service's probeInterval (${s.probeInterval / 1000}s): a round must end before the next begins`);
      });
      plans.push({
        organisation, service: s.name, probes: s.probes, intervalMs: s.probeInterval,
        ...(s.probeFrom !== undefined ? { probeFrom: s.probeFrom } : {}),
        incidents: s.incidents ?? defaults,
        ...(paging !== undefined ? { paging } : {}),
        windows: windowsOf(s.name),
      });
    }
  }
  return { plans, problems };
}
