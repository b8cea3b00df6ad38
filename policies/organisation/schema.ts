import { z } from 'zod';
import { complianceScheduleSchema } from '../compliance/schedule';
import { dependenciesSchema } from '../deps/schema';
import { durationSchema } from '../common/durations';
import { envName, httpUrl, lowerName } from '../common/fields';
import { organisationProbeFields, serviceProbeFields } from '../probes/schema';
import { cronExpressionProblem } from '../windows/occurrences';
import { windowTimingFields, timezoneSchema } from '../windows/schema';
import { taskSchema } from '../windows/tasks';
import { parseAllowedWindow, type AllowedWindow } from '../availability/allowedWindows';

const name = lowerName;
const email = z.email('expected an e-mail address like ops@example.com');

export const LANGUAGES = ['nl', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Text a customer reads, in each language (a plain string is used for both). */
export const localizedTextSchema = z
  .union([z.string().min(1).max(2000), z.strictObject({ nl: z.string().min(1).max(2000), en: z.string().min(1).max(2000) })])
  .transform((t) => (typeof t === 'string' ? { nl: t, en: t } : t));
export type LocalizedText = z.output<typeof localizedTextSchema>;

/** A secret is named, never written: the worker reads it from its environment or a file. */
const secretRefFields = {
  secretEnv: envName.optional().describe('Environment variable of the worker holding the secret.'),
  secretFile: z.string().min(1).optional().describe('File on the worker holding the secret (e.g. a mounted Kubernetes secret).'),
};

/**
 * Where a webhook or Slack URL comes from: written (`url`, for URLs that are no secret) or named
 * (`urlEnv` / `urlFile`, read by the worker when it sends, so the URL never travels in a payload).
 */
const urlRefFields = {
  url: httpUrl.optional().describe('The URL itself; only for URLs that carry no secret (a Slack webhook URL does: use urlEnv or urlFile).'),
  urlEnv: envName.optional().describe('Environment variable of the worker holding the URL.'),
  urlFile: z.string().min(1).optional().describe('File on the worker holding the URL.'),
};
const URL_REFS = ['url', 'urlEnv', 'urlFile'] as const;

export const SMTP_TLS = ['required', 'starttls', 'none'] as const;
export type SmtpTls = (typeof SMTP_TLS)[number];

/** Loopback: 127.0.0.0/8, ::1, localhost (a relay on the same machine; nothing crosses a network). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** How an e-mail channel uses TLS: as it says, else required except to a loopback host (STARTTLS when offered). */
export function smtpTlsMode(smtp: { host: string; tls?: SmtpTls | undefined }): SmtpTls {
  return smtp.tls ?? (isLoopbackHost(smtp.host) ? 'starttls' : 'required');
}

export const channelSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    name: name('customer-mail'),
    kind: z.literal('email'),
    smtp: z.strictObject({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false).describe('TLS from the first byte (port 465); otherwise STARTTLS, as `tls` says.'),
      tls: z.enum(SMTP_TLS).optional().describe('required: TLS or no mail (a server offering no STARTTLS fails the send); starttls: STARTTLS when offered; none: never. Default: required, starttls for loopback hosts.'),
      user: z.string().min(1).optional(),
      passwordEnv: envName.optional(),
      passwordFile: z.string().min(1).optional(),
    }),
    from: z.string().min(3).describe('Sender, e.g. "Acme Maintenance <maintenance@acme.example>".'),
    replyTo: email.optional(),
  }),
  z.strictObject({
    name: name('partner-hooks'),
    kind: z.literal('webhook'),
    ...urlRefFields,
    ...secretRefFields,
    unsigned: z.literal(true).optional().describe('Send without a signature (the receiver cannot tell a forged notice); otherwise secretEnv or secretFile is required.'),
  }).describe('POSTs the notice as JSON, signed: X-Maint-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">.'),
  z.strictObject({
    name: name('ops-chat'),
    kind: z.literal('slack'),
    ...urlRefFields,
  }).describe('A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat).'),
]).superRefine((channel, ctx) => {
  if (channel.kind === 'email') {
    if (channel.smtp.secure && channel.smtp.tls === 'none') ctx.addIssue({ code: 'custom', path: ['smtp', 'tls'], message: 'contradicts secure: true (TLS from the first byte); remove one' });
    if (channel.smtp.passwordEnv !== undefined && channel.smtp.passwordFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['smtp', 'passwordFile'], message: 'expected one of passwordEnv, passwordFile (got both)' });
    }
    return;
  }
  const given = URL_REFS.filter((key) => channel[key] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({ code: 'custom', path: [given[1] ?? 'url'], message: `expected exactly one of url, urlEnv, urlFile${given.length > 1 ? ` (got ${given.join(', ')})` : ''}` });
  }
  if (channel.kind !== 'webhook') return;
  const signed = channel.secretEnv !== undefined || channel.secretFile !== undefined;
  if (channel.secretEnv !== undefined && channel.secretFile !== undefined) ctx.addIssue({ code: 'custom', path: ['secretFile'], message: 'expected one of secretEnv, secretFile (got both)' });
  if (!signed && channel.unsigned !== true) ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'is required: receivers verify X-Maint-Signature with it (or set unsigned: true to send unsigned notices)' });
  if (signed && channel.unsigned === true) ctx.addIssue({ code: 'custom', path: ['unsigned'], message: 'contradicts secretEnv/secretFile; remove one' });
});
export type Channel = z.output<typeof channelSchema>;

