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

/** Services one probe workflow probes, at most (about): the rounds of a group are one activity. */
export const PROBE_GROUP_SIZE = 100;

/**
 * What one probe workflow runs: the services of an organisation probed from the same location at
 * the same interval (or a shard of them). One workflow and one activity per round for all of them
 * is what lets one worker probe a thousand services: per service, the events and tasks of a
 * workflow of its own cost ten times the probes themselves (bench/probes).
 */
export interface ProbeGroupPlan {
  organisation: string;
  /** The group's workflow id (probeGroupId). */
  id: string;
  probeFrom?: string;
  intervalMs: number;
  services: ServiceProbePlan[];
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** FNV-1a: a service's shard, the same wherever and whenever it is computed. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `probe-acme-hosting-b-v-30s-1of1`, `probe-acme-hosting-b-v-probes-ams-30s-2of4`: one probe workflow. */
export function probeGroupId(organisation: string, group: { probeFrom?: string; intervalMs: number; shard: number; shards: number }): string {
  const from = group.probeFrom !== undefined ? `-${slug(group.probeFrom) || 'queue'}` : '';
  return `probe-${slug(organisation) || 'organisation'}${from}-${group.intervalMs / 1000}s-${group.shard + 1}of${group.shards}`;
}

/**
 * The probe workflows of an organisation: services grouped by location (`probeFrom`) and interval,
 * each group split into a power of two of shards of about `size` services by a hash of the name,
 * so a service stays in its workflow until its group doubles or halves.
 */
export function probeGroups(organisation: string, plans: ServiceProbePlan[], size = PROBE_GROUP_SIZE): ProbeGroupPlan[] {
  const byKey = new Map<string, ServiceProbePlan[]>();
  for (const plan of plans) {
    const key = `${plan.probeFrom ?? ''}\u0000${plan.intervalMs}`;
    byKey.set(key, [...(byKey.get(key) ?? []), plan]);
  }
  const groups: ProbeGroupPlan[] = [];
  for (const members of byKey.values()) {
    const { probeFrom, intervalMs } = members[0]!;
    let shards = 1;
    while (shards * size < members.length) shards *= 2;
    for (let shard = 0; shard < shards; shard++) {
      const services = members.filter((p) => fnv1a(p.service) % shards === shard).sort((a, b) => (a.service < b.service ? -1 : 1));
      if (services.length === 0) continue;
      groups.push({ organisation, id: probeGroupId(organisation, { ...(probeFrom !== undefined ? { probeFrom } : {}), intervalMs, shard, shards }), ...(probeFrom !== undefined ? { probeFrom } : {}), intervalMs, services });
    }
  }
  return groups.sort((a, b) => (a.id < b.id ? -1 : 1));
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
