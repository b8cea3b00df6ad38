import { z } from 'zod';
import { durationSchema, timeoutSchema } from '../common/durations';
import { envName, httpUrl, lowerName, regexSchema } from '../common/fields';

/** What every probe kind has: its name, the time it may take, and when an answer counts as slow. */
const probeFields = {
  name: lowerName('homepage').describe('Unique within the service; results and `maint services status` name it.'),
  timeout: timeoutSchema.prefault('10s').describe('No answer within this long: the probe failed. Default 10s.'),
  latencyThreshold: durationSchema.refine((ms) => ms > 0, 'expected a threshold above 0').optional()
    .describe('An answer slower than this counts as degraded (the service answered, but slowly).'),
};

export const probeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    ...probeFields,
    url: httpUrl.describe('Fetched from the workers of `probeFrom`, e.g. https://shop.example.com/health.'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyMatches: regexSchema.optional().describe('Regular expression the body must match.'),
  }),
  z.strictObject({
    kind: z.literal('tcp'),
    ...probeFields,
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535),
  }).describe('Passes when a TCP connection is accepted.'),
  z.strictObject({
    kind: z.literal('dns'),
    ...probeFields,
    host: z.string().min(1).max(253).describe('The name to resolve, e.g. shop.example.com.'),
    recordType: z.enum(['A', 'AAAA']).default('A'),
    server: z.string().regex(/^[0-9a-fA-F.:[\]]+$/, 'expected a resolver address like 192.0.2.53 or [2001:db8::53]:5353').optional()
      .describe('Ask this resolver (ip or ip:port); default: the worker\'s.'),
    expect: z.array(z.string().min(1)).min(1).optional().describe('Addresses the answer must contain.'),
  }).describe('Passes when the name resolves (to the expected addresses, if given).'),
]);
export type ProbeDefinition = z.output<typeof probeSchema>;
export type ProbeKind = ProbeDefinition['kind'];

export const incidentRulesSchema = z.strictObject({
  after: z.number().int().min(1).max(1000).default(3).describe('Rounds in a row with a failed probe before an incident opens. Default 3.'),
  resolveAfter: z.number().int().min(1).max(1000).default(1).describe('Rounds in a row without a failed probe before it is resolved. Default 1.'),
});
export type IncidentRules = z.output<typeof incidentRulesSchema>;
export const DEFAULT_INCIDENT_RULES: IncidentRules = { after: 3, resolveAfter: 1 };

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const pagingSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('pagerduty'),
      url: httpUrl.default(PAGERDUTY_EVENTS_URL).describe('A PagerDuty Events API v2 endpoint (or one compatible with it).'),
      routingKeySecretEnv: envName.optional().describe('Environment variable of the worker holding the integration\'s routing key.'),
      routingKeySecretFile: z.string().min(1).optional().describe('File on the worker holding the routing key.'),
    }),
  ])
  .superRefine((p, ctx) => {
    if ((p.routingKeySecretEnv === undefined) === (p.routingKeySecretFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['routingKeySecretEnv'], message: 'expected exactly one of routingKeySecretEnv and routingKeySecretFile (the routing key is a secret: name it, never write it here)' });
    }
  })
  .describe('Where incidents page operations, 24/7.');
export type PagingDefinition = z.output<typeof pagingSchema>;

/** The fields probes add to a service in the organisation file. */
export const serviceProbeFields = {
  probes: z
    .array(probeSchema)
    .default([])
    .superRefine((probes, ctx) => {
      const seen = new Set<string>();
      probes.forEach((p, i) => {
        if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `probe "${p.name}" is already defined in this service` });
        seen.add(p.name);
        if (p.latencyThreshold !== undefined && p.latencyThreshold >= p.timeout) {
          ctx.addIssue({ code: 'custom', path: [i, 'latencyThreshold'], message: `expected a threshold shorter than the timeout (${p.timeout} ms)` });
        }
      });
    })
    .describe('How customers\' use of the service is checked, every probeInterval, from the workers of probeFrom.'),
  probeInterval: durationSchema.prefault('30s').refine((ms) => ms >= 1000, 'expected an interval of at least 1s').describe('Time between rounds of probes. Default 30s.'),
  probeFrom: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'expected a task queue name like amsterdam-control').optional()
    .describe('Task queue whose workers run the probes (a location: a worker there runs with MAINT_TASK_QUEUE=amsterdam, MAINT_TASK_QUEUES=control). Default: the control queue.'),
  incidents: incidentRulesSchema.optional().describe('When this service\'s failures open an incident; default: the organisation\'s `incidents`.'),
};

/** The fields probes add to an organisation file (at most one file may hold each). */
export const organisationProbeFields = {
  incidents: incidentRulesSchema.optional().describe('When failing probes open an incident, for every service that does not say (at most one file). Default after 3, resolveAfter 1.'),
  paging: pagingSchema.optional().describe('Pages operations when an incident opens and resolves (at most one file).'),
};