export const subscriberSchema = z.strictObject({
  name: z.string().min(1).max(200).describe('Who this is, e.g. the customer.'),
  channel: z.string().min(1).describe('Name of a channel under `channels`.'),
  to: email.optional().describe('E-mail address (required for e-mail channels).'),
  language: z.enum(LANGUAGES).default('en'),
  timezone: timezoneSchema.default('Europe/Amsterdam').describe('Times in notices are shown in this timezone.'),
});
export type Subscriber = z.output<typeof subscriberSchema>;

/** One allowed-hours text or a list of them; each is parsed strictly (policies/availability/allowedWindows.ts). */
const allowedWindowsSchema = z.union([z.string(), z.array(z.string()).min(1)]).transform((value, ctx): AllowedWindow[] => {
  const texts = Array.isArray(value) ? value : [value];
  const parsed = texts.map(parseAllowedWindow);
  parsed.forEach((p, i) => {
    if ('problem' in p) ctx.addIssue({ code: 'custom', message: p.problem, path: Array.isArray(value) ? [i] : [] });
  });
  return parsed.every((p): p is AllowedWindow => !('problem' in p)) ? parsed : z.NEVER;
});

/** What a service tier promises customers; `maint apply` refuses windows that break it, and availability is computed by it. */
export const slaTierSchema = z
  .strictObject({
    name: name('gold'),
    availability: z
      .string()
      .regex(/^(100|\d{1,2})(\.\d{1,4})?%$/, 'expected a percentage like 99.95% (up to four decimals)')
      .transform((text) => Number(text.slice(0, -1)))
      .refine((percent) => percent > 0 && percent <= 100, 'expected a percentage above 0% and at most 100%')
      .describe('Promised availability per calendar month, e.g. 99.95%.'),
    plannedMaintenanceCounts: z.boolean().default(false).describe('Whether time inside maintenance windows counts towards availability (false: it is left out).'),
    noticeLeadTime: durationSchema.optional().describe('Windows of its services must announce at least this long ahead (their first notices.leadTimes).'),
    allowedWindows: allowedWindowsSchema
      .optional()
      .describe('When maintenance may run: "Mon-Fri 22:00-06:00 Europe/Amsterdam" (days the period begins, local times, timezone), or a list of them.'),
    maxMaintenancePerMonth: durationSchema.optional().describe('At most this much planned maintenance per calendar month (in the tier timezone), all windows of a service together.'),
    degradedCounts: z
      .enum(['up', 'down', 'half'])
      .default('up')
      .describe('How time counts in which probes answered but slower than their threshold: up (default; reported as degraded), down, or half down.'),
    timezone: timezoneSchema.optional().describe('Timezone of the calendar months; defaults to that of the first allowedWindows, else Europe/Amsterdam.'),
  })
  .transform((tier) => ({ ...tier, timezone: tier.timezone ?? tier.allowedWindows?.[0]?.timezone ?? 'Europe/Amsterdam' }));
export type SlaTier = z.output<typeof slaTierSchema>;

export const serviceSchema = z.strictObject({
  name: name('webshop'),
  title: localizedTextSchema.optional().describe('What customers call it, e.g. {nl: Webwinkel, en: Web shop}.'),
  subscribers: z.array(subscriberSchema).default([]),
  ...serviceProbeFields,
  tier: z.string().min(1).optional().describe('Name of its SLA tier under `slaTiers`.'),
});

export const windowSchema = z
  .strictObject({
    name: name('web-monthly'),
    title: localizedTextSchema.optional().describe('Shown to customers; defaults to the services affected.'),
    ...windowTimingFields,
    blackoutCalendars: z.array(z.string().min(1)).default([]).describe('.ics files (relative to this file) whose events are blackouts.'),
    services: z.array(z.string().min(1)).min(1).describe('Affected services (names under `services`).'),
    allowOverlap: z.boolean().default(false).describe('Runs of this window may overlap runs of another window over the same service: `maint apply` warns instead of refusing.'),
    impact: localizedTextSchema.optional().describe('Expected impact in customers\' words; a sensible default is used.'),
    notices: z
      .strictObject({
        leadTimes: z.array(durationSchema).prefault(['5d', '24h']).describe('Announce this long before the start: the first is "scheduled", the others "reminder". Default [5d, 24h].'),
        describeUpdates: z.boolean().default(false).describe('The "scheduled" notice names what the rollout tasks\' patch baselines will install ("security updates for openssl and nginx"), from a read-only scan of the hosts when it is sent. Default false.'),
      })
      .prefault({}),
    preflight: z
      .union([z.literal(false), z.strictObject({ before: durationSchema.prefault('24h').describe('Check the hosts this long before the start.') })])
      .prefault({})
      .describe('Checks the task hosts (reachable, disk, pending reboot) ahead of time and alerts operations; false turns it off.'),
    tasks: z.array(taskSchema).default([]).describe('Run in order inside the window; none starts after the cutoff.'),
  })
  .superRefine((w, ctx) => {
    const cronProblem = w.recurrence.kind === 'cron' ? cronExpressionProblem(w.recurrence.expression) : undefined;
    if (cronProblem !== undefined) ctx.addIssue({ code: 'custom', path: ['recurrence', 'expression'], message: cronProblem });
    if (w.duration <= 0) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'expected a duration greater than 0' });
    else if (w.cutoff >= w.duration) ctx.addIssue({ code: 'custom', path: ['cutoff'], message: `expected a cutoff shorter than the duration (${w.duration / 60_000} min)` });
    for (const [i, lead] of w.notices.leadTimes.entries()) {
      if (lead <= 0) ctx.addIssue({ code: 'custom', path: ['notices', 'leadTimes', i], message: 'expected a lead time greater than 0' });
    }
  });
export type WindowDefinition = z.output<typeof windowSchema>;

/** The monthly operations review e-mailed to each customer (a Temporal Schedule per customer, kept by `maint apply`). */
export const reportsSchema = z.strictObject({
  dayOfMonth: z.number().int().min(1).max(28).default(2).describe('Day of the month the previous month\'s report is sent (1-28). Default 2.'),
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time like 08:00').default('08:00').describe('Local time (the customer\'s timezone) it is sent. Default 08:00.'),
  customers: z.array(z.string().min(1)).min(1).optional().describe('Subscriber names to send it to; default every subscriber with an e-mail subscription.'),
});
export type ReportsSettings = z.output<typeof reportsSchema>;

export const organisationSchema = z
  .strictObject({
    apiVersion: z.literal('maint/v1'),
    kind: z.literal('Organisation'),
    organisation: z.strictObject({
      name: z.string().min(1).max(200).describe('Your company, as it signs notices.'),
      contact: z.strictObject({
        email: email,
        phone: z.string().max(40).optional(),
      }).describe('Whom customers contact about maintenance.'),
      statusPage: httpUrl.optional().describe('Public URL of `maint serve` (feeds, status), linked from notices.'),
    }).optional().describe('Required in exactly one of the files.'),
    channels: z.array(channelSchema).default([]),
    slaTiers: z.array(slaTierSchema).default([]).describe('SLA tiers services can be in (services[].tier).'),
    operations: z
      .strictObject({
        alerts: z.array(subscriberSchema.omit({ name: true }).extend({ name: z.string().default('operations') })).default([]),
      })
      .optional()
      .describe('Where pre-flight failures and rollbacks are reported (operations, not customers).'),
    services: z.array(serviceSchema).default([]),
    windows: z.array(windowSchema).default([]),
    ...organisationProbeFields,
    reports: reportsSchema.optional().describe('Monthly reports e-mailed to customers (at most one file may hold this section).'),
    dependencies: dependenciesSchema.optional().describe('Dependency and base-image update PRs (at most one file may hold this section).'),
    compliance: z.array(complianceScheduleSchema).default([]).describe('Inventories scanned for missing (security) updates on a schedule, one Temporal Schedule each.'),
  })
  .describe('An organisation\'s services, maintenance windows and notice channels (apiVersion maint/v1, kind Organisation). Several files may each hold a part.');
export type OrganisationFile = z.output<typeof organisationSchema>;
